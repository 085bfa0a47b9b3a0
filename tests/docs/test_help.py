"""The reference docs against the programs' --help and against the code.

`sst-rewrite --help` must list exactly the options of the option table of
docs/cli.md (section "Options", header `| option | default | meaning |`),
and `python -m sst_runtime --help` exactly the commands and options of the
two tables of docs/guide.md (headers `| command | does |` and
`| command | option | default | meaning |`). The defaults must agree, and
so must whether an option takes a value. The options sst-rewrite's parser
knows (the match_opt calls of rewriter/cli/run.c) must be the same set, and
each documented option is run to show that the program takes it as
documented.

How the help is read:
- an option line starts with 2 to 6 blanks and a dash; it names one or more
  spellings (`-o, --output OUT`), a spelling followed by an upper-case word
  takes a value;
- the option's text is that line and the more indented lines after it;
- a default is stated as `(default: VALUE)`, `(default, or VALUE: ...`,
  `VALUE (the default...` or `VALUE (default)`; `(default: ...)` with more
  than one word describes a default that is not a value;
- the commands of `python -m sst_runtime` are the words after
  `python -m sst_runtime` in its usage lines, and an option in brackets on
  such a line (`summary [--root DIR] AUDIT_LOG`) is an option too.

How the docs are read: in the first column, each spelling is in backticks;
a spelling with more than one word takes a value. The default column holds
the value in backticks, or `—` when none is stated.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import unittest
from typing import Dict, List, NamedTuple, Optional, Set, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DOCS = os.environ.get("SST_DOCS_DIR") or os.path.join(ROOT, "docs")
REWRITE = os.environ.get("SST_REWRITE") or os.path.join(ROOT, "build", "bin", "sst-rewrite")
PYTHON_DIR = os.environ.get("SST_PYTHON_DIR") or os.path.join(ROOT, "build", "python")
RUN_C = os.path.join(ROOT, "rewriter", "cli", "run.c")


class Option(NamedTuple):
    """One option as a help text or a doc table states it."""
    names: Tuple[str, ...]          # every spelling: ("-o", "--output")
    takes_value: bool
    default: Optional[str]
    command: Optional[str] = None   # python -m sst_runtime: the command it belongs to


# ---- reading the help ---------------------------------------------------------

SPELLING = re.compile(r"(--?[A-Za-z][\w-]*)(?:[ =]([A-Z][A-Z_|]*))?(?:, )?")
OPTION_LINE = re.compile(r"^( {2,6})-")


def _default_in(text: str) -> Optional[str]:
    m = re.search(r"\(default, or (\S+?):", text) or re.search(r"\(default: ([^\s()]+)\)", text)
    if m:
        return m.group(1)
    if "(default:" in text:
        return None   # a default described in words, not a value
    m = re.search(r"(\S+?),? \((?:the default\b|default\))", text)
    return m.group(1) if m else None


def help_options(text: str) -> List[Option]:
    """The options a help text lists, in order."""
    lines = text.splitlines()
    found: List[Option] = []
    i = 0
    while i < len(lines):
        m = OPTION_LINE.match(lines[i])
        if not m:
            i += 1
            continue
        line = lines[i]
        pos = len(m.group(1))
        names: List[str] = []
        takes = False
        while pos < len(line) and line[pos] == "-":
            s = SPELLING.match(line, pos)
            if not s:
                break
            names.append(s.group(1))
            takes = takes or s.group(2) is not None
            pos = s.end()
        block = [line[pos:]]
        i += 1
        indent = len(m.group(1))
        while i < len(lines) and lines[i].strip() and not OPTION_LINE.match(lines[i]) and \
                len(lines[i]) - len(lines[i].lstrip()) > indent:
            block.append(lines[i].strip())
            i += 1
        found.append(Option(tuple(names), takes, _default_in(" ".join(block))))
    return found


def help_commands(text: str) -> Set[str]:
    return set(re.findall(r"python -m sst_runtime (\w+)", text))


def usage_options(text: str) -> List[Option]:
    """Options a usage line of python -m sst_runtime shows in brackets:
    `python -m sst_runtime summary [--root DIR] AUDIT_LOG`."""
    found = []
    for command, rest in re.findall(r"python -m sst_runtime (\w+)(.*)", text):
        for name, value in re.findall(r"\[(--?[A-Za-z][\w-]*)(?: ([A-Z][A-Z_]*))?\]", rest):
            found.append(Option((name,), bool(value), None, command))
    return found


def merged(*lists: List[Option]) -> List[Option]:
    """One Option per set of spellings; the first list that has it wins."""
    seen: Dict[Tuple[str, ...], Option] = {}
    for options in lists:
        for o in options:
            seen.setdefault(o.names, o)
    return list(seen.values())


# ---- reading the docs ---------------------------------------------------------

def _cells(row: str) -> List[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def doc_table(path: str, header: str) -> List[List[str]]:
    """The rows of the table of PATH whose header row is HEADER (exactly)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    try:
        start = lines.index(header)
    except ValueError:
        raise AssertionError(f"{path}: no table with the header {header!r}") from None
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(_cells(line))
    return rows


