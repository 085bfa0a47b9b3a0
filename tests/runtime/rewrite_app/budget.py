"""A small Flask app, plain Python: test_rewritten.py instruments it with
sst-rewrite and checks the events its requests record. The comments
"# at: NAME" mark the lines the test expects in events and origins."""
import logging
import sqlite3

import requests
from flask import Flask, jsonify, request

log = logging.getLogger("budget")
log.addHandler(logging.NullHandler())
log.propagate = False

db = sqlite3.connect(":memory:", check_same_thread=False)
db.execute("create table users (email text, full_name text)")
app = Flask(__name__)
AI_URL = "http://localhost:9/v1/responses"


class Replies(requests.adapters.BaseAdapter):
    """Answers at once: all of requests runs, nothing leaves the process."""

    def send(self, req, **kwargs):
        resp = requests.Response()
        resp.status_code = 200
        resp._content = b'{"output": "ok"}'
        resp.request = req
        return resp

    def close(self):
        pass


session = requests.Session()
session.mount("http://localhost:9/", Replies())


def summary(full_name, salary):  # at: summary-def
    text = f"{full_name} earns {salary}"
    return text


@app.post("/signup")
def signup():
    email = request.form["email"]  # at: form-email
    full_name = request.form["full_name"]  # at: form-name
    salary = request.form["salary"]  # at: form-salary
    db.execute("insert into users values (?, ?)", (email, full_name))  # at: db-insert
    log.info("signed up %s", email)  # at: log
    reply = session.post(AI_URL, json={"input": summary(full_name, salary)}, timeout=5)  # at: ai-post
    return jsonify(status=reply.status_code)


@app.get("/health")
def health():
    db.execute("select count(*) from users")
    return jsonify(ok=True)
