"""End-to-end tests of the sst-rewrite binary (path in $SST_REWRITE).

Each test builds a small source tree in a scratch directory, runs the
binary and checks exact results: the files and modes in OUT, the exit
status, the messages, the diff (also against GNU diff), the manifest
(hashes recomputed here with libxxhash through ctypes) and re-runs.
"""

from __future__ import annotations

import ctypes
import json
import os
import pty
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BINARY = os.path.abspath(os.environ.get("SST_REWRITE", str(ROOT / "build" / "bin" / "sst-rewrite")))

_xxh = ctypes.CDLL("libxxhash.so.0")
_xxh.XXH3_64bits.restype = ctypes.c_uint64
_xxh.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]


def xxh3(data: bytes) -> str:
    """XXH3-64 of DATA as the manifest writes it."""
    return "%016x" % _xxh.XXH3_64bits(data, len(data))


def header_version() -> tuple[str, int]:
    text = (ROOT / "rewriter" / "include" / "sst" / "rewrite.h").read_text()
    version = re.search(r'#define SST_VERSION "([^"]+)"', text).group(1)
    abi = int(re.search(r"#define SST_ABI_VERSION (\d+)", text).group(1))
    return version, abi


VERSION, ABI = header_version()

APP = b'''"""Sends mail."""
import requests


def notify(email):
    requests.post("https://api.example.com/v1", json={"to": email})
    return True
'''

# The same with the minimal profile's insertions, as docs/abi.md defines them.
APP_MINIMAL = b'''"""Sends mail."""; import sst_runtime as __sst__; __sst__.abi(1)
import requests


def notify(email):
    __sst__.external("requests.post", requests.post, (email,))("https://api.example.com/v1", json={"to": email})
    return True
'''

PLAIN = b"import os\n\nPATH = os.sep\n"
PY2 = b"import sys\n\n\nprint 'hello'\n"
BROKEN = b"def f(:\n    pass\n"


