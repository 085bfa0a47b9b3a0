"""tools/fidelity catches what it exists to catch.

Each test runs tools/fidelity on test_shlex only (a few seconds): once with
the real sst-rewrite (everything passes on both sides), and twice with
broken-rewrite, which damages the instrumented shlex.py after the real
rewrite: a regression (two tests fail, one of them only in its subtests)
and a module that hides behind the stdlib's own (every test passes, on the
wrong module). Environment: SST_REWRITE (the sst-rewrite binary) and
SST_PYTHON_DIR (the directory holding the sst_runtime package).
"""

import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TOOL = os.path.join(REPO, "tools", "fidelity")
ROW = re.compile(r"^test_shlex\s+(\d+)/(\d+)/(\d+)/(\d+)\s+(\d+)/(\d+)/(\d+)/(\d+)$", re.M)
REGRESSION = re.compile(r"^FAILED: test_shlex \[standard\]: (\S+) passes plain, "
                        r"(\w+) instrumented: (.*)$", re.M)


def fidelity(cli: str, fault: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, FIDELITY_FAULT=fault)
    return subprocess.run(
        [sys.executable, TOOL, "--cli", cli, "--python-dir", os.environ["SST_PYTHON_DIR"],
         "--profile", "standard", "--tests", "test_shlex"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)


class FidelityTest(unittest.TestCase):
    def row(self, output: str) -> tuple:
        rows = ROW.findall(output)
        self.assertEqual(len(rows), 1, output)
        return tuple(int(n) for n in rows[0])

    def test_clean_rewrite_passes(self):
        proc = fidelity(os.environ["SST_REWRITE"])
        self.assertEqual(proc.returncode, 0, proc.stdout)
        self.assertTrue(proc.stdout.rstrip().endswith("fidelity: OK"), proc.stdout)
        plain, instrumented = self.row(proc.stdout)[:4], self.row(proc.stdout)[4:]
        self.assertGreater(plain[1], 0)
        self.assertEqual(plain, instrumented)
        self.assertNotIn("FAILED", proc.stdout)

    def test_regression_is_caught(self):
        proc = fidelity(os.path.join(HERE, "broken-rewrite"), "regression")
        self.assertEqual(proc.returncode, 1, proc.stdout)
        self.assertTrue(proc.stdout.rstrip().endswith("fidelity: FAILED"), proc.stdout)
        run, ok, bad, skipped, irun, iok, ibad, iskipped = self.row(proc.stdout)
        self.assertEqual((irun, iok, ibad, iskipped), (run, ok - 2, 2, skipped))
        found = {name: (outcome, why) for name, outcome, why in REGRESSION.findall(proc.stdout)}
        self.assertEqual(sorted(found), ["test.test_shlex.ShlexTest.testJoin",
                                         "test.test_shlex.ShlexTest.testQuote"], proc.stdout)
        self.assertEqual(found["test.test_shlex.ShlexTest.testQuote"][0], "failed")
        outcome, why = found["test.test_shlex.ShlexTest.testJoin"]
        self.assertEqual(outcome, "failed")
        self.assertTrue(why.startswith("subtest "), why)
        # The modules themselves were the instrumented ones.
        self.assertNotIn("not from the instrumented tree", proc.stdout)

    def test_stdlib_module_in_disguise_is_caught(self):
        proc = fidelity(os.path.join(HERE, "broken-rewrite"), "shadow")
        self.assertEqual(proc.returncode, 1, proc.stdout)
        self.assertTrue(proc.stdout.rstrip().endswith("fidelity: FAILED"), proc.stdout)
        plain, instrumented = self.row(proc.stdout)[:4], self.row(proc.stdout)[4:]
        self.assertEqual(plain, instrumented)
        failed = sorted(line for line in proc.stdout.splitlines() if line.startswith("FAILED: "))
        self.assertEqual(failed, [
            "FAILED: test_shlex [standard]: shlex was loaded from /usr/lib/python3.11/shlex.py, "
            "not from the instrumented tree",
            "FAILED: test_shlex [standard]: sys.modules['shlex'] is /usr/lib/python3.11/shlex.py",
        ], proc.stdout)


if __name__ == "__main__":
    unittest.main()
