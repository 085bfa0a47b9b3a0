"""Import-hook mode (sst_runtime/_hook.py, sst_runtime/__main__.py) with the
C extension: the hook's rewrite equals sst-rewrite's for the same file,
module name and configuration; the __pycache__ cache is used, invalidated by
the source's hash, and skipped where it cannot be written; tracebacks,
inspect and pdb see the original lines; opt-outs, the standard library and
site-packages are left alone; `python -m sst_runtime run` runs scripts and
modules as python does.

Every scenario that imports through the hook runs in a fresh interpreter on
a small package built in a temporary directory (an import is done once per
process, and the cache must be seen across processes).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
from typing import Any, Dict, List, Optional

from rtsupport import PYTHON_DIR, ROOT, rt

if rt.IMPLEMENTATION != "c":
    raise SystemExit("test_hook: the import hook needs the C extension (run with SST_RUNTIME=c)")

REWRITER = os.environ.get("SST_REWRITE") or os.path.join(os.path.dirname(PYTHON_DIR), "bin", "sst-rewrite")
TAG = sys.implementation.cache_tag

with open(os.path.join(ROOT, "rewriter", "include", "sst", "rewrite.h"), encoding="utf-8") as _f:
    VERSION = re.search(r'#define SST_VERSION "([^"]+)"', _f.read()).group(1)

MAIL = '''\
"""Sends receipts to customers."""
import logging
import sqlite3

import requests

log = logging.getLogger(__name__)
API = "https://api.mailer.example/v1/send"


class Mailer:
    def __init__(self, db_path):
        self.db = sqlite3.connect(db_path)

    def receipt(self, email, amount):
        body = f"You paid {amount:.2f}"
        self.db.execute("insert into sent values (?, ?)", (email, body))
        log.info("receipt for %s", email)
        return body

    def send(self, email, body):
        return requests.post(API, json={"to": email, "body": body}, timeout=5)


def summary(full_name, items):
    total = sum(price for _, price in items)
    return f"{full_name}: {len(items)} items, {total:.2f}"
'''

FAIL = '''\
"""Charges cards."""
import requests


def charge(email, amount):
    note = f"charge {email}"
    ratio = amount / 0
    return note, ratio


def post(email):
    return requests.post("http://127.0.0.1:1/hook", json={"to": email}, timeout=2)
'''

FILES = {
    "shop/__init__.py": '"""The shop."""\n',
    "shop/mail.py": MAIL,
    "shop/fail.py": FAIL,
    "shop/legacy.py": '"""Old code, audited by hand. SST_DONT_REWRITE"""\nimport requests\n\n\n'
                      'def ping(email):\n    return requests.post("http://127.0.0.1:1/", json={"e": email})\n',
    "shop/notes.py": '"""Notes."""\n# SST_DONT_REWRITE in a comment is no opt-out\n\n\n'
                     'def keep(email):\n    return print(email)\n',
    "shop/cli.py": 'import sys\n\nimport shop.mail\n\nprint(sys.argv)\nprint(__name__, __spec__.name, __package__)\n'
                   'print("rewritten", "__sst__" in globals(), "__sst__" in vars(shop.mail))\n',
    "shop/__main__.py": 'import sys\n\nprint("package main", sys.argv[1:], __spec__.name, "__sst__" in globals())\n',
    "app.py": textwrap.dedent('''\
        import os
        import sys

        import shop.mail


        def greet(email):
            return "hi " + email


        print(sys.argv)
        print(__name__, __file__ == os.path.abspath("app.py"), sys.path[0] == os.getcwd(), __spec__)
        print(greet("jane@example.com"))
        print("rewritten", "__sst__" in globals(), "__sst__" in vars(shop.mail))
        raise SystemExit(7)
        '''),
    "boom.py": 'import shop.fail\nshop.fail.charge("jane@example.com", 2)\n',
}

# What a child prints: the hook's counters and what it was asked to report.
PRELUDE = '''\
import json, sys
import sst_runtime as rt
rt.configure(audit_log=None, memory=True)
finder = rt.install_import_hook(**HOOK_ARGS)
'''


def shape(code: Any) -> Any:
    """What a code object runs, and on which lines (not its column table)."""
    consts = tuple(shape(c) if hasattr(c, "co_code") else c for c in code.co_consts)
    return (code.co_name, code.co_code, code.co_names, code.co_varnames, consts, tuple(code.co_lines()))


class HookCase(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="sst-hook-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.proj = os.path.join(self.tmp, "proj")
        for rel, text in FILES.items():
            self.write(rel, text)

    def write(self, rel: str, text: str) -> str:
        path = os.path.join(self.proj, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def path(self, rel: str) -> str:
        return os.path.join(self.proj, rel)

    def env(self, **extra: str) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "SST_AUDIT_LOG", "SST_TRACE")}
        env.update(PYTHONPATH=PYTHON_DIR, SST_RUNTIME="c")
        env.update(extra)
        return env

    def child(self, body: str, hook: Optional[Dict[str, Any]] = None, flags: List[str] = (),
              user: Optional[int] = None, expect_rc: int = 0, **env: str) -> subprocess.CompletedProcess:
        """Runs PRELUDE (install_import_hook(**HOOK)) and BODY in a fresh
        interpreter in the project directory; HOOK None: no hook at all."""
        code = (PRELUDE.replace("HOOK_ARGS", repr(hook)) if hook is not None else "import json, sys\n") + body
        preexec = None
        if user is not None:
            def preexec() -> None:
                os.setgroups([])
                os.setgid(user)
                os.setuid(user)
        run = subprocess.run([sys.executable, *flags, "-c", code], cwd=self.proj, env=self.env(**env),
                             capture_output=True, text=True, timeout=300, preexec_fn=preexec)
        self.assertEqual(run.returncode, expect_rc, run.stdout + run.stderr)
        return run

    def report(self, body: str, hook: Optional[Dict[str, Any]] = None, **kw: Any) -> Any:
        """The JSON the child's BODY prints on its last line (nothing on stderr)."""
        run = self.child(body, {} if hook is None else hook, **kw)
        self.assertEqual(run.stderr, "")
        return json.loads(run.stdout.splitlines()[-1])

    def cli(self, rel: str, *options: str) -> bytes:
        out = os.path.join(self.tmp, "cli-out")
        shutil.rmtree(out, ignore_errors=True)
        run = subprocess.run([REWRITER, "-q", *options, self.path(rel), "-o", out], capture_output=True,
                             text=True, cwd=self.proj)
        self.assertEqual(run.returncode, 0, run.stderr)
        with open(os.path.join(out, os.path.basename(rel)), "rb") as f:
            return f.read()

    def cached(self, directory: str = "shop") -> List[str]:
        pycache = self.path(os.path.join(directory, "__pycache__"))
        return sorted(os.listdir(pycache)) if os.path.isdir(pycache) else []