def _spellings(cell: str, where: str) -> Tuple[Tuple[str, ...], bool]:
    items = [s.replace("\\|", "|") for s in re.findall(r"`([^`]+)`", cell)]
    if not items:
        raise AssertionError(f"{where}: no spelling in backticks in {cell!r}")
    names = tuple(item.split()[0] for item in items)
    takes = {len(item.split()) > 1 for item in items}
    if len(takes) != 1:
        raise AssertionError(f"{where}: the spellings of {cell!r} disagree on taking a value")
    return names, takes.pop()


def _default_cell(cell: str, where: str) -> Optional[str]:
    if cell == "—":
        return None
    m = re.fullmatch(r"`([^`]+)`", cell)
    if not m:
        raise AssertionError(f"{where}: a default is `VALUE` or —, not {cell!r}")
    return m.group(1)


def doc_options(path: str, header: str, with_command: bool) -> List[Option]:
    found = []
    for row in doc_table(path, header):
        where = f"{os.path.basename(path)}: row {row[0]!r}"
        command = None
        if with_command:
            command = None if row[0] == "—" else row[0].strip("`")
            row = row[1:]
        names, takes = _spellings(row[0], where)
        found.append(Option(names, takes, _default_cell(row[1], where), command))
    return found


def by_name(options: List[Option]) -> Dict[str, Option]:
    table: Dict[str, Option] = {}
    for o in options:
        for n in o.names:
            table[n] = o
    return table


def run(argv: List[str], **kw: object) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as cwd:   # no configuration file around
        return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=60, **kw)  # type: ignore


def sst_runtime_argv(*args: str) -> List[str]:
    return [sys.executable, "-m", "sst_runtime", *args]


def sst_runtime_env() -> Dict[str, str]:
    return dict(os.environ, PYTHONPATH=PYTHON_DIR, SST_AUDIT_LOG="off")


# ---- sst-rewrite --------------------------------------------------------------

class RewriteHelpTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        out = run([REWRITE, "--help"])
        assert out.returncode == 0, out.stderr
        cls.help_text = out.stdout
        cls.help = help_options(out.stdout)
        cls.docs = doc_options(os.path.join(DOCS, "cli.md"), "| option | default | meaning |", False)

    def test_help_has_options(self) -> None:
        # the parse itself: a help without its option lines must not pass
        self.assertIn(("-o", "--output"), [o.names for o in self.help])
        self.assertGreaterEqual(len(self.help), 15)

    def test_same_options(self) -> None:
        self.assertEqual(sorted(o.names for o in self.help), sorted(o.names for o in self.docs))

    def test_same_values_and_defaults(self) -> None:
        docs = by_name(self.docs)
        for o in self.help:
            d = docs.get(o.names[0])
            if d is None:
                continue   # test_same_options says which
            with self.subTest(option=o.names[-1]):
                self.assertEqual(o.takes_value, d.takes_value, "takes a value")
                self.assertEqual(o.default, d.default, "default")

    def test_parser_knows_the_documented_options(self) -> None:
        # rewriter/cli/run.c: match_opt(argc, argv, &i, "LONG", 'S' or 0, TAKES_VALUE, ...)
        with open(RUN_C, encoding="utf-8") as f:
            code = re.findall(r"match_opt\(argc, argv, &i, \"([\w-]+)\", (?:'(\w)'|0), ([01]),", f.read())
        self.assertGreaterEqual(len(code), 15, "the parse of run.c found too few options")
        parsed = sorted((("-" + s,) if s else ()) + ("--" + lng,) for lng, s, _ in code)
        self.assertEqual(parsed, sorted(o.names for o in self.docs))
        takes = {"--" + lng: t == "1" for lng, _, t in code}
        for o in self.docs:
            self.assertEqual(takes[o.names[-1]], o.takes_value, o.names[-1])

    def test_each_documented_option_is_taken_as_documented(self) -> None:
        for o in self.docs:
            for name in o.names:
                with self.subTest(option=name):
                    out = run([REWRITE, name])
                    if name in ("-h", "--help"):
                        self.assertEqual((out.returncode, out.stdout), (0, self.help_text))
                    elif name == "--version":
                        self.assertEqual(out.returncode, 0)
                        self.assertRegex(out.stdout, r"^sst-rewrite \S+ \(injection ABI \d+\)\n$")
                    elif o.takes_value:
                        self.assertEqual(out.returncode, 1)
                        self.assertIn(f"option '{name}' needs a value", out.stderr)
                    else:
                        self.assertEqual(out.returncode, 1)
                        self.assertIn("no SRC given", out.stderr)


