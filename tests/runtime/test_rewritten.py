"""The runtime with real sst-rewrite output: rewrite_app/budget.py is
instrumented by the CLI (profiles standard and minimal), imported, and
driven through Flask's test client; the audit log must hold exactly the
expected events, with the lines of the original source. Runs against the
implementation SST_RUNTIME selects."""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tempfile
import unittest

from rtsupport import HERE, RuntimeCase, events, origin, rt

REWRITER = os.environ.get("SST_REWRITE", os.path.join(HERE, "..", "..", "build", "bin", "sst-rewrite"))
APP_DIR = os.path.join(HERE, "rewrite_app")


def marks():
    """Line of each "# at: NAME" comment of budget.py."""
    found = {}
    with open(os.path.join(APP_DIR, "budget.py"), encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if "# at: " in line:
                found[line.split("# at: ", 1)[1].strip()] = number
    return found


class RewrittenAppTests(RuntimeCase):
    def instrumented(self, profile):
        out_dir = tempfile.mkdtemp(prefix=f"sst-rewritten-{profile}-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", out_dir]))
        run = subprocess.run([REWRITER, APP_DIR, "-o", out_dir, "--profile", profile, "-q"],
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        sys.path.insert(0, out_dir)
        self.addCleanup(sys.path.remove, out_dir)
        sys.modules.pop("budget", None)
        module = importlib.import_module("budget")
        self.addCleanup(sys.modules.pop, "budget", None)
        self.assertEqual(module.__file__, os.path.join(out_dir, "budget.py"))
        return module, os.path.join(out_dir, "budget.py")

    def drive(self, module):
        client = module.app.test_client()
        with rt.context(method="POST", path="/signup", endpoint="signup", request_id="r1"):
            reply = client.post("/signup", data={"email": "jane@example.com", "full_name": "Jane Doe",
                                                 "salary": "52000"})
        self.assertEqual(reply.get_json(), {"status": 200})
        with rt.context(method="GET", path="/health", endpoint="health", request_id="r2"):
            self.assertEqual(client.get("/health").get_json(), {"ok": True})

    def test_standard_profile(self):
        module, file = self.instrumented("standard")
        self.drive(module)
        at = marks()
        request = {"id": "r1", "method": "POST", "path": "/signup", "endpoint": "signup"}
        form_email = origin("request", "flask.request.form", "email", file, at["form-email"])
        form_name = origin("request", "flask.request.form", "full_name", file, at["form-name"])
        form_salary = origin("request", "flask.request.form", "salary", file, at["form-salary"])
        got = [(e["kind"], e["sink"], e["service"], e["destination"], e["line"], e["function"], e["categories"],
                e["origins"], e["request"]) for e in events()]
        self.assertEqual(got, [
            ("store", "sqlite3.connect().execute", "sqlite3", None, at["db-insert"], "signup",
             ["email", "name", "user_text"], [form_email, form_name], request),
            ("store", "logging.getLogger().info", "logging", None, at["log"], "signup",
             ["email", "user_text"], [form_email], request),
            ("external", "requests.Session().post", "requests", "localhost", at["ai-post"], "signup",
             ["name", "financial", "user_text"], [form_name, form_salary], request),
        ])

    def test_minimal_profile_sees_only_what_the_detectors_see(self):
        module, file = self.instrumented("minimal")
        self.drive(module)
        at = marks()
        got = [(e["kind"], e["sink"], e["line"], e["categories"], e["origins"]) for e in events()]
        pattern = lambda line: origin("pattern", "email", None, file, line)  # noqa: E731
        self.assertEqual(got, [
            ("store", "sqlite3.connect().execute", at["db-insert"], ["email"], [pattern(at["db-insert"])]),
            ("store", "logging.getLogger().info", at["log"], ["email"], [pattern(at["log"])]),
        ])


NORMALISE = """\
import logging

from flask import Flask, request

app = Flask(__name__)
log = logging.getLogger("normalise")
log.addHandler(logging.NullHandler())
log.propagate = False


@app.post("/note")
def note():
    text = request.form["note"].strip().lower()  # at: read
    log.warning("note %s", text)  # at: log
    return "ok"
"""


class ValueMethodTests(RuntimeCase):
    def test_a_field_read_through_value_methods_keeps_its_origin(self):
        # The stripped, lower-cased copy is what the program keeps: it is the
        # value tagged, so the log call reports the request field. The text
        # matches no detector, so nothing else could report it.
        src = tempfile.mkdtemp(prefix="sst-normalise-src-")
        out = tempfile.mkdtemp(prefix="sst-normalise-out-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", src, out]))
        with open(os.path.join(src, "normalise.py"), "w", encoding="utf-8") as f:
            f.write(NORMALISE)
        run = subprocess.run([REWRITER, src, "-o", out, "-q"], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        sys.path.insert(0, out)
        self.addCleanup(sys.path.remove, out)
        module = importlib.import_module("normalise")
        self.addCleanup(sys.modules.pop, "normalise", None)
        file = os.path.join(out, "normalise.py")
        lines = {line.split("# at: ")[1]: n for n, line in enumerate(NORMALISE.splitlines(), 1) if "# at: " in line}
        with rt.context(method="POST", path="/note", endpoint="note", request_id="r1"):
            reply = module.app.test_client().post("/note", data={"note": "  Remind Me On Friday  "})
        self.assertEqual(reply.status_code, 200)
        got = [(e["kind"], e["sink"], e["line"], e["categories"], e["origins"], [v["where"] for v in e["values"]])
               for e in events()]
        self.assertEqual(got, [
            ("store", "logging.getLogger().warning", lines["log"], ["user_text"],
             [origin("request", "flask.request.form", "note", file, lines["read"])], ["args[1]"]),
        ])


if __name__ == "__main__":
    unittest.main()
