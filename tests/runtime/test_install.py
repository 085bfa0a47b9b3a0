"""`pip install ./runtime` works offline (no index, no build isolation
needed) and installs a package whose C extension and fallback both work."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

from rtsupport import ROOT

CHECK = textwrap.dedent("""
    import sst_runtime as rt
    rt.configure(memory=True)
    v = rt.tag_value(("jane@example.com" + "!")[:-1], "email")
    rt.external("requests.post", lambda *a: None, ())("https://api.example.com/x", v)
    e = rt.events()[0]
    print(rt.IMPLEMENTATION, e["service"], e["destination"], e["categories"], e["values"][0]["preview"])
""")


class InstallTests(unittest.TestCase):
    def test_pip_install_offline(self):
        with tempfile.TemporaryDirectory() as target:
            out = subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", "--quiet",
                                  "--target", target, os.path.join(ROOT, "runtime")],
                                 capture_output=True, text=True, cwd=ROOT, timeout=600)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            self.assertTrue(os.path.isfile(os.path.join(target, "sst_runtime", "catalog", "http.cat")))
            for impl in ("c", "python"):
                env = dict(os.environ, PYTHONPATH=target, SST_RUNTIME=impl)
                run = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, env=env,
                                     cwd=target)
                self.assertEqual(run.stderr, "")
                self.assertEqual(run.stdout, f"{impl} requests api.example.com ['email'] j***@e***.com\n")


if __name__ == "__main__":
    unittest.main()