def stats(rewrites: int = 0, hits: int = 0, writes: int = 0, opted_out: int = 0, failures: int = 0,
          projects: int = 0) -> Dict[str, int]:
    return {"rewrites": rewrites, "cache_hits": hits, "cache_writes": writes, "opted_out": opted_out,
            "failures": failures, "projects": projects}


STATS = 'print(json.dumps({"stats": finder.stats(), "hash": finder.config_hash, REPORT}))\n'


def reporting(setup: str, report: str) -> str:
    return setup + STATS.replace("REPORT", report)


class SameAsCliTests(HookCase):
    def test_rewrite_equals_cli_output_for_each_profile(self):
        from sst_runtime._hook import RewritingFinder
        with open(self.path("shop/mail.py"), "rb") as f:
            source = f.read()
        for profile in ("minimal", "standard", "full"):
            with self.subTest(profile=profile):
                status, output = RewritingFinder(profile=profile).rewrite(source, self.path("shop/mail.py"),
                                                                          "shop.mail")
                self.assertEqual(status, "instrumented")
                self.assertEqual(output, self.cli("shop/mail.py", "--no-config", "--profile", profile))

    def test_extra_catalogue_equals_cli_with_the_same_configuration(self):
        self.write("extra.cat", "service shopsdk host=api.shopsdk.example\nexternal shop_sdk.send\n")
        self.write("sst.toml", 'catalog = ["extra.cat"]\n')
        path = self.write("shop/sdk.py", "import shop_sdk\n\n\ndef sync(email):\n    shop_sdk.send(email)\n")
        from sst_runtime._hook import RewritingFinder
        with open(path, "rb") as f:
            source = f.read()
        status, output = RewritingFinder(catalog=self.path("extra.cat")).rewrite(source, path, "shop.sdk")
        self.assertEqual(status, "instrumented")
        self.assertIn(b'__sst__.external("shop_sdk.send", shop_sdk.send, (email,))(email)', output)
        self.assertEqual(output, self.cli("shop/sdk.py", "--config", self.path("sst.toml")))
        status, without = RewritingFinder().rewrite(source, path, "shop.sdk")
        self.assertNotIn(b"__sst__.external", without)
        self.assertEqual(without, self.cli("shop/sdk.py", "--no-config"))

    def test_imported_module_runs_the_cli_output(self):
        cli = self.cli("shop/mail.py", "--no-config")
        got = self.report(reporting(SHAPE_SOURCE + "import shop.mail\n", '''
            "functions": [repr(shape(f.__code__)) for f in (shop.mail.Mailer.__init__,
                          shop.mail.Mailer.receipt, shop.mail.Mailer.send, shop.mail.summary)],
            "bound": "__sst__" in vars(shop.mail)'''))
        module = compile(cli, self.path("shop/mail.py"), "exec", dont_inherit=True)
        consts = {c.co_name: c for c in module.co_consts if hasattr(c, "co_code")}
        klass = {c.co_name: c for c in consts["Mailer"].co_consts if hasattr(c, "co_code")}
        want = [repr(shape(c)) for c in (klass["__init__"], klass["receipt"], klass["send"], consts["summary"])]
        self.assertEqual(got["functions"], want)
        self.assertTrue(got["bound"])
        self.assertEqual(got["stats"], stats(rewrites=2, writes=2, projects=1))


SHAPE_SOURCE = '''
def shape(code):
    consts = tuple(shape(c) if hasattr(c, "co_code") else c for c in code.co_consts)
    return (code.co_name, code.co_code, code.co_names, code.co_varnames, consts, tuple(code.co_lines()))
'''


