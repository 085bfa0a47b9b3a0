"""The C extension and the pure-Python fallback give identical audit logs
(byte for byte, time and pid aside) and identical output for the same
program: parity_app.py, a hand-instrumented Flask app."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

from rtsupport import HERE, PYTHON_DIR

APP = os.path.join(HERE, "parity_app.py")
VOLATILE = re.compile(rb'"time":"[^"]*","pid":[0-9]+')
PORT = re.compile(rb"localhost:[0-9]+")

# (kind, sink, request id) of every event parity_app.py must record, in order.
EXPECTED = [
    ("store", "sqlite3.connect().execute", "req-0"), ("external", "requests.post", "req-0"),
    ("store", "logging.info", "req-0"), ("store", "sqlalchemy.session.add", "req-0"),
    ("store", "sqlite3.connect().execute", "req-1"), ("external", "requests.post", "req-1"),
    ("store", "logging.info", "req-1"), ("store", "sqlalchemy.session.add", "req-1"),
    ("external", "example.Notes().send", "req-notes"),
] + [("external", "example.webhook", None)] * 8 + [("external", "analytics", None)]


def run(impl: str, values: bool):
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "audit.jsonl")
        env = dict(os.environ, SST_RUNTIME=impl, SST_AUDIT_LOG=log, SST_AUDIT_VALUES="1" if values else "0",
                   PYTHONPATH=PYTHON_DIR)
        out = subprocess.run([sys.executable, APP], env=env, capture_output=True, timeout=300)
        with open(log, "rb") as f:
            data = f.read()
    return out, PORT.sub(b"localhost:PORT", VOLATILE.sub(b'"time":"T","pid":0', data))


class ParityTests(unittest.TestCase):
    def check(self, values: bool):
        c_out, c_log = run("c", values)
        py_out, py_log = run("python", values)
        self.assertEqual(c_out.returncode, 0, c_out.stderr.decode())
        self.assertEqual(py_out.returncode, 0, py_out.stderr.decode())
        self.assertEqual(c_out.stderr, b"")
        self.assertEqual(py_out.stderr, b"")
        self.assertEqual(c_out.stdout, py_out.stdout)
        got = [(e["kind"], e["sink"], e["request"] and e["request"]["id"])
               for e in map(json.loads, c_log.splitlines())]
        self.assertEqual(got, EXPECTED)
        self.assertEqual(c_log.splitlines(), py_log.splitlines())
        return c_log

    def test_identical_logs_with_previews_only(self):
        log = self.check(values=False)
        self.assertNotIn(b"jane@example.com", log)
        self.assertNotIn(b"4111 1111", log)

    def test_a_long_location_is_cut_at_a_character(self):
        _, log = run("c", False)
        where = [v["where"] for e in map(json.loads, log.splitlines()) for v in e["values"]
                 if v["where"].startswith("kwargs['kwärg']")]
        self.assertEqual(len(where), 1)
        self.assertLessEqual(len(where[0].encode()), 127)
        self.assertGreater(len(where[0].encode()), 124)
        self.assertTrue(where[0].startswith("kwargs['kwärg']['ключ_жжж"))

    def test_identical_logs_with_raw_values(self):
        log = self.check(values=True)
        self.assertIn(b'"value":"jane@example.com"', log)
        self.assertIn(rb'"value":"lone \udc80 surrogate, 030 1234567"', log)
        self.assertIn(rb'"value":"tab\there \"quoted\" back\\slash \u0001 ctl jane@example.com"', log)


if __name__ == "__main__":
    unittest.main()