def write(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every regular file under ROOT: relative path -> (bytes, mode)."""
    files = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            p = Path(dirpath) / name
            if p.is_symlink() or not p.is_file():
                continue
            files[str(p.relative_to(root))] = (p.read_bytes(), p.stat().st_mode & 0o7777)
    return files


def stamps(root: Path) -> dict[str, tuple[int, int]]:
    """Inode and mtime (ns) of every file under ROOT."""
    out = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            st = os.lstat(Path(dirpath) / name)
            out[str((Path(dirpath) / name).relative_to(root))] = (st.st_ino, st.st_mtime_ns)
    return out


class CliTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="sst-cli-e2e-"))
        self.src = self.tmp / "src"

    def tearDown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_tool(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        env.pop("NO_COLOR", None)
        return subprocess.run([BINARY, *args], cwd=cwd or self.tmp, capture_output=True,
                              env=env, timeout=120)

    def small_tree(self) -> None:
        write(self.src / "app" / "mail.py", APP)
        write(self.src / "app" / "__init__.py", b"")
        write(self.src / "app" / "util.py", PLAIN)
        write(self.src / "legacy.py", PY2)
        write(self.src / "bin" / "run.sh", b"#!/bin/sh\nexec python3 -m app\n", 0o755)
        write(self.src / "static" / "logo.bin", bytes(range(256)), 0o600)

    # ---- layout ----------------------------------------------------------

    def test_mirror_layout_modes_and_skips(self) -> None:
        self.small_tree()
        write(self.src / "app" / "__pycache__" / "mail.cpython-311.pyc", b"\0")
        write(self.src / ".git" / "HEAD", b"ref: main\n")
        write(self.src / ".hg" / "store", b"x")
        write(self.src / ".svn" / "entries", b"x")
        write(self.src / "node_modules" / "x" / "index.js", b"x\n")
        write(self.src / ".venv" / "pyvenv.cfg", b"home = /usr/bin\n")
        write(self.src / ".venv" / "lib" / "site.py", b"x = 1\n")
        write(self.src / "app" / "gen_pb2.py", b"x = 1\n")
        write(self.src / "tests" / "test_x.py", b"x = 1\n")
        write(self.src / "build" / "out" / "old.py", b"x = 1\n")   # OUT inside SRC
        r = self.run_tool("src", "-o", "src/build/out", "--exclude", "*_pb2.py",
                          "--exclude", "tests/")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = tree(self.src / "build" / "out")
        # old.py was in OUT before; src/build/out itself is not copied into OUT
        self.assertEqual(sorted(out), [
            ".sst/manifest.json", ".sst/report.json", "app/__init__.py", "app/mail.py", "app/util.py",
            "bin/run.sh", "legacy.py", "old.py", "static/logo.bin"])
        # files that are not rewritten are byte-identical, with their mode
        src = tree(self.src)
        for rel in ("app/__init__.py", "app/util.py", "legacy.py", "bin/run.sh",
                    "static/logo.bin"):
            self.assertEqual(out[rel], src[rel], rel)
        self.assertEqual(out["bin/run.sh"][1], 0o755)
        self.assertEqual(out["static/logo.bin"][1], 0o600)
        self.assertEqual(out["app/mail.py"][1], 0o644)
        self.assertNotEqual(out["app/mail.py"][0], APP)
        # same number of lines: nothing was added
        self.assertEqual(out["app/mail.py"][0].count(b"\n"), APP.count(b"\n"))

    def test_several_srcs(self) -> None:
        self.small_tree()
        write(self.tmp / "manage.py", PLAIN)
        r = self.run_tool("manage.py", "src/app", "-o", "out")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(tree(self.tmp / "out")), [
            ".sst/manifest.json", ".sst/report.json", "__init__.py", "mail.py", "manage.py", "util.py"])
        # two SRCs mapping to the same path: usage error, nothing written
        write(self.tmp / "other" / "util.py", PLAIN)
        r = self.run_tool("src/app", "other", "-o", "out2")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.decode(),
                         "sst-rewrite: src/app/util.py and other/util.py both map to util.py "
                         "in the output\nTry 'sst-rewrite --help' for more information.\n")
        self.assertFalse((self.tmp / "out2").exists())

    def test_symlink_outside_src_not_followed(self) -> None:
        self.small_tree()
        write(self.tmp / "secret" / "keys.py", b"KEY = 'x'\n")
        os.symlink(self.tmp / "secret", self.src / "secret")
        os.symlink("../secret/keys.py", self.src / "keys.py")
        os.symlink("app/util.py", self.src / "util_link.py")    # inside: followed
        before = {p: v for p, v in tree(self.tmp).items() if not p.startswith("out/")}
        r = self.run_tool("src", "-o", "out")
        self.assertEqual(r.returncode, 0, r.stderr)
        real = os.path.realpath(self.tmp)
        self.assertIn(f"src/keys.py: warning: symlink points outside the source tree (to "
                      f"{real}/secret/keys.py); not followed\n", r.stderr.decode())
        self.assertIn(f"src/secret: warning: symlink points outside the source tree (to "
                      f"{real}/secret); not followed\n", r.stderr.decode())
        out = tree(self.tmp / "out")
        self.assertNotIn("keys.py", out)
        self.assertNotIn("secret/keys.py", out)
        self.assertEqual(out["util_link.py"], (PLAIN, 0o644))
        # nothing changed outside OUT
        after = {p: v for p, v in tree(self.tmp).items() if not p.startswith("out/")}
        self.assertEqual(before, after)

    def test_no_temp_files_left(self) -> None:
        self.small_tree()
        for i in range(30):
            write(self.src / "many" / f"m{i:02d}.py", APP)
        for _ in range(2):
            r = self.run_tool("src", "-o", "out", "-j", "4", "--force")
            self.assertEqual(r.returncode, 0, r.stderr)
        leftovers = [p for p in tree(self.tmp / "out") if Path(p).name.startswith(".sst-tmp-")]
        self.assertEqual(leftovers, [])

    # ---- exit status -----------------------------------------------------

    def test_usage_errors_exit_1_and_write_nothing(self) -> None:
        self.small_tree()
        write(self.tmp / "afile", b"x")
        cases = [
            ((), "no SRC given: name the files or directories to rewrite"),
            (("src",), "nothing to do: give -o OUT to write the instrumented tree, --diff, or --report"),
            (("src", "-o", "out", "--bogus"), "unknown option '--bogus'"),
            (("src", "-o", "out", "-j", "many"), "-j/--jobs wants a number from 0 to 256, not 'many'"),
            (("src", "-o", "out", "--color", "red"), "--color wants auto, always or never, not 'red'"),
            (("src", "-o", "out", "--profile", "max"),
             "--profile wants minimal, standard or full, not 'max'"),
            (("src", "-o", "out", "-q", "-v"), "--quiet and --verbose exclude each other"),
            (("src", "-o"), "option '-o' needs a value"),
            (("src", "-o", "out", "--strict=yes"), "option '--strict' takes no value"),
            (("missing", "-o", "out"), "missing: No such file or directory"),
            (("src", "-o", "afile"), "output 'afile' exists and is not a directory"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                r = self.run_tool(*args)
                self.assertEqual(r.returncode, 1)
                self.assertEqual(r.stdout, b"")
                self.assertEqual(r.stderr.decode(), f"sst-rewrite: {message}\n"
                                 "Try 'sst-rewrite --help' for more information.\n")
                self.assertFalse((self.tmp / "out").exists())
        # SRC inside OUT would overwrite itself
        r = self.run_tool("src/app", "-o", "src")
        self.assertEqual(r.returncode, 1)
        self.assertIn("'src/app' is inside the output 'src'", r.stderr.decode())
        self.assertEqual(tree(self.src)["app/mail.py"][0], APP)

    def test_failures_exit_2_and_the_rest_is_done(self) -> None:
        self.small_tree()
        # a directory where app/util.py must go makes that one write fail
        write(self.tmp / "out" / "app" / "util.py" / "blocker", b"x")
        r = self.run_tool("src", "-o", "out")
        self.assertEqual(r.returncode, 2)
        err = r.stderr.decode()
        self.assertIn("out/app/util.py: error: cannot write (rename): a directory is in the way\n",
                      err)
        self.assertTrue(err.endswith("sst-rewrite: 1 problem made the run fail\n"), err)
        out = tree(self.tmp / "out")
        self.assertIn("app/mail.py", out)
        self.assertEqual(out["legacy.py"][0], PY2)
        manifest = json.loads(out[".sst/manifest.json"][0])
        entry = [f for f in manifest["files"] if f["path"] == "app/util.py"][0]
        self.assertEqual(entry["status"], "error")
        self.assertIsNone(entry["output_hash"])
        # the failed file is retried by the next run, the others are current
        shutil.rmtree(self.tmp / "out" / "app" / "util.py")
        r = self.run_tool("src", "-o", "out", "-v")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("sst-rewrite: 1 file written to out, 5 up to date\n", r.stderr.decode())

    def test_help_and_version(self) -> None:
        r = self.run_tool("--version")
        self.assertEqual((r.returncode, r.stdout.decode()),
                         (0, f"sst-rewrite {VERSION} (injection ABI {ABI})\n"))
        r = self.run_tool("--help")
        self.assertEqual(r.returncode, 0)
        text = r.stdout.decode()
        for word in ("-o, --output OUT", "--diff", "--color WHEN", "--exclude GLOB",
                     "--profile NAME", "--strict", "--force", "--fsync", "-j, --jobs N",
                     "-q, --quiet", "-v, --verbose", "--version", "Exit status:",
                     "  0  ", "  1  ", "  2  ", "Examples:", "manifest.json"):
            self.assertIn(word, text)
        self.assertEqual(self.run_tool("-h").stdout, r.stdout)

    # ---- determinism -----------------------------------------------------

    def test_jobs_do_not_change_output(self) -> None:
        self.small_tree()
        for i in range(40):
            write(self.src / f"pkg{i % 4}" / f"mod{i:02d}.py", APP if i % 3 else PLAIN)
        write(self.src / "pkg1" / "bad.py", BROKEN)
        runs = []
        for jobs, out in (("1", "out1"), ("4", "out4")):
            r = self.run_tool("src", "-o", out, "-j", jobs, "--diff", "-v", "--color", "never")
            self.assertEqual(r.returncode, 0, r.stderr)
            runs.append((r.stdout, r.stderr.replace(out.encode(), b"OUT"), tree(self.tmp / out)))
        self.assertEqual(runs[0][0], runs[1][0])
        self.assertEqual(runs[0][1], runs[1][1])
        self.assertEqual(runs[0][2], runs[1][2])
        # the per-file lines come in sorted order
        lines = [l.split()[1] for l in runs[0][1].decode().splitlines()
                 if re.match(r"^(instrumented|unchanged|unparseable|copied|already) ", l)]
        self.assertEqual(lines, sorted(lines, key=lambda s: s.encode()))
        self.assertEqual(len(lines), 47)

    # ---- diff ------------------------------------------------------------

    def test_diff_exact_and_nothing_written(self) -> None:
        write(self.src / "mail.py", APP)
        write(self.src / "util.py", PLAIN)
        before = sorted(os.listdir(self.tmp))
        r = self.run_tool("src", "--diff", "--profile", "minimal")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(self.tmp)), before)
        self.assertEqual(r.stderr, b"")     # no -o: the diff only, no summary
        self.assertEqual(r.stdout.decode(),
            "--- a/mail.py\n"
            "+++ b/mail.py\n"
            "@@ -1,7 +1,7 @@\n"
            '-"""Sends mail."""\n'
            '+"""Sends mail."""; import sst_runtime as __sst__; __sst__.abi(1)\n'
            " import requests\n"
            " \n"
            " \n"
            " def notify(email):\n"
            '-    requests.post("https://api.example.com/v1", json={"to": email})\n'
            '+    __sst__.external("requests.post", requests.post, (email,))'
            '("https://api.example.com/v1", json={"to": email})\n'
            "     return True\n")
        # coloured: red -, green +, cyan @@, the injected spans in reverse video
        r = self.run_tool("src/mail.py", "--diff", "--profile", "minimal", "--color", "always")
        self.assertEqual(r.stdout.decode().splitlines()[:5], [
            "\033[1m--- a/mail.py\033[m",
            "\033[1m+++ b/mail.py\033[m",
            "\033[36m@@ -1,7 +1,7 @@\033[m",
            '\033[31m-"""Sends mail."""\033[m',
            '\033[32m+"""Sends mail."""\033[1;7m; import sst_runtime as __sst__; '
            '__sst__.abi(1)\033[22;27m\033[m',
        ])
        # auto: no colour into a pipe
        r = self.run_tool("src", "--diff", "--profile", "minimal")
        self.assertNotIn(b"\033[", r.stdout)

    def test_diff_colour_auto_on_a_terminal(self) -> None:
        write(self.src / "mail.py", APP)
        pid, fd = pty.fork()
        if pid == 0:   # the child: never returns into the test runner
            try:
                os.chdir(self.tmp)
                env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
                env["TERM"] = "xterm"
                os.execve(BINARY, [BINARY, "src", "--diff", "-q"], env)
            finally:
                os._exit(127)
        data = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        self.assertIn(b"\033[36m@@ -1,", data)
        self.assertIn(b"\033[1;7m", data)

    def test_diff_matches_gnu_diff(self) -> None:
        self.small_tree()
        write(self.src / "crlf.py", APP.replace(b"\n", b"\r\n"))
        write(self.src / "nonl.py", APP.rstrip(b"\n"))
        write(self.src / "latin.py", b"# -*- coding: latin-1 -*-\nimport requests\n"
              b"def f(email):\n    requests.get('\xe9t\xe9', params={'e': email})\n")
        r = self.run_tool("src", "-o", "out", "--diff", "--color", "never")
        self.assertEqual(r.returncode, 0, r.stderr)
        ours = r.stdout
        theirs = b""
        changed = 0
        for rel in sorted(tree(self.src), key=lambda s: s.encode()):
            a, b = self.src / rel, self.tmp / "out" / rel
            if a.read_bytes() == b.read_bytes():
                continue
            changed += 1
            d = subprocess.run(["diff", "-u", "--label", f"a/{rel}", "--label", f"b/{rel}",
                                str(a), str(b)], capture_output=True).stdout
            theirs += d
        self.assertEqual(changed, 4)
        self.assertEqual(ours, theirs)

    # ---- manifest --------------------------------------------------------

    def test_manifest_exact(self) -> None:
        self.small_tree()
        r = self.run_tool("src", "-o", "out", "--profile", "minimal")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = self.tmp / "out"
        text = (out / ".sst" / "manifest.json").read_bytes()

        def entry(path: str, status: str, encoding: str | None, sites=(), problem=None):
            data = (self.src / path).read_bytes()
            return {"path": path, "status": status, "encoding": encoding,
                    "input_hash": xxh3(data), "output_hash": xxh3((out / path).read_bytes()),
                    "problem": problem, "sites": list(sites), "added_lines": []}

        expected = {
            "manifest": 1, "tool": "sst-rewrite", "version": VERSION, "abi": ABI,
            # the options, the configuration and the project's exports (docs/cli.md)
            "options_hash": json.loads(text)["options_hash"],
            "options": {"profile": "minimal"},
            "files": [
                entry("app/__init__.py", "unchanged", "utf-8"),
                entry("app/mail.py", "instrumented", "utf-8", sites=[
                    {"id": 1, "kind": "prologue", "line": 1, "column": 0, "path": None},
                    {"id": 2, "kind": "external", "line": 6, "column": 4,
                     "path": "requests.post"}]),
                entry("app/util.py", "unchanged", "utf-8"),
                entry("bin/run.sh", "copied", None),
                entry("legacy.py", "unparseable", "utf-8",
                      problem={"line": 4, "message": "a Python 2 print statement"}),
                entry("static/logo.bin", "copied", None),
            ],
        }
        self.assertEqual(json.loads(text), expected)
        self.assertEqual((out / "app" / "mail.py").read_bytes(), APP_MINIMAL)
        # keys in this order, two-space indent: the same bytes every time
        self.assertEqual(list(json.loads(text)), list(expected))
        r = self.run_tool("src", "-o", "again", "--profile", "minimal", "-j", "3")
        self.assertEqual((self.tmp / "again" / ".sst" / "manifest.json").read_bytes(), text)

    def test_manifest_non_utf8_name_is_valid_json(self) -> None:
        write(self.src / "caf\xe9.py".encode("latin-1").decode("utf-8", "surrogateescape"), PLAIN)
        r = self.run_tool("src", "-o", "out")
        self.assertEqual(r.returncode, 0, r.stderr)
        text = (self.tmp / "out" / ".sst" / "manifest.json").read_bytes()
        self.assertIn(b'"path": "caf\\udce9.py"', text)
        paths = [f["path"] for f in json.loads(text)["files"]]
        self.assertEqual([os.fsencode(p) for p in paths], [b"caf\xe9.py"])
        # and it is read back: the re-run is incremental
        r = self.run_tool("src", "-o", "out")
        self.assertIn("nothing rewritten: all 1 file up to date in out", r.stderr.decode())

    # ---- incremental ---------------------------------------------------------

    def test_rerun_rewrites_nothing(self) -> None:
        self.small_tree()
        r = self.run_tool("src", "-o", "out")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = self.tmp / "out"
        first = stamps(out)
        r = self.run_tool("src", "-o", "out", "-v")
        self.assertEqual(r.returncode, 0, r.stderr)
        err = r.stderr.decode()
        self.assertEqual(err.count("up to date)\n"), 6)
        self.assertIn("sst-rewrite: nothing rewritten: all 6 files up to date in out\n", err)
        self.assertEqual(stamps(out), first)      # same inodes, same mtimes, manifest too

        # one input changes, not what it exports: only that file is rewritten
        write(self.src / "app" / "util.py", PLAIN + b"# edited\n")
        r = self.run_tool("src", "-o", "out", "-v")
        self.assertIn("sst-rewrite: 1 file written to out, 5 up to date\n", r.stderr.decode())
        now = stamps(out)
        changed = sorted(k for k in now if now[k] != first[k])
        self.assertEqual(changed, [".sst/manifest.json", "app/util.py"])

        # what a module exports changes: any file may resolve differently, all are rewritten
        write(self.src / "app" / "util.py", PLAIN + b"X = 1\n")
        r = self.run_tool("src", "-o", "out")
        self.assertIn("sst-rewrite: 6 files written to out, 0 up to date\n", r.stderr.decode())
        write(self.src / "app" / "util.py", PLAIN + b"# edited\n")
        r = self.run_tool("src", "-o", "out")
        self.assertIn("sst-rewrite: 6 files written to out, 0 up to date\n", r.stderr.decode())

        # an output edited or removed by hand is rewritten
        (out / "app" / "mail.py").write_bytes(b"tampered\n")
        (out / "legacy.py").unlink()
        r = self.run_tool("src", "-o", "out")
        self.assertIn("sst-rewrite: 2 files written to out, 4 up to date\n", r.stderr.decode())
        self.assertEqual((out / "legacy.py").read_bytes(), PY2)
        self.assertNotEqual((out / "app" / "mail.py").read_bytes(), b"tampered\n")

        # a mode change on the input is carried over
        (self.src / "app" / "util.py").chmod(0o700)
        r = self.run_tool("src", "-o", "out")
        self.assertIn("sst-rewrite: 1 file written to out, 5 up to date\n", r.stderr.decode())
        self.assertEqual((out / "app" / "util.py").stat().st_mode & 0o777, 0o700)

        # other options or --force: everything again
        r = self.run_tool("src", "-o", "out", "--profile", "full")
        self.assertIn("sst-rewrite: 6 files written to out, 0 up to date\n", r.stderr.decode())
        r = self.run_tool("src", "-o", "out", "--profile", "full", "--force")
        self.assertIn("sst-rewrite: 6 files written to out, 0 up to date\n", r.stderr.decode())

        # a damaged manifest is reported and ignored
        (out / ".sst" / "manifest.json").write_bytes(b"{\"manifest\": 1,\n  oops")
        r = self.run_tool("src", "-o", "out", "--profile", "full")
        self.assertEqual(r.returncode, 0)
        self.assertIn("out/.sst/manifest.json:2: warning: invalid JSON: expected a key; "
                      "rewriting every file\n", r.stderr.decode())
        json.loads((out / ".sst" / "manifest.json").read_bytes())

    def test_removed_source_is_reported(self) -> None:
        self.small_tree()
        self.run_tool("src", "-o", "out")
        (self.src / "legacy.py").unlink()
        r = self.run_tool("src", "-o", "out")
        self.assertIn("out/legacy.py: warning: no longer in the sources; left in place\n",
                      r.stderr.decode())
        self.assertTrue((self.tmp / "out" / "legacy.py").exists())

    # ---- unparseable files and the summary ---------------------------------

    def test_unparseable_copied_and_reported(self) -> None:
        self.small_tree()
        write(self.src / "broken.py", BROKEN)
        r = self.run_tool("src", "-o", "out")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stderr.decode().splitlines()
        self.assertEqual(len(lines), 5)
        self.assertRegex(lines[0], r"^src/broken\.py:1: warning: cannot parse \(.+\); "
                                   r"copied unchanged$")
        self.assertEqual(lines[1], "src/legacy.py:4: warning: cannot parse (a Python 2 print "
                                   "statement); copied unchanged")
        self.assertEqual(lines[2], "sst-rewrite: 7 files: 1 instrumented, 2 unchanged, "
                                   "2 unparseable, 2 other files copied; 0 files needed an "
                                   "added line")
        self.assertEqual(lines[3], "sst-rewrite: 7 files written to out, 0 up to date")
        self.assertEqual(lines[4], "sst-rewrite: 1 finding")
        self.assertEqual((self.tmp / "out" / "broken.py").read_bytes(), BROKEN)
        self.assertEqual((self.tmp / "out" / "legacy.py").read_bytes(), PY2)
        # --strict: the same files, now errors, exit 2; -q keeps errors only
        r = self.run_tool("src", "-o", "out2", "--strict", "-q")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.decode().splitlines()[1:], [
            "src/legacy.py:4: error: cannot parse (a Python 2 print statement); copied unchanged",
            "sst-rewrite: 2 problems made the run fail"])
        self.assertEqual((self.tmp / "out2" / "legacy.py").read_bytes(), PY2)

    def test_already_instrumented_passes_through(self) -> None:
        self.small_tree()
        self.run_tool("src", "-o", "out")
        r = self.run_tool("out", "-o", "out2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("sst-rewrite: 6 files: 0 instrumented, 2 unchanged, 1 unparseable, "
                      "1 already instrumented, 2 other files copied; 0 files needed an added "
                      "line\n", r.stderr.decode())
        self.assertEqual((self.tmp / "out2" / "app" / "mail.py").read_bytes(),
                         (self.tmp / "out" / "app" / "mail.py").read_bytes())


    # ---- configuration, report, baseline gate --------------------------------

    def test_config_from_pyproject(self) -> None:
        self.small_tree()
        write(self.src / "pyproject.toml", b'[project]\nname = "app"\n\n[tool.sst]\n'
                                           b'profile = "minimal"\nexclude = ["legacy.py"]\n')
        r = self.run_tool("src", "-o", "out")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = self.tmp / "out"
        self.assertEqual((out / "app" / "mail.py").read_bytes(), APP_MINIMAL)
        manifest = json.loads((out / ".sst" / "manifest.json").read_bytes())
        self.assertEqual(manifest["options"], {"profile": "minimal"})
        status = {f["path"]: f["status"] for f in manifest["files"]}
        self.assertEqual(status["legacy.py"], "copied")       # not selected: copied as it is
        self.assertEqual((out / "legacy.py").read_bytes(), PY2)
        # the command line wins over the file
        r = self.run_tool("src", "-o", "out2", "--profile", "standard")
        self.assertNotEqual((self.tmp / "out2" / "app" / "mail.py").read_bytes(), APP_MINIMAL)

    def test_config_errors_name_file_and_line(self) -> None:
        self.small_tree()
        write(self.src / "sst.toml", b'profile = "minimal"\nprofil = "full"\n')
        r = self.run_tool("src", "-o", "out")
        self.assertEqual(r.returncode, 1)
        # the configuration found is named by its absolute path
        self.assertEqual(r.stderr.decode(), f"{self.src}/sst.toml:2: error: unknown key 'profil' (include, "
                                             "exclude, profile, catalog, disable, first-party, baseline, fail-on)\n")
        self.assertFalse((self.tmp / "out").exists())
        write(self.src / "sst.toml", b'disable = [\n  "requests.post",\n  "no.such.api",\n]\n')
        r = self.run_tool("src", "-o", "out")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.decode(), f"{self.src}/sst.toml:3: error: disable names nothing in the "
                                             "catalogue: 'no.such.api'\n")
        self.assertFalse((self.tmp / "out").exists())
        # a disabled entry is not wrapped
        write(self.src / "sst.toml", b'disable = ["requests.post"]\n')
        r = self.run_tool("src", "--report", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["findings"], [])

    def test_report_baseline_and_gate(self) -> None:
        self.small_tree()
        r = self.run_tool("src", "--report", "json", "-o", "report.json", "--write-baseline", "base.json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"")
        report = json.loads((self.tmp / "report.json").read_bytes())
        (finding,) = report["findings"]
        self.assertEqual((finding["file"], finding["line"], finding["column"], finding["api"],
                          finding["kind"], finding["categories"], finding["scope"]),
                         ("app/mail.py", 6, 5, "requests.post", "external", ["email"], "notify"))
        # an unrelated edit above it: the same fingerprint, nothing new
        write(self.src / "app" / "mail.py", b"# a comment\n" + APP)
        r = self.run_tool("src", "--report", "json", "--baseline", "base.json", "--fail-on", "new")
        self.assertEqual(r.returncode, 0, r.stderr)
        (again,) = json.loads(r.stdout)["findings"]
        self.assertEqual((again["line"], again["fingerprint"], again["baseline"]),
                         (7, finding["fingerprint"], "approved"))
        # a new place personal data goes: the gate fails, after writing the report
        write(self.src / "app" / "track.py", b"import requests\n\n\ndef track(phone):\n"
                                             b"    requests.put('https://t.example.com', data=phone)\n")
        r = self.run_tool("src", "--report", "sarif", "-o", "r.sarif", "--baseline", "base.json",
                          "--fail-on", "new")
        self.assertEqual(r.returncode, 1)
        self.assertIn("sst-rewrite: --fail-on new: 1 finding is not in the baseline\n", r.stderr.decode())
        sarif = json.loads((self.tmp / "r.sarif").read_bytes())
        states = sorted((res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                         res["baselineState"]) for res in sarif["runs"][0]["results"])
        self.assertEqual(states, [("src/app/mail.py", "unchanged"), ("src/app/track.py", "new")])
        # suppressed on its line: the gate passes
        write(self.src / "app" / "track.py", b"import requests\n\n\ndef track(phone):\n"
                                             b"    requests.put('https://t.example.com', data=phone)"
                                             b"  # sst: ignore[external/requests]\n")
        r = self.run_tool("src", "--report", "json", "--baseline", "base.json", "--fail-on", "new")
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
