"""End to end, the modes that need the C extension: the instrumented
application with the call tracer on (no flow doubled), and the original
source run under the import hook (`python -m sst_runtime run`), with and
without the tracer. Also the static report of the sample application."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import unittest

import e2e_support as e2e

AI_SINK = "openai.OpenAI().responses.create"


class TracerOnInstrumentedTest(unittest.TestCase):
    """sst-rewrite output with SST_TRACE=1: the same flows, each once, all
    static (each library call is inside a wrapped site), and the tracer was
    really on: it saw the watched calls and left them to the wrappers."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory(prefix="sst-e2e-")
        cls.app_dir = os.path.join(cls.tmp.name, "instrumented")
        e2e.rewrite_app(cls.app_dir)
        report = os.path.join(cls.tmp.name, "trace.json")
        cls.result, cls.log_text, cls.events = e2e.run_session(
            cls.app_dir, trace=True, launcher=os.path.join(e2e.HERE, "traced_launcher.py"),
            extra_env={"E2E_TRACE_REPORT": report})
        with open(report, encoding="utf-8") as f:
            cls.trace_report = json.load(f)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_same_flows_none_doubled(self) -> None:
        actual = [e2e.project(e, self.app_dir) for e in self.events]
        self.assertEqual(actual, e2e.read_expected().events)

    def test_tracer_was_on_and_deferred_to_the_wrappers(self) -> None:
        self.assertTrue(self.trace_report["tracing_at_start"])
        stats = self.trace_report["stats"]
        self.assertEqual(stats["events"], 0)
        # sendmail (smtp), and http.client under the two stand-in clients:
        # each reached inside a statically wrapped call
        self.assertGreaterEqual(stats["skipped_static"], 3)
        self.assertEqual(self.trace_report["runtime_events"], len(self.events))


class ImportHookTest(unittest.TestCase):
    """The original source under `python -m sst_runtime run --include budget`.
    The hook rewrites each module of the budget package against the whole
    package, as sst-rewrite does, so the AI call through the client made in
    clients.py is wrapped: the same flows as the instrumented application,
    all static, with the tracer on or off."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.expected = e2e.read_expected().events
        cls.traced = e2e.run_session(e2e.APP, hook=True, trace=True)
        cls.plain = e2e.run_session(e2e.APP, hook=True, trace=False)

    def test_with_tracer_the_same_flows_none_doubled(self) -> None:
        _, _, events = self.traced
        self.assertEqual([e2e.project(e, e2e.APP) for e in events], self.expected)

    def test_without_tracer_the_same_flows(self) -> None:
        ai = [e for e in self.expected if e["sink"] == AI_SINK]
        self.assertEqual([e["detection"] for e in ai], ["static"])
        _, _, events = self.plain
        self.assertEqual([e2e.project(e, e2e.APP) for e in events], self.expected)

    def test_no_raw_personal_value(self) -> None:
        for _, text, _ in (self.traced, self.plain):
            self.assertTrue(text)
            for value in e2e.session.PERSONAL_VALUES:
                self.assertNotIn(value, text)

    def test_no_hook_cache_beside_the_fixture(self) -> None:
        # PYTHONDONTWRITEBYTECODE: the hook writes no cache into the source tree
        for dirpath, _, filenames in os.walk(e2e.APP):
            self.assertEqual([f for f in filenames if "-sst-" in f], [], dirpath)


class StaticReportTest(unittest.TestCase):
    def test_report_is_the_expected_one(self) -> None:
        out = subprocess.run([e2e.REWRITE, e2e.APP, "--report", "json", "-q"],
                             capture_output=True, text=True, check=True).stdout
        report = json.loads(out)
        actual = [f"{f['file']}:{f['line']} {f['kind']} {f['api']} {','.join(f['categories']) or '-'}"
                  for f in report["findings"]]
        with open(os.path.join(e2e.HERE, "expected_static.txt"), encoding="utf-8") as f:
            expected = [line.strip() for line in f if line.strip() and not line.startswith("#")]
        self.assertEqual(actual, expected)


if __name__ == "__main__":
    unittest.main()
