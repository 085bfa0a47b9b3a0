"""A small Flask app instrumented by hand in the forms sst-rewrite emits
(docs/abi.md), driven through Flask's test client against a local HTTP
server standing in for an AI API. test_parity.py runs it once with the C
extension and once with the pure-Python fallback; the two audit logs and the
two stdout transcripts must be identical (time and pid aside)."""
import sst_runtime as __sst__; __sst__.abi(1)  # noqa: E702,E401
import http.server
import logging
import sqlite3
import threading

import requests
from flask import Flask, request

logging.basicConfig(level=logging.CRITICAL)


class StandIn(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = b'{"output": "save more"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
threading.Thread(target=server.serve_forever, daemon=True).start()
AI_URL = f"http://localhost:{server.server_address[1]}/v1/responses"

app = Flask(__name__)
db = sqlite3.connect(":memory:", check_same_thread=False)
db.execute("create table users (email text, income text)")


class Profile:
    def __init__(self, email, plan):
        __sst__.params(("email",), email); self.email = email  # noqa: E702
        self.plan = plan


def build_prompt(full_name, income):
    __sst__.params(("full_name", "income"), full_name, income); text = __sst__.flow((f"{full_name} earns {income} a year"), full_name, income)  # noqa: E501,E702
    words = text.split(" "); first, rest = words[0], words[1:]; __sst__.derive((words,), first, rest)  # noqa: E702
    __sst__.carry(text); text += "; advise"; __sst__.derive((), text)  # noqa: E702
    return text


@app.post("/signup")
def signup():
    email = __sst__.source(("flask.request.form", "email"), request.form["email"])
    name = __sst__.source(("flask.request.form", "full_name"), request.form["full_name"])
    income = __sst__.source(("flask.request.form", "income"), request.form["income"])
    __sst__.store("sqlite3.connect().execute", db.execute, (email, income))("insert into users values (?, ?)", (email, income))  # noqa: E501
    prompt = __sst__.flow((build_prompt(name, income)), name, income)
    reply = __sst__.external("requests.post", requests.post, (prompt, email))(AI_URL, json={"input": prompt, "user": email}, timeout=10)  # noqa: E501
    __sst__.store("logging.info", logging.info, (email,))("signed up %s", email)
    profile = Profile(email, "pro")
    __sst__.store("sqlalchemy.session.add", lambda row: None, (profile,))(profile)
    return {"status": reply.status_code, "advice": reply.json()["output"]}


@app.post("/api/notes")
def notes():
    body = __sst__.source(("flask.request.get_json()", None), request.get_json())
    note = __sst__.flow((body["note"]), body)
    extra = __sst__.flow((body["contact"]["phone"]), body)
    __sst__.external("example.Notes().send", lambda *a, **k: None, (note, extra))({"note": note, "tags": [extra]})
    return {"ok": True}


def untagged_values():
    """Values nobody tagged: only the detectors can see them."""
    sink = __sst__.external("example.webhook", lambda *a, **k: None, ())
    sink("https://hooks.example.org/in", "call +4915112345678 or (415) 555-2671")
    sink("card 4111 1111 1111 1111, iban DE89 3704 0044 0532 0130 00")
    sink(headers={"Authorization": "Bearer abcdefghijklmnopqrstuvwxyz0123456789"})
    sink({"ssn": "123-45-6789", "ip": "203.0.113.7", "v6": "2001:db8::7"})
    sink(["Grüße an jürgen.müller@exämple.de", "tab\there \"quoted\" back\\slash \x01 ctl jane@example.com",
          "lone \udc80 surrogate, 030 1234567"])
    sink(b"bytes with jane@example.com inside")
    sink({"jane@example.com": {"visits": 3}})
    sink("nothing personal here", 42, None, [1.5])
    deep = {"ключ_" + "ж" * 30: {"a" * 40: {"b" * 40: ["jane@example.com"]}}}
    sink(**{"kwärg": deep})   # a location longer than 127 bytes, cut inside no character


def main():
    client = app.test_client()
    for i, (email, name, income) in enumerate([("jane@example.com", "Jane Doe", "52000"),
                                               ("raj.patel@example.co.uk", "Raj Patel", "61000")]):
        with __sst__.context(method="POST", path="/signup", endpoint="signup", request_id=f"req-{i}"):
            reply = client.post("/signup", data={"email": email, "full_name": name, "income": income})
            print(reply.status_code, reply.get_json())
    with __sst__.context(method="POST", path="/api/notes", endpoint="notes", request_id="req-notes"):
        reply = client.post("/api/notes", json={"note": "remind jane@example.com", "contact": {"phone": "+4915112345678"}})  # noqa: E501
        print(reply.status_code, reply.get_json())
    untagged_values()
    v = __sst__.tag_value(("Jane" + "!")[:-1], "name", source="seed")
    print(__sst__.tags_of(v))
    print(__sst__.check_and_tag(("mail jane@example.com" + "!")[:-1], name="note") is not None)
    print(__sst__.track_external_call("analytics", {"user": v}, destination="api.analytics.example"))
    print({k: v for k, v in __sst__.stats().items() if k != "max_tags"})
    server.shutdown()


if __name__ == "__main__":
    main()
