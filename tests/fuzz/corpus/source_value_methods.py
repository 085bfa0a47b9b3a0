import logging

import requests
from flask import request

log = logging.getLogger(__name__)


def search():
    terms = request.args.get("q", "").strip().split(",")
    who = request.form["email"].lower().removesuffix(".invalid")
    log.info("search by %s", who.encode().decode())
    return requests.post("https://api.example/v1", json={"terms": terms, "by": request.json.get("name").title()})