class CacheTests(HookCase):
    IMPORT = reporting("import shop.mail\n", '"summary": shop.mail.summary("Jane", [("a", 1.5)])')

    def test_warm_cache_is_used_and_invalidated_by_the_source_hash(self):
        first = self.report(self.IMPORT)
        self.assertEqual(first["stats"], stats(rewrites=2, writes=2, projects=1))
        self.assertEqual(first["summary"], "Jane: 1 items, 1.50")
        suffix = f".{TAG}-sst-{VERSION}-{first['hash']}.pyc"
        self.assertRegex(first["hash"], r"^[0-9a-f]{16}$")
        self.assertEqual(self.cached(), ["__init__" + suffix, "mail" + suffix])

        second = self.report(self.IMPORT)
        self.assertEqual(second["stats"], stats(hits=2))
        self.assertEqual(second["summary"], "Jane: 1 items, 1.50")

        # same size, same mtime, other bytes: only the hash can tell
        path = self.path("shop/mail.py")
        before = os.stat(path)
        with open(path, "w", encoding="utf-8") as f:
            f.write(MAIL.replace("items,", "ITEMS,"))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        self.assertEqual(os.stat(path).st_size, before.st_size)
        third = self.report(self.IMPORT)
        self.assertEqual(third["stats"], stats(rewrites=1, hits=1, writes=1, projects=1))
        self.assertEqual(third["summary"], "Jane: 1 ITEMS, 1.50")
        self.assertEqual(self.cached(), ["__init__" + suffix, "mail" + suffix])   # replaced, no temp left

        fourth = self.report(self.IMPORT)
        self.assertEqual(fourth["stats"], stats(hits=2))
        self.assertEqual(fourth["summary"], "Jane: 1 ITEMS, 1.50")

    def test_each_configuration_has_its_own_cache_file(self):
        standard = self.report(self.IMPORT)
        minimal = self.report(self.IMPORT, hook={"profile": "minimal"})
        self.assertEqual(minimal["stats"], stats(rewrites=2, writes=2, projects=1))
        self.assertNotEqual(minimal["hash"], standard["hash"])
        names = [f"{m}.{TAG}-sst-{VERSION}-{h}.pyc" for m in ("__init__", "mail")
                 for h in (standard["hash"], minimal["hash"])]
        self.assertEqual(self.cached(), sorted(names))
        self.assertEqual(self.report(self.IMPORT, hook={"profile": "minimal"})["stats"], stats(hits=2))
        self.assertEqual(self.report(self.IMPORT)["stats"], stats(hits=2))

    def test_read_only_package_runs_without_a_cache(self):
        for d in (self.tmp, self.proj):
            os.chmod(d, 0o755)
        os.chmod(self.path("shop"), 0o555)
        self.addCleanup(os.chmod, self.path("shop"), 0o755)
        user = 65534 if os.geteuid() == 0 else None   # root writes anywhere: run as nobody
        for _ in range(2):
            got = self.report(self.IMPORT, user=user)
            self.assertEqual(got["stats"], stats(rewrites=2, projects=1))
            self.assertEqual(got["summary"], "Jane: 1 items, 1.50")
            self.assertEqual(self.cached(), [])

    def test_no_cache_under_dont_write_bytecode(self):
        for _ in range(2):
            got = self.report(self.IMPORT, flags=["-B"])
            self.assertEqual(got["stats"], stats(rewrites=2, projects=1))
            self.assertEqual(self.cached(), [])

    def test_pycache_prefix_is_honoured(self):
        prefix = os.path.join(self.tmp, "prefix")
        got = self.report(self.IMPORT, PYTHONPYCACHEPREFIX=prefix)
        self.assertEqual(got["stats"], stats(rewrites=2, writes=2, projects=1))
        self.assertEqual(self.cached(), [])
        mirrored = os.path.join(prefix, self.path("shop").lstrip(os.sep))
        suffix = f".{TAG}-sst-{VERSION}-{got['hash']}.pyc"
        self.assertEqual(sorted(os.listdir(mirrored)), ["__init__" + suffix, "mail" + suffix])
        self.assertEqual(self.report(self.IMPORT, PYTHONPYCACHEPREFIX=prefix)["stats"], stats(hits=2))

    def test_concurrent_imports_from_threads(self):
        # The libraries the modules import are loaded first: a first import
        # of requests (whose urllib3 goes through six's meta-path importer,
        # which imports while CPython 3.11 holds the global import lock) in
        # one thread and of sqlite3 in another can deadlock in the import
        # system itself, with or without the hook.
        got = self.report(reporting('''
import threading, requests, sqlite3, logging
mods = {}
def load(name):
    mods[name] = __import__(name, fromlist=["summary"])
threads = [threading.Thread(target=load, args=(n,)) for n in ("shop.mail", "shop.notes", "shop.fail")]
for t in threads:
    t.start()
for t in threads:
    t.join()
''', '"bound": sorted(n for n, m in mods.items() if "__sst__" in vars(m))'))
        self.assertEqual(got["bound"], ["shop.fail", "shop.mail", "shop.notes"])
        self.assertEqual(got["stats"], stats(rewrites=4, writes=4, projects=1))   # one project, built once
        self.assertEqual(len(self.cached()), 4)

    def test_recursion_guard_leaves_the_hooks_own_imports_alone(self):
        got = self.report(reporting('''
import importlib.util
seen = []
real = finder._ext
class Spy:
    def __getattr__(self, name):
        return getattr(real, name)
    def rewrite_source(self, *args):
        seen.append(type(importlib.util.find_spec("shop.notes").loader).__name__)
        return real.rewrite_source(*args)
finder._ext = Spy()
import shop.mail
''', '"during": seen, "after": type(importlib.util.find_spec("shop.notes").loader).__name__'),
            hook={"include": ["shop"]})
        # shop/__init__ and shop.mail were rewritten; each time the hook's own lookup got the plain loader
        self.assertEqual(got["during"], ["SourceFileLoader", "SourceFileLoader"])
        self.assertEqual(got["after"], "RewritingLoader")


