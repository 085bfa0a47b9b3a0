"""The Flask app of tools/bench/runtime-overhead: a small budget tracker with
the calls a real one makes (form and JSON input, SQLite, logging, an AI
service over requests), instrumented by sst-rewrite for the instrumented
runs. The AI service is a requests transport adapter that answers at once:
the whole of requests runs, nothing leaves the process."""
import json
import logging
import sqlite3

import requests
from flask import Flask, jsonify, request

log = logging.getLogger("budget")
log.addHandler(logging.NullHandler())
log.propagate = False

AI_URL = "https://api.ai.example/v1/responses"


class CannedAI(requests.adapters.BaseAdapter):
    def send(self, req, **kwargs):
        resp = requests.Response()
        resp.status_code = 200
        resp._content = json.dumps({"output": "Spend less on rent."}).encode()
        resp.headers["Content-Type"] = "application/json"
        resp.url = req.url
        resp.request = req
        return resp

    def close(self):
        pass


session = requests.Session()
session.mount("https://api.ai.example/", CannedAI())

db = sqlite3.connect(":memory:", check_same_thread=False)
db.execute("create table users (id integer primary key, email text, full_name text)")
db.execute("create table income (user_id integer, amount real, note text)")

app = Flask(__name__)


def find_user(email):
    row = db.execute("select id, full_name from users where email = ?", (email,)).fetchone()
    return row


def advice_prompt(full_name, total, notes):
    lines = [f"{full_name} earned {total:.2f} this month."]
    for note in notes:
        lines.append(f"- {note}")
    return "\n".join(lines)


@app.post("/signup")
def signup():
    email = request.form["email"]
    full_name = request.form["full_name"]
    cur = db.execute("insert into users (email, full_name) values (?, ?)", (email, full_name))
    log.info("new user %s", email)
    return jsonify(id=cur.lastrowid)


@app.post("/income")
def income():
    data = request.get_json()
    user = find_user(data["email"])
    if user is None:
        return jsonify(error="unknown user"), 404
    amount = float(data["amount"])
    db.execute("insert into income (user_id, amount, note) values (?, ?, ?)", (user[0], amount, data.get("note", "")))
    return jsonify(ok=True)


@app.get("/insight")
def insight():
    email = request.args["email"]
    user = find_user(email)
    rows = db.execute("select amount, note from income where user_id = ?", (user[0],)).fetchall()
    total = sum(r[0] for r in rows)
    prompt = advice_prompt(user[1], total, [r[1] for r in rows[-3:]])
    reply = session.post(AI_URL, json={"model": "small", "input": prompt}, timeout=5)
    return jsonify(advice=reply.json()["output"], total=total)


@app.get("/health")
def health():
    return jsonify(status="ok")
