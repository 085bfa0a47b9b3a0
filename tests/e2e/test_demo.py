"""tools/demo, as make demo runs it, against this build (SST_BUILD): exits
0, shows each step, and leaves no process behind."""
from __future__ import annotations

import os
import re
import subprocess
import unittest

import e2e_support as e2e


class DemoTest(unittest.TestCase):
    def test_demo_runs_and_stops_everything(self) -> None:
        build = os.path.dirname(e2e.PYTHON_DIR)
        r = subprocess.run([os.path.join(e2e.ROOT, "tools", "demo")], capture_output=True, text=True,
                           env=dict(os.environ, SST_BUILD=build, SST_COLOR="never"), timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        out = r.stdout
        headers = [line for line in out.splitlines() if line.startswith("== ")]
        self.assertEqual([h.split()[1] for h in headers], ["1.", "2.", "3.", "4."])
        self.assertIn("+    response = __sst__.external(\"openai.OpenAI().responses.create\", ai.responses.create, "
                      "(MODEL, prompt))(model=MODEL, input=prompt)\n", out)
        self.assertIn("  budget/insight.py:21   external openai.OpenAI().responses.create", out)
        self.assertIn("the stand-ins received: 1 AI request(s), 1 analytics batch(es), 1 mail(s)\n", out)
        self.assertIn("application stopped (status 0); stand-ins stopped\n", out)
        self.assertIn(f"{build}/demo/audit.jsonl: 8 events in 5 requests\n", out)
        pid = int(re.search(r"\(pid (\d+)\)", out).group(1))
        self.assertFalse(os.path.exists(f"/proc/{pid}"), "the application is still running")


if __name__ == "__main__":
    unittest.main()