CLIENTS = 'import requests\n\nhttp = requests.Session()\n'
NOTIFY = ('from .clients import http\n\n\n'
          'def ping(email):\n    return http.post("http://127.0.0.1:1/", json={"to": email}, timeout=1)\n')
WRAPPED = b'__sst__.external("requests.Session().post", http.post, (email,))'


def cli_names(tree: str) -> Dict[str, Any]:
    """rel path -> (module name, is_package) as sst-rewrite names the files
    of TREE (the chain of directories with an __init__.py)."""
    out = {}
    for dirpath, dirs, files in os.walk(tree):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            stem = name[:-3]
            parts = [] if stem == "__init__" else [stem]
            d = dirpath
            while os.path.isfile(os.path.join(d, "__init__.py")):
                parts.insert(0, os.path.basename(d))
                d = os.path.dirname(d)
            out[os.path.relpath(path, tree)] = (".".join(parts), stem == "__init__")
    return out


class ProjectTests(HookCase):
    """A module of a package is rewritten against the whole package, as
    sst-rewrite rewrites it; its cache entry follows the other modules."""

    def test_every_package_module_equals_the_cli_output_of_the_tree(self):
        # clients made in one module and used in another, re-exported through
        # a package __init__, self attributes used in a subclass elsewhere
        from sst_runtime._hook import RewritingFinder
        cases = [(os.path.join(ROOT, "fixtures", "projects", "pkg_init"), "clinic/api.py"),
                 (os.path.join(ROOT, "fixtures", "projects", "self_attrs"), "care/reminders.py"),
                 (os.path.join(ROOT, "fixtures", "budget_tracker"), "budget/insight.py")]
        for tree, cross in cases:
            with self.subTest(tree=os.path.basename(tree)):
                out = os.path.join(self.tmp, "out-" + os.path.basename(tree))
                run = subprocess.run([REWRITER, tree, "-o", out, "-q", "--no-config"], capture_output=True,
                                     text=True)
                self.assertEqual(run.returncode, 0, run.stderr)
                finder = RewritingFinder()
                compared = []
                for rel, (name, is_package) in cli_names(tree).items():
                    if "." not in name and not is_package:
                        continue    # a top-level module's project is the top-level modules beside it
                    path = os.path.join(tree, rel)
                    with open(path, "rb") as f:
                        source = f.read()
                    with open(os.path.join(out, rel), "rb") as f:
                        want = f.read()
                    self.assertEqual(finder.rewrite(source, path, name, is_package)[1], want, rel)
                    compared.append(rel)
                self.assertEqual(finder.stats()["projects"], 1)
                self.assertGreaterEqual(len(compared), 5)
                # the cross-module module needs the project: alone it is rewritten otherwise
                with open(os.path.join(tree, cross), "rb") as f:
                    source = f.read()
                name, is_package = cli_names(tree)[cross]
                alone = finder._ext.rewrite_source(finder.catalog(), source, os.path.join(tree, cross), name,
                                                   is_package, "standard")[1]
                with open(os.path.join(out, cross), "rb") as f:
                    self.assertNotEqual(alone, f.read())

    def test_a_top_level_module_is_rewritten_with_the_modules_beside_it(self):
        # a flat layout: app.py uses the client clients.py makes, no package
        from sst_runtime import _sst
        from sst_runtime._hook import RewritingFinder
        flat = os.path.join(self.tmp, "flat")
        files = {"clients.py": "import requests\n\nhttp = requests.Session()\n",
                 "app.py": "from clients import http\n\n\ndef send(email):\n"
                           "    return http.post('https://crm.example/v1', json={'email': email})\n",
                 "tools/__init__.py": "", "tools/fmt.py": "def fmt(name):\n    return name.title()\n"}
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(flat, rel)), exist_ok=True)
            with open(os.path.join(flat, rel), "w", encoding="utf-8") as f:
                f.write(text)
        self.assertEqual(_sst.package_files(flat, flat=True)[1].split("\0"), ["app.py", "clients.py"])
        out = os.path.join(self.tmp, "flat-out")
        run = subprocess.run([REWRITER, flat, "-o", out, "-q", "--no-config"], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        finder = RewritingFinder()
        for rel in ("app.py", "clients.py"):
            with open(os.path.join(flat, rel), "rb") as f:
                source = f.read()
            with open(os.path.join(out, rel), "rb") as f:
                want = f.read()
            self.assertEqual(finder.rewrite(source, os.path.join(flat, rel), rel[:-3])[1], want, rel)
        self.assertEqual(finder.stats()["projects"], 1)
        # the call is wrapped only with clients.py known: alone, app.py is rewritten otherwise
        with open(os.path.join(out, "app.py"), "rb") as f:
            cli = f.read()
        self.assertIn(b'__sst__.external("requests.Session().post", http.post', cli)
        with open(os.path.join(flat, "app.py"), "rb") as f:
            alone = finder._ext.rewrite_source(finder.catalog(), f.read(), os.path.join(flat, "app.py"), "app",
                                               False, "standard")[1]
        self.assertNotEqual(alone, cli)

    IMPORT = reporting(SHAPE_SOURCE + "import shop.notify\n", '"wrapped": repr(shape(shop.notify.ping.__code__))')

    def notify_shape(self, clients: str) -> Any:
        """The shape of ping, and notify.py, as the CLI rewrites the package with CLIENTS."""
        tree = os.path.join(self.tmp, "cli-tree")
        shutil.rmtree(tree, ignore_errors=True)
        for rel, text in (("shop/__init__.py", FILES["shop/__init__.py"]), ("shop/clients.py", clients),
                          ("shop/notify.py", NOTIFY)):
            os.makedirs(os.path.dirname(os.path.join(tree, rel)), exist_ok=True)
            with open(os.path.join(tree, rel), "w", encoding="utf-8") as f:
                f.write(text)
        out = os.path.join(self.tmp, "cli-tree-out")
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([REWRITER, tree, "-o", out, "-q", "--no-config"], check=True)
        with open(os.path.join(out, "shop", "notify.py"), "rb") as f:
            cli = f.read()
        module = compile(cli, self.path("shop/notify.py"), "exec", dont_inherit=True)
        ping = next(c for c in module.co_consts if getattr(c, "co_name", "") == "ping")
        return repr(shape(ping)), cli

    def test_client_of_another_module_is_wrapped_and_the_cache_follows_it(self):
        self.write("shop/clients.py", CLIENTS)
        self.write("shop/notify.py", NOTIFY)
        wrapped, cli = self.notify_shape(CLIENTS)
        self.assertIn(WRAPPED, cli)

        first = self.report(self.IMPORT)
        self.assertEqual(first["wrapped"], wrapped)
        self.assertEqual(first["stats"], stats(rewrites=3, writes=3, projects=1))   # shop, .notify, .clients
        # warm: nothing parsed, no project built
        self.assertEqual(self.report(self.IMPORT)["stats"], stats(hits=3))

        # another module changes, but not what notify sees of it: the
        # entries are checked against the project's digest and kept
        self.write("shop/mail.py", MAIL + "\n# a comment\n")
        again = self.report(self.IMPORT)
        self.assertEqual(again["stats"], stats(hits=3, writes=3, projects=1))   # entries refreshed
        self.assertEqual(again["wrapped"], wrapped)
        self.assertEqual(self.report(self.IMPORT)["stats"], stats(hits=3))

        # the client goes away: notify, unchanged itself, is rewritten
        self.write("shop/clients.py", "http = None\n")
        plain, cli = self.notify_shape("http = None\n")
        self.assertNotIn(WRAPPED, cli)
        self.assertNotEqual(plain, wrapped)
        gone = self.report(self.IMPORT)
        self.assertEqual(gone["wrapped"], plain)
        self.assertEqual(gone["stats"], stats(rewrites=3, writes=3, projects=1))
        self.assertEqual(self.report(self.IMPORT)["stats"], stats(hits=3))

    def test_package_files_are_those_sst_rewrite_walks(self):
        from sst_runtime import _sst
        for rel in ("shop/sub/deep.py", "shop/tool.pyw", "shop/data.txt", "shop/__pycache__/x.py",
                    "shop/.git/hooks.py", "shop/venv/lib.py", "shop/venv/pyvenv.cfg", "outside/far.py"):
            self.write(rel, "x = 1\n")
        os.symlink(self.path("outside"), self.path("shop/linked"))        # leaves the tree: not followed
        os.symlink(self.path("shop/sub"), self.path("shop/again"))         # inside: followed
        os.symlink(self.path("shop"), self.path("shop/sub/loop"))          # a loop: not followed
        stamp, rels = _sst.package_files(self.path("shop"))
        self.assertEqual(rels.split("\0"), ["__init__.py", "__main__.py", "again/deep.py", "cli.py", "fail.py",
                                            "legacy.py", "mail.py", "notes.py", "sub/deep.py", "tool.pyw"])
        self.assertEqual(len(stamp), 8)
        self.assertEqual(_sst.package_files(self.path("shop"))[0], stamp)
        path = self.path("shop/notes.py")
        os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 1000))
        touched = _sst.package_files(self.path("shop"))[0]
        self.assertNotEqual(touched, stamp)
        self.write("shop/new.py", "")
        self.assertNotIn(_sst.package_files(self.path("shop"))[0], (stamp, touched))
        self.assertEqual(_sst.package_files(self.path("missing")), (_sst.package_files(self.path("missing"))[0], ""))

    def test_a_module_edited_after_the_project_was_built_is_rewritten_from_its_bytes(self):
        # the parse held since the project was built is not used for other bytes
        self.write("shop/clients.py", CLIENTS)
        self.write("shop/notify.py", NOTIFY)
        from sst_runtime._hook import RewritingFinder
        finder = RewritingFinder()
        with open(self.path("shop/__init__.py"), "rb") as f:
            finder.rewrite(f.read(), self.path("shop/__init__.py"), "shop", True)
        edited = NOTIFY.replace("timeout=1", "timeout=2").encode()
        status, output = finder.rewrite(edited, self.path("shop/notify.py"), "shop.notify")
        self.assertEqual(status, "instrumented")
        self.assertIn(WRAPPED + b'("http://127.0.0.1:1/", json={"to": email}, timeout=2)', output)
        self.assertEqual(finder.stats()["projects"], 1)


