"""The fixture projects of fixtures/projects/, checked end to end with the
sst-rewrite binary (path in $SST_REWRITE).

Each directory fixtures/projects/NAME is a small multi-module application and
NAME.expected beside it is its static report, written by hand, projected to
one finding a line: `FILE:LINE KIND API CATEGORIES [suppressed]`. For each
project this checks that:

- `sst-rewrite --report json -o REPORT NAME` gives exactly that projection;
- `sst-rewrite NAME -o OUT` writes every Python file, each output compiles,
  and the external, store, log and config sites of OUT/.sst/manifest.json are
  exactly the report's findings (file, line, API path).
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ROOT / "fixtures" / "projects"
BINARY = os.path.abspath(os.environ.get("SST_REWRITE", str(ROOT / "build" / "bin" / "sst-rewrite")))

# Data categories, in the order of docs/catalogue.md.
CATEGORIES = ("email", "phone", "name", "address", "birth_date", "government_id", "financial",
              "health", "credentials", "location", "network_id", "user_text")

# Manifest site kinds that are findings of the report; the others (prologue,
# params, flow, source) are injections that are not.
FINDING_KINDS = ("external", "store", "log", "config")


def project_names() -> list[str]:
    """Every project directory, by name."""
    return sorted(p.name for p in PROJECTS.iterdir() if p.is_dir())


def read_expected(name: str) -> list[str]:
    """The finding lines of NAME.expected: comments and blank lines dropped."""
    lines = []
    for line in (PROJECTS / f"{name}.expected").read_text(encoding="utf-8").splitlines():
        line = line.rstrip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def project(finding: dict) -> str:
    """One finding of a JSON report as a line of a .expected file."""
    categories = ",".join(finding["categories"]) or "-"
    line = f'{finding["file"]}:{finding["line"]} {finding["kind"]} {finding["api"]} {categories}'
    if finding["suppressed"]:
        line += " suppressed"
    return line


def place(line: str) -> tuple[bytes, int, str]:
    """Sort key of a projected finding: file (bytewise), line, then the text."""
    where = line.split(" ", 1)[0]
    path, _, number = where.rpartition(":")
    return (path.encode(), int(number), line)


def python_files(root: Path) -> list[str]:
    """Relative paths of the .py files under ROOT, outside .sst."""
    found = []
    for dirpath, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in (".sst", "__pycache__"))
        for name in names:
            if name.endswith(".py"):
                found.append((Path(dirpath) / name).relative_to(root).as_posix())
    return sorted(found)


class ProjectTest(unittest.TestCase):
    maxDiff = None

    def setUp(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="sst-projects-"))

    def tearDown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_tool(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([BINARY, *args], cwd=ROOT, capture_output=True, timeout=120)

    def report(self, name: str) -> dict:
        """The JSON report of project NAME."""
        out = self.tmp / "report.json"
        r = self.run_tool("--report", "json", "-o", str(out), f"fixtures/projects/{name}")
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        with open(out, encoding="utf-8") as fh:
            return json.load(fh)

    def check_report(self, name: str) -> None:
        report = self.report(name)
        self.assertEqual(report["tool"]["name"], "sst-rewrite")
        self.assertEqual(report["format"], 1)
        findings = report["findings"]
        summary = report["summary"]
        self.assertEqual(summary["findings"], len(findings))
        self.assertEqual(summary["suppressed"], sum(1 for f in findings if f["suppressed"]))
        places = [(f["file"].encode(), f["line"]) for f in findings]
        self.assertEqual(places, sorted(places), "findings are not sorted by file and line")
        # Two findings on one line may come in either order (docs/report.md).
        expected = sorted(read_expected(name), key=place)
        actual = sorted((project(f) for f in findings), key=place)
        if actual != expected:
            diff = "".join(difflib.unified_diff(
                [line + "\n" for line in expected], [line + "\n" for line in actual],
                f"fixtures/projects/{name}.expected", "report (projected)"))
            self.fail(f"the report of {name} differs from {name}.expected:\n{diff}")

    def check_rewrite(self, name: str) -> None:
        src = PROJECTS / name
        out = self.tmp / "out"
        r = self.run_tool(f"fixtures/projects/{name}", "-o", str(out))
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        self.assertEqual(python_files(out), python_files(src))
        for rel in python_files(out):
            data = (out / rel).read_bytes()
            try:
                compile(data, str(out / rel), "exec", dont_inherit=True)
            except SyntaxError as e:
                self.fail(f"{name}/{rel} does not compile after the rewrite: {e}")
        with open(out / ".sst" / "manifest.json", encoding="utf-8") as fh:
            manifest = json.load(fh)
        sites = sorted(
            (entry["path"], site["line"], site["path"])
            for entry in manifest["files"]
            for site in entry["sites"]
            if site["kind"] in FINDING_KINDS)
        findings = sorted((f["file"], f["line"], f["api"]) for f in self.report(name)["findings"])
        self.assertEqual(sites, findings)
        # A module is rewritten as soon as it is loaded and the result kept only
        # when the linked project answers every question the same: the tree must
        # be byte for byte the one two plain passes give (SST_TWO_PASS=1).
        two = self.tmp / "two-pass"
        env = dict(os.environ, SST_TWO_PASS="1")
        r = subprocess.run([BINARY, f"fixtures/projects/{name}", "-o", str(two)], cwd=ROOT,
                           capture_output=True, timeout=120, env=env)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        for rel in sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()):
            self.assertEqual((out / rel).read_bytes(), (two / rel).read_bytes(), f"{name}/{rel}")


def add_project_tests() -> None:
    """A report test and a rewrite test for every project."""
    for name in project_names():
        def report_test(self: ProjectTest, name: str = name) -> None:
            self.check_report(name)

        def rewrite_test(self: ProjectTest, name: str = name) -> None:
            self.check_rewrite(name)

        setattr(ProjectTest, f"test_report_{name}", report_test)
        setattr(ProjectTest, f"test_rewrite_{name}", rewrite_test)


add_project_tests()


class LayoutTest(unittest.TestCase):
    def test_every_project_has_an_expectation(self) -> None:
        expectations = sorted(p.name[:-len(".expected")] for p in PROJECTS.glob("*.expected"))
        self.assertEqual(expectations, project_names())
        self.assertEqual(project_names(), [
            "django_app", "fastapi_app", "flask_app", "fluent", "imports", "negatives",
            "pkg_init", "self_attrs"])

    def test_expected_lines_are_well_formed_and_sorted(self) -> None:
        kinds = set(FINDING_KINDS)
        for name in project_names():
            keys = []
            for line in read_expected(name):
                with self.subTest(project=name, line=line):
                    fields = line.split(" ")
                    self.assertIn(len(fields), (4, 5))
                    where, kind, _api, categories = fields[:4]
                    self.assertIn(kind, kinds)
                    if categories != "-":
                        listed = categories.split(",")
                        self.assertTrue(set(listed) <= set(CATEGORIES), categories)
                        self.assertEqual(listed, sorted(listed, key=CATEGORIES.index))
                    if len(fields) == 5:
                        self.assertEqual(fields[4], "suppressed")
                    path, _, number = where.rpartition(":")
                    source = PROJECTS / name / path
                    self.assertTrue(source.is_file(), path)
                    lines = source.read_text(encoding="utf-8").count("\n")
                    self.assertTrue(1 <= int(number) <= lines, where)
                    keys.append((path, int(number)))
            self.assertEqual(keys, sorted(keys), name)


if __name__ == "__main__":
    unittest.main()
