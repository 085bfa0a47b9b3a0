"""`python -m sst_runtime summary AUDIT.jsonl`: the exact text for a
hand-written log, paths relative to --root, errors naming the file and line,
and never a value. Runs with the runtime SST_RUNTIME names."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import unittest

PYTHON = "/usr/bin/python3"
ENV = dict(os.environ, PYTHONPATH=os.environ.get("SST_PYTHON_DIR", ""), PYTHONDONTWRITEBYTECODE="1")


def event(**fields):
    base = {"schema": 1, "time": "2026-11-21T04:29:00.123456Z", "pid": 4242, "kind": "external",
            "sink": "requests.post", "service": "requests", "destination": "crm.example.com",
            "file": "/srv/app/shop/crm.py", "line": 9, "function": "add_contact",
            "categories": ["email", "name", "user_text"],
            "origins": [{"kind": "request", "source": "flask.request.form", "key": "email",
                         "file": "/srv/app/shop/views.py", "line": 14},
                        {"kind": "parameter", "source": "add_contact", "key": "full_name",
                         "file": "/srv/app/shop/crm.py", "line": 7}],
            "request": {"id": "r1", "method": "POST", "path": "/signup", "endpoint": "signup"},
            "detection": "static",
            "values": [{"where": "kwargs['json']['email']", "categories": ["email"],
                        "preview": "j***@e***.com", "value": "jane.doe@example.com"}]}
    base.update(fields)
    return base


R2 = {"id": "r2", "method": "POST", "path": "/signup", "endpoint": "signup"}
EVENTS = [
    event(),
    event(kind="store", sink="logging.getLogger().info", service="logging", destination=None,
          file="/srv/app/shop/views.py", line=18, function="signup", categories=["email", "user_text"],
          origins=[{"kind": "request", "source": "flask.request.form", "key": "email",
                    "file": "/srv/app/shop/views.py", "line": 14}]),
    event(request=R2),
    event(request=R2),
    event(sink="smtplib.SMTP().sendmail", service="smtp", destination="127.0.0.1",
          file="/srv/app/shop/mail.py", line=30, function="send_welcome", categories=["network_id", "email"],
          origins=[{"kind": "pattern", "source": "email", "key": "to", "file": "/srv/app/shop/mail.py", "line": 30}],
          request=None, detection="tracer"),
    event(kind="store", sink="billing_db", service="billing", destination=None, file=None, line=0, function=None,
          categories=["financial"],
          origins=[{"kind": "manual", "source": "tag_value", "key": "iban", "file": "/srv/app/shop/pay.py", "line": 5}],
          request=None, detection="manual"),
]

EXPECTED = """\
{log}: 6 events in 2 requests, 2 outside any request
(paths relative to {root})

Sent to third parties:
  requests (crm.example.com): email, name, user_text
    call   requests.post at {p}crm.py:9 in add_contact
    from   request flask.request.form["email"] at {p}views.py:14
           parameter full_name of add_contact at {p}crm.py:7
    in     POST /signup [r1]
           POST /signup [r2] (x2)
  smtp (127.0.0.1): email, network_id
    call   smtplib.SMTP().sendmail at {p}mail.py:30 in send_welcome, found by the tracer
    from   a value the email detector matched (checked as to) at {p}mail.py:30
    in     outside any request

Kept in stores and logs:
  logging: email, user_text
    call   logging.getLogger().info at {p}views.py:18 in signup
    from   request flask.request.form["email"] at {p}views.py:14
    in     POST /signup [r1]
  billing: financial
    call   billing_db at <unknown file>, reported manual
    from   manual tag_value iban at {p}pay.py:5
    in     outside any request

By request:
  POST /signup [r1]: requests [email, name, user_text]; logging (store) [email, user_text]
  POST /signup [r2]: requests [email, name, user_text]
  outside any request: smtp [email, network_id]; billing (store) [financial]