class OriginalLinesTests(HookCase):
    def frame_lines(self, stderr: str, rel: str) -> List[str]:
        """The lines of the traceback frame in REL: header, source, carets."""
        lines = stderr.splitlines()
        start = next(i for i, line in enumerate(lines) if f'File "{self.path(rel)}"' in line and "<module>" not in line)
        end = start + 1
        while end < len(lines) and not lines[end].startswith("  File ") and lines[end].startswith("    "):
            end += 1
        return lines[start:end]

    def test_traceback_names_the_original_line(self):
        body = ('import shop.fail\nprint("bound", "__sst__" in vars(shop.fail), flush=True)\n'
                'shop.fail.charge("jane@example.com", 2)\n')
        hooked = self.child(body, {}, expect_rc=1)
        plain = self.child(body, None, expect_rc=1)
        self.assertEqual(hooked.stdout, "bound True\n")
        self.assertEqual(plain.stdout, "bound False\n")
        want = [f'  File "{self.path("shop/fail.py")}", line 7, in charge',
                "    ratio = amount / 0",
                "            ~~~~~~~^~~"]
        self.assertEqual(self.frame_lines(hooked.stderr, "shop/fail.py"), want)
        self.assertEqual(self.frame_lines(plain.stderr, "shop/fail.py"), want)
        self.assertTrue(hooked.stderr.endswith("ZeroDivisionError: division by zero\n"), hooked.stderr)

    def test_traceback_through_a_wrapped_call_marks_the_original_call(self):
        body = 'import shop.fail\nshop.fail.post("jane@example.com")\n'
        hooked = self.child(body, {}, expect_rc=1)
        plain = self.child(body, None, expect_rc=1)
        call = 'requests.post("http://127.0.0.1:1/hook", json={"to": email}, timeout=2)'
        want = [f'  File "{self.path("shop/fail.py")}", line 12, in post',
                "    return " + call,
                "           " + "^" * len(call)]
        self.assertEqual(self.frame_lines(plain.stderr, "shop/fail.py"), want)
        self.assertEqual(self.frame_lines(hooked.stderr, "shop/fail.py"), want)
        self.assertIn("requests.exceptions.ConnectionError", hooked.stderr)

    def test_inspect_getsource_and_line_events_see_the_original(self):
        body = SHAPE_SOURCE + '''
import inspect
import shop.mail
lines = []
def tracer(frame, event, arg):
    if frame.f_code.co_name == "summary":
        if event == "line":
            lines.append(frame.f_lineno)
        return tracer
    return None
sys.settrace(tracer)
shop.mail.summary("Jane", [("a", 1.5)])
sys.settrace(None)
print(json.dumps({"source": inspect.getsource(shop.mail.summary), "lines": lines,
                  "bound": "__sst__" in vars(shop.mail), "first": shop.mail.summary.__code__.co_firstlineno}))
'''
        hooked = json.loads(self.child(body, {}).stdout)
        plain = json.loads(self.child(body, None).stdout)
        self.assertEqual(hooked["source"], 'def summary(full_name, items):\n'
                                           '    total = sum(price for _, price in items)\n'
                                           '    return f"{full_name}: {len(items)} items, {total:.2f}"\n')
        self.assertEqual(hooked["lines"], [26, 27])
        self.assertEqual(hooked["first"], 25)
        self.assertEqual((hooked["bound"], plain["bound"]), (True, False))
        self.assertEqual({k: v for k, v in hooked.items() if k != "bound"},
                         {k: v for k, v in plain.items() if k != "bound"})

    def test_pdb_stops_on_the_original_line(self):
        body = '''
import io, pdb
import shop.mail
out = io.StringIO()
debugger = pdb.Pdb(stdin=io.StringIO("break 27\\ncontinue\\np total\\ncontinue\\n"), stdout=out)
debugger.use_rawinput = False
result = debugger.runcall(shop.mail.summary, "Jane", [("a", 1.5)])
print(json.dumps({"out": out.getvalue(), "result": result, "bound": "__sst__" in vars(shop.mail)}))
'''
        got = json.loads(self.child(body, {}).stdout)
        self.assertTrue(got["bound"])
        self.assertEqual(got["result"], "Jane: 1 items, 1.50")
        mail = self.path("shop/mail.py")
        self.assertEqual(got["out"],
                         f"> {mail}(26)summary()\n"
                         "-> total = sum(price for _, price in items)\n"
                         f"(Pdb) Breakpoint 1 at {mail}:27\n"
                         f"(Pdb) > {mail}(27)summary()\n"
                         '-> return f"{full_name}: {len(items)} items, {total:.2f}"\n'
                         "(Pdb) 1.5\n"
                         "(Pdb) ")