# ---- python -m sst_runtime ----------------------------------------------------

class RuntimeHelpTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        out = run(sst_runtime_argv("--help"), env=sst_runtime_env())
        assert out.returncode == 0, out.stderr
        cls.help_text = out.stdout
        cls.help = merged(help_options(out.stdout), usage_options(out.stdout))
        cls.commands = help_commands(out.stdout)
        guide = os.path.join(DOCS, "guide.md")
        cls.doc_commands = [row[0] for row in doc_table(guide, "| command | does |")]
        cls.docs = doc_options(guide, "| command | option | default | meaning |", True)

    def test_help_has_options(self) -> None:
        self.assertIn("run", self.commands)
        self.assertIn(("--profile",), [o.names for o in self.help])

    def test_same_commands(self) -> None:
        documented = []
        for cell in self.doc_commands:
            documented.extend(re.findall(r"`([^`]+)`", cell))
        self.assertEqual(sorted(documented), sorted(self.commands))
        self.assertLessEqual({o.command for o in self.docs if o.command}, set(documented))

    def test_same_options(self) -> None:
        self.assertEqual(sorted({o.names for o in self.help}), sorted({o.names for o in self.docs}))

    def test_same_values_and_defaults(self) -> None:
        docs = by_name(self.docs)
        for o in self.help:
            d = docs.get(o.names[0])
            if d is None:
                continue
            with self.subTest(option=o.names[-1]):
                self.assertEqual(o.takes_value, d.takes_value, "takes a value")
                self.assertEqual(o.default, d.default, "default")

    def test_import_hook_doc_agrees(self) -> None:
        # docs/import-hook.md repeats the options of `run`; they must be the guide's
        hook = [Option(*_spellings(row[0], "import-hook.md"), None)
                for row in doc_table(os.path.join(DOCS, "import-hook.md"), "| option | meaning |")]
        guide_run = [o for o in self.docs if o.command in ("run", None)]
        self.assertEqual(sorted((o.names, o.takes_value) for o in hook),
                         sorted((o.names, o.takes_value) for o in guide_run))

    def test_each_documented_option_is_taken_as_documented(self) -> None:
        env = sst_runtime_env()
        for o in self.docs:
            prefix = [o.command] if o.command else []
            for name in o.names:
                with self.subTest(command=o.command, option=name):
                    out = run(sst_runtime_argv(*prefix, name), env=env)
                    if name in ("-h", "--help"):
                        self.assertEqual(out.returncode, 0, out.stderr)
                        self.assertEqual(out.stdout, self.help_text)
                    elif o.takes_value:
                        self.assertNotEqual(out.returncode, 0)
                        self.assertIn(f"{name} needs a", out.stderr)
                    else:
                        self.assertNotIn("unknown option", out.stderr)

    def test_each_documented_command_is_known(self) -> None:
        env = sst_runtime_env()
        for command in self.commands:
            with self.subTest(command=command):
                out = run(sst_runtime_argv(command), env=env)
                self.assertNotIn("unknown command", out.stderr)


if __name__ == "__main__":
    unittest.main()
