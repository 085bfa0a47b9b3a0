"""End to end: fixtures/budget_tracker instrumented by sst-rewrite, served on
127.0.0.1 against the stand-in servers, driven through the scripted session;
its audit log must be exactly the hand-written expected_flows.txt, hold no raw
personal value, and have no event at the negatives. Runs against the runtime
SST_RUNTIME names (c or python)."""
from __future__ import annotations

import json
import os
import tempfile
import unittest

import e2e_support as e2e


class ExpectedFileTest(unittest.TestCase):
    """expected_flows.txt itself: every line it names holds the code it says."""

    def test_every_site_holds_its_code(self) -> None:
        expected = e2e.read_expected()
        self.assertEqual(len(expected.events), 8)
        self.assertEqual(len(expected.negatives), 8)
        for file, line, code, where in expected.code_checks:
            with self.subTest(line=where):
                self.assertIn(code, e2e.source_line(file, line),
                              f"expected_flows.txt:{where}: {file}:{line} does not hold {code!r}")


class InstrumentedSessionTest(unittest.TestCase):
    """The ahead-of-time instrumented application (sst-rewrite -o), tracer off."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory(prefix="sst-e2e-")
        cls.app_dir = os.path.join(cls.tmp.name, "instrumented")
        e2e.rewrite_app(cls.app_dir)
        cls.expected = e2e.read_expected()
        cls.result, cls.log_text, cls.events = e2e.run_session(cls.app_dir)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_flows_are_exactly_the_expected_ones(self) -> None:
        actual = [e2e.project(e, self.app_dir) for e in self.events]
        self.assertEqual(actual, self.expected.events)

    def test_each_event_is_schema_1_of_this_process(self) -> None:
        pids = {e["pid"] for e in self.events}
        self.assertEqual(len(pids), 1)
        for e in self.events:
            self.assertEqual(e["schema"], 1)

    def test_no_raw_personal_value_in_the_log(self) -> None:
        self.assertTrue(self.log_text)
        # what the session typed, and what the application derived from it
        # and sent (the stand-ins' copies: the prompt, the traits, the mail)
        raw = list(e2e.session.PERSONAL_VALUES)
        for path, body in self.result.http:
            if path == "/v1/responses":
                raw.append(body["input"])
                raw.extend(line for line in body["input"].splitlines() if line.strip())
            else:
                msg = body["batch"][0]
                raw.extend([msg["userId"], msg["traits"]["name"]])
        for _sender, recipients, data in self.result.mail:
            raw.extend(recipients)
            raw.extend(line for line in data.decode().splitlines() if "Hello" in line)
        self.assertGreater(len(raw), len(e2e.session.PERSONAL_VALUES))
        for value in raw:
            with self.subTest(value=value[:30]):
                self.assertNotIn(value, self.log_text)
        # amounts as stored (cents), outside the time and pid fields that
        # could hold any digits
        without_clock = json.dumps([{k: v for k, v in e.items() if k not in ("time", "pid")}
                                    for e in self.events])
        for cents in ("245000", "82050", "6420"):
            self.assertNotIn(cents, without_clock)

    def test_negatives_leave_no_event(self) -> None:
        sites = {(e2e.relative(e["file"], self.app_dir), e["line"]) for e in self.events}
        for file, line, code in self.expected.negatives:
            with self.subTest(site=f"{file}:{line}"):
                self.assertNotIn((file, line), sites)
        self.assertEqual([e for e in self.events if e["request"] is None], [])

    def test_the_negatives_did_run(self) -> None:
        # /status shows the in-process counters metrics.track/identify kept
        status = json.loads(self.result.bodies["status"])
        self.assertEqual(status, {"events": {"signup": 1, "entry_added": 3}, "active_users": 1})

    def test_real_traffic_reached_the_stand_ins(self) -> None:
        self.assertEqual([p for p, _ in self.result.http], ["/v1/batch", "/v1/responses"])
        batch = self.result.http[0][1]["batch"][0]
        self.assertEqual((batch["type"], batch["userId"], batch["traits"]),
                         ("identify", e2e.session.EMAIL, {"name": e2e.session.FULL_NAME, "plan": "free"}))
        prompt = self.result.http[1][1]["input"]
        self.assertEqual(prompt, "Ada Lovelace earned 2450.00 this month and spent:\n"
                                 "- groceries: 64.20\n- housing: 820.50\n"
                                 "Give one friendly sentence of budgeting advice.")
        self.assertEqual(len(self.result.mail), 1)
        sender, recipients, data = self.result.mail[0]
        self.assertEqual((sender, recipients), ("hello@budget.invalid", [e2e.session.EMAIL]))
        self.assertIn(b"Hello Ada,", data)

    def test_application_stopped_cleanly(self) -> None:
        self.assertEqual(self.result.app_status, 0)
        self.assertEqual([s[3] for s in self.result.steps], [s.status for s in e2e.session.STEPS])

    def test_summary_of_the_log(self) -> None:
        import subprocess
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write(self.log_text)
        try:
            out = subprocess.run([e2e.session.PYTHON, "-m", "sst_runtime", "summary", "--root", self.app_dir, f.name],
                                 env=dict(os.environ, PYTHONPATH=e2e.PYTHON_DIR, PYTHONDONTWRITEBYTECODE="1"),
                                 capture_output=True, text=True, check=True).stdout
        finally:
            os.unlink(f.name)
        self.assertTrue(out.startswith(f"{f.name}: 8 events in 5 requests\n"))
        self.assertIn("  openai (127.0.0.1): name, financial\n"
                      "    call   openai.OpenAI().responses.create at budget/insight.py:21 in monthly_insight\n",
                      out)
        self.assertIn("  GET /users/1/insight [insight]: openai [name, financial]\n", out)
        for value in e2e.session.PERSONAL_VALUES:
            self.assertNotIn(value, out)


if __name__ == "__main__":
    unittest.main()
