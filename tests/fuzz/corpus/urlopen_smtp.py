import smtplib
from urllib.request import urlopen

def notify(addr, body):
    urlopen("http://example.invalid/?a=" + addr).read()
    s = smtplib.SMTP("localhost")
    s.sendmail("me@example.invalid", [addr], body)
    with smtplib.SMTP("h") as conn:
        conn.sendmail("a", addr, body)