"""


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "sst_runtime", *args], env=ENV, capture_output=True, text=True)


class SummaryTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="sst-summary-")
        self.log = os.path.join(self.tmp.name, "audit.jsonl")

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def write(self, lines) -> None:
        with open(self.log, "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))

    def test_summary_exact(self) -> None:
        self.write([json.dumps(e) for e in EVENTS[:2]] + [""] + [json.dumps(e) for e in EVENTS[2:]])
        r = run("summary", self.log)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(r.stdout, EXPECTED.format(log=self.log, root="/srv/app/shop", p=""))

    def test_root_option(self) -> None:
        self.write([json.dumps(e) for e in EVENTS])
        for args in (("--root", "/srv/app"), ("--root=/srv/app",)):
            r = run("summary", *args, self.log)
            self.assertEqual((r.returncode, r.stderr), (0, ""))
            self.assertEqual(r.stdout, EXPECTED.format(log=self.log, root="/srv/app", p="shop/"))

    def test_never_prints_a_value_or_preview(self) -> None:
        self.write([json.dumps(e) for e in EVENTS])
        out = run("summary", self.log).stdout
        self.assertNotIn("jane.doe", out)
        self.assertNotIn("j***@e***.com", out)

    def test_empty_log(self) -> None:
        self.write([])
        r = run("summary", self.log)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, f"{self.log}: 0 events in 0 requests\n", ""))

    def test_bad_lines_name_file_and_line(self) -> None:
        good = json.dumps(EVENTS[0])
        cases = [
            ([good, "{not json"], f"{self.log}:2: not JSON ("),
            ([json.dumps(event(schema=2))], f"{self.log}:1: audit-log schema 2 is not supported (1 is)"),
            ([good, good, json.dumps({k: v for k, v in EVENTS[0].items() if k != "categories"})],
             f"{self.log}:3: field 'categories' is missing or of the wrong type"),
            (["[1, 2]"], f"{self.log}:1: not an audit event (a JSON object is expected)"),
            ([json.dumps(event(request="r1"))], f"{self.log}:1: field 'request' is not an object"),
        ]
        for lines, message in cases:
            with self.subTest(message=message):
                self.write(lines)
                r = run("summary", self.log)
                self.assertEqual((r.returncode, r.stdout), (1, ""))
                self.assertTrue(r.stderr.startswith(f"sst_runtime: summary: {message}"), r.stderr)
                self.assertEqual(r.stderr.count("\n"), 1)

    def test_missing_file(self) -> None:
        missing = os.path.join(self.tmp.name, "nope.jsonl")
        r = run("summary", missing)
        self.assertEqual((r.returncode, r.stdout), (1, ""))
        self.assertEqual(r.stderr, f"sst_runtime: summary: {missing}: cannot open: No such file or directory\n")

    def test_usage_errors(self) -> None:
        for args, message in ((("summary",), "one AUDIT_LOG is needed"),
                              (("summary", "a.jsonl", "b.jsonl"), "one AUDIT_LOG is needed"),
                              (("summary", "--root"), "--root needs a directory"),
                              (("summary", "--bogus", "a.jsonl"), "unknown option '--bogus'")):
            with self.subTest(args=args):
                r = run(*args)
                self.assertEqual((r.returncode, r.stdout), (2, ""))
                self.assertTrue(r.stderr.startswith(f"sst_runtime: summary: {message}"), r.stderr)

    def test_help_names_summary(self) -> None:
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("       python -m sst_runtime summary [--root DIR] AUDIT_LOG\n", r.stdout)
        self.assertIn("usage: python -m sst_runtime run [OPTION]... SCRIPT [ARG]...\n", r.stdout)
        r = run("summary", "--help")
        self.assertEqual((r.returncode, r.stdout), (0, "usage: python -m sst_runtime summary [--root DIR] AUDIT_LOG\n"))

    def test_runs_on_the_runtime_under_test(self) -> None:
        # the subcommand imports sst_runtime first: the implementation SST_RUNTIME names is the one loaded
        impl = os.environ.get("SST_RUNTIME", "c")
        r = subprocess.run([PYTHON, "-c", "import sst_runtime, sys; sys.stdout.write(sst_runtime.IMPLEMENTATION)"],
                           env=ENV, capture_output=True, text=True)
        self.assertEqual(r.stdout, impl, r.stderr)


if __name__ == "__main__":
    unittest.main()