class WhatIsRewrittenTests(HookCase):
    def test_docstring_opt_out(self):
        got = self.report(reporting("import shop.legacy, shop.notes\n",
                                    '"legacy": "__sst__" in vars(shop.legacy), "notes": "__sst__" in vars(shop.notes)'))
        self.assertEqual((got["legacy"], got["notes"]), (False, True))
        self.assertEqual(got["stats"], stats(rewrites=2, writes=3, opted_out=1, projects=1))
        again = self.report(reporting("import shop.legacy\n", '"legacy": "__sst__" in vars(shop.legacy)'))
        self.assertEqual((again["legacy"], again["stats"]), (False, stats(hits=2)))

    def test_standard_library_site_packages_and_sst_runtime_are_left_alone(self):
        site = os.path.join(self.tmp, "lib", "site-packages")
        os.makedirs(site)
        for name in ("vendored_a", "vendored_b", "vendored_c"):
            with open(os.path.join(site, name + ".py"), "w", encoding="utf-8") as f:
                f.write("import requests\n\n\ndef send(email):\n    return requests.post('http://x', json=email)\n")
        body = f'''
sys.path.append({site!r})
was_loaded = "colorsys" in sys.modules
import colorsys, vendored_a, shop.notes
first = finder.stats()
asked = rt.install_import_hook(include=["vendored_b", "vendored_*", "shop", "sst_runtime"])
import vendored_b, vendored_c
print(json.dumps({{"was_loaded": was_loaded, "first": first, "asked": asked.stats(),
                  "bound": ["__sst__" in vars(m) for m in (colorsys, vendored_a, shop.notes, vendored_b, vendored_c)],
                  "runtime": repr(asked.find_spec("sst_runtime._catalog", rt.__path__)),
                  "colorsys": repr(asked.find_spec("colorsys")), "removed": rt.uninstall_import_hook(),
                  "hooks": [type(f).__name__ for f in sys.meta_path if type(f).__name__ == "RewritingFinder"]}}))
'''
        got = json.loads(self.child(body, {}).stdout)
        self.assertFalse(got["was_loaded"])
        self.assertEqual(got["bound"], [False, False, True, True, False])
        self.assertEqual(got["first"], stats(rewrites=2, writes=2, projects=1))
        # a top-level module: the project of the top-level modules beside it
        self.assertEqual(got["asked"], stats(rewrites=1, writes=1, projects=1))
        self.assertEqual((got["runtime"], got["colorsys"]), ("None", "None"))
        self.assertEqual((got["removed"], got["hooks"]), (True, []))
        ours = [n for n in os.listdir(os.path.join(site, "__pycache__")) if "-sst-" in n]
        self.assertEqual([n.split(".")[0] for n in ours], ["vendored_b"])

    def test_include_and_exclude(self):
        self.write("other.py", "def keep(email):\n    return print(email)\n")
        got = self.report(reporting("import other, shop.mail, shop.notes\n", '"bound": ["__sst__" in vars(m) '
                                    'for m in (other, shop, shop.mail, shop.notes)]'),
                          hook={"include": "shop", "exclude": ["shop.no*"]})
        self.assertEqual(got["bound"], [False, False, True, False])
        self.assertEqual(got["stats"], stats(rewrites=2, writes=2, projects=1))

    def test_unparseable_and_undecodable_modules_fail_as_without_the_hook(self):
        self.write("shop/broken.py", "def f(:\n    pass\n")
        with open(self.path("shop/badcode.py"), "wb") as f:
            f.write(b"# -*- coding: no-such-codec -*-\nx = 1\n")
        body = '''
out = []
for name in ("shop.broken", "shop.badcode"):
    try:
        __import__(name)
    except SyntaxError as exc:
        out.append([type(exc).__name__, exc.msg, exc.filename, exc.lineno])
print(json.dumps(out))
'''
        hooked = self.child(body, {})
        plain = self.child(body, None)
        self.assertEqual(hooked.stderr, "")
        self.assertEqual(json.loads(hooked.stdout), json.loads(plain.stdout))
        self.assertEqual(json.loads(hooked.stdout)[0],
                         ["SyntaxError", "invalid syntax", self.path("shop/broken.py"), 1])
        self.assertEqual(json.loads(hooked.stdout)[1][:2], ["SyntaxError", "unknown encoding: no-such-codec"])

    def test_a_module_the_rewriter_fails_on_is_imported_unchanged_with_one_warning(self):
        # what the core answers is replaced: a parse it cannot do, an output that does not compile
        body = reporting('''
real = finder._ext
class Fake:
    def __getattr__(self, name):
        return getattr(real, name)
    def rewrite_source(self, catalog, source, path, module, is_package, profile, project):
        if module == "shop.notes":
            return ("unparseable", source, 0, (), 3, "a construct it does not know", "utf-8")
        if module == "shop.mail":
            return ("instrumented", source + b"def broken(:\\n", 1, ((len(source), 13),), 0, "", "utf-8")
        return real.rewrite_source(catalog, source, path, module, is_package, profile, project)
finder._ext = Fake()
import shop.notes, shop.mail
''', '"bound": ["__sst__" in vars(m) for m in (shop.notes, shop.mail)], "keep": shop.mail.summary("J", [])')
        run = self.child(body, {})
        got = json.loads(run.stdout.splitlines()[-1])
        self.assertEqual(got["bound"], [False, False])
        self.assertEqual(got["keep"], "J: 0 items, 0.00")
        self.assertEqual(got["stats"], stats(rewrites=3, writes=1, failures=2, projects=1))   # failures are not cached
        self.assertEqual(run.stderr,
                         f"sst_runtime: import hook: {self.path('shop/notes.py')}:3: cannot parse "
                         "(a construct it does not know); imported unchanged\n"
                         f"sst_runtime: import hook: {self.path('shop/mail.py')}:28: the rewritten code does not "
                         "compile (invalid syntax); imported unchanged\n")

    def test_installing_imports_nothing_but_the_hook(self):
        # Start-up cost: no importlib package, typing, __future__ or types;
        # the catalogue is not parsed until a module is rewritten.
        run = self.child('''
before = set(sys.modules)
import sst_runtime
finder = sst_runtime.install_import_hook()
print(json.dumps(sorted(set(sys.modules) - before)))
''', hook=None)
        self.assertEqual(json.loads(run.stdout), ["atexit", "sst_runtime", "sst_runtime._hook", "sst_runtime._sst"])

    def test_bad_arguments_are_refused_at_install(self):
        from sst_runtime._hook import RewritingFinder
        with self.assertRaisesRegex(ValueError, r"^profile must be one of minimal, standard, full, not 'fast'$"):
            RewritingFinder(profile="fast")
        bad = self.write("bad.cat", "service x\nexternal not..a.path\n")
        with self.assertRaisesRegex(ValueError, "^" + re.escape(bad) + r":2: "):
            RewritingFinder(catalog=bad)


