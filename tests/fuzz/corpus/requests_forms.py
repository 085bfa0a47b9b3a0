import requests
import requests as r
from requests import post

def send(url, p):
    requests.post(url, json=p)
    r.get(url, params={"q": p})
    post(url, data=f"{p}")
    s = requests.Session()
    s.put(url, data=p)