class RunTests(HookCase):
    def setUp(self) -> None:
        super().setUp()
        self.audit_log = os.path.join(self.tmp, "audit.jsonl")

    def audit(self) -> List[Dict[str, Any]]:
        with open(self.audit_log, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def run_main(self, *args: str, rc: int = 0, **env: str) -> subprocess.CompletedProcess:
        env.setdefault("SST_AUDIT_LOG", self.audit_log)
        run = subprocess.run([sys.executable, "-m", "sst_runtime", *args], cwd=self.proj, env=self.env(**env),
                             capture_output=True, text=True, timeout=300)
        self.assertEqual(run.returncode, rc, run.stdout + run.stderr)
        return run

    def test_run_script_with_its_arguments(self):
        run = self.run_main("run", "app.py", "one", "--two", rc=7)
        self.assertEqual(run.stdout, "['app.py', 'one', '--two']\n"
                                     "__main__ True True None\n"
                                     "hi jane@example.com\n"
                                     "rewritten True True\n")
        self.assertEqual(run.stderr, "")
        # the entry script itself is instrumented: greet's parameter reaches print
        self.assertEqual([(e["kind"], e["sink"], e["file"], e["line"], e["function"], e["categories"])
                          for e in self.audit()],
                         [("store", "print", self.path("app.py"), 13, "<module>", ["email"])])
        plain = subprocess.run([sys.executable, "app.py", "one", "--two"], cwd=self.proj, env=self.env(),
                               capture_output=True, text=True)
        self.assertEqual(plain.returncode, 7)
        self.assertEqual(plain.stdout, run.stdout.replace("rewritten True True", "rewritten False False"))
        self.assertIn(f"app.{TAG}-sst-{VERSION}-", " ".join(self.cached(".")))

    def test_run_script_options_come_before_it(self):
        run = self.run_main("run", "--profile", "minimal", "--exclude", "shop.mail", "app.py", "--profile", rc=7)
        self.assertEqual(run.stdout.splitlines()[0], "['app.py', '--profile']")
        self.assertEqual(run.stdout.splitlines()[-1], "rewritten True False")

    def test_uncaught_exception_in_script(self):
        run = self.run_main("run", "boom.py", rc=1)
        self.assertEqual(run.stdout, "")
        self.assertEqual(run.stderr.splitlines()[:6], [
            "Traceback (most recent call last):",
            f'  File "{self.path("boom.py")}", line 2, in <module>',
            '    shop.fail.charge("jane@example.com", 2)',
            f'  File "{self.path("shop/fail.py")}", line 7, in charge',
            "    ratio = amount / 0",
            "            ~~~~~~~^~~"])
        self.assertEqual(run.stderr.splitlines()[6:], ["ZeroDivisionError: division by zero"])

    def test_script_that_does_not_compile(self):
        self.write("bad.py", "x = 1\ndef f(:\n    pass\n")
        plain = subprocess.run([sys.executable, "bad.py"], cwd=self.proj, env=self.env(), capture_output=True,
                               text=True)
        run = self.run_main("run", "bad.py", rc=1)
        self.assertEqual(run.stderr, plain.stderr)
        self.assertEqual(run.stderr.splitlines()[0], f'  File "{self.path("bad.py")}", line 2')

    def test_run_module_and_package(self):
        run = self.run_main("run", "-m", "shop.cli", "a", "-b")
        self.assertEqual(run.stdout, f"['{self.path('shop/cli.py')}', 'a', '-b']\n"
                                     "__main__ shop.cli shop\n"
                                     "rewritten True True\n")
        self.assertEqual(run.stderr, "")
        plain = subprocess.run([sys.executable, "-m", "shop.cli", "a", "-b"], cwd=self.proj, env=self.env(),
                               capture_output=True, text=True)
        self.assertEqual(plain.stdout, run.stdout.replace("rewritten True True", "rewritten False False"))
        package = self.run_main("run", "-m", "shop", "x")
        self.assertEqual(package.stdout, "package main ['x'] shop.__main__ True\n")

    def test_usage_and_errors(self):
        self.assertTrue(self.run_main("--help").stdout.startswith(
            "usage: python -m sst_runtime run [OPTION]... SCRIPT [ARG]...\n"))
        self.assertEqual(self.run_main("run", "--help").stdout, self.run_main("-h").stdout)
        self.assertTrue(self.run_main(rc=2).stderr.startswith("usage: "))
        self.assertEqual(self.run_main("run", "missing.py", rc=2).stderr,
                         f"sst_runtime: can't open file '{self.path('missing.py')}': "
                         "[Errno 2] No such file or directory\n")
        self.assertEqual(self.run_main("run", "-m", "missing", rc=1).stderr, "sst_runtime: No module named missing\n")
        self.assertEqual(self.run_main("run", "--profile", "fast", "app.py", rc=2).stderr,
                         "sst_runtime: run: --profile must be one of minimal, standard, full, not 'fast'\n")
        self.assertEqual(self.run_main("run", "--bogus", "app.py", rc=2).stderr,
                         "sst_runtime: run: unknown option '--bogus' (see python -m sst_runtime --help)\n")
        self.assertEqual(self.run_main("run", rc=2).stderr,
                         "sst_runtime: run: a script or -m MODULE is needed (see python -m sst_runtime --help)\n")
        self.assertEqual(self.run_main("frobnicate", rc=2).stderr,
                         "sst_runtime: unknown command 'frobnicate' (see python -m sst_runtime --help)\n")


if __name__ == "__main__":
    unittest.main()
