"""``python -m sst_runtime``: runs a program in import-hook mode, or
summarises an audit log.

    python -m sst_runtime run [OPTION]... script.py [ARG]...
    python -m sst_runtime run [OPTION]... -m module [ARG]...
    python -m sst_runtime summary [--root DIR] audit.jsonl

The script or module runs as ``python script.py`` / ``python -m module``
would run it (``sys.argv``, ``sys.path[0]``, ``__main__``), rewritten by the
import hook, and so is every first-party module it imports
(docs/import-hook.md).
"""
from __future__ import annotations

import os
import sys
import types
from typing import List, NoReturn, Optional

USAGE = """\
usage: python -m sst_runtime run [OPTION]... SCRIPT [ARG]...
       python -m sst_runtime run [OPTION]... -m MODULE [ARG]...
       python -m sst_runtime summary [--root DIR] AUDIT_LOG

Runs SCRIPT (or MODULE, as python -m does) with sst_runtime's import hook
installed: the script and every first-party module it imports are
instrumented at import by the sst-rewrite core, and the compiled result is
cached in __pycache__. The standard library, site-packages and sst_runtime
itself are never rewritten unless --include names them.

options (before SCRIPT or -m):
  --include PATTERN   rewrite only the modules PATTERN names (a dotted name or
                      a glob; a package takes its submodules); repeatable
  --exclude PATTERN   never rewrite these modules; repeatable
  --profile NAME      minimal, standard (default) or full, as sst-rewrite
  --catalog FILE      add a catalogue file; repeatable
  -h, --help          print this help and exit

The audit log goes where SST_AUDIT_LOG says (docs/audit-log.md); SST_TRACE=1
also starts the call tracer.

summary prints which personal-data categories each event of AUDIT_LOG
carried, to which third party or store, from which file and line, with the
origins of the data and the requests it happened in (never a value). Paths
are shown relative to DIR (default: the directory common to the log's files).
It exits 1 on a line that is not an audit event, naming the file and line.
"""

PROG = "sst_runtime"


def _fail(message: str, status: int = 2) -> NoReturn:
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.exit(status)


class _Options:
    def __init__(self) -> None:
        self.include: List[str] = []
        self.exclude: List[str] = []
        self.profile = "standard"
        self.catalog: List[str] = []
        self.module: Optional[str] = None
        self.script: Optional[str] = None
        self.args: List[str] = []


def _parse_run(argv: List[str]) -> _Options:
    opts = _Options()
    valued = {"--include": opts.include, "--exclude": opts.exclude, "--catalog": opts.catalog}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            sys.stdout.write(USAGE)
            sys.exit(0)
        if arg == "--":
            i += 1
            break
        name, eq, value = arg.partition("=")
        if name in valued or name == "--profile":
            if not eq:
                if i + 1 >= len(argv):
                    _fail(f"run: {name} needs a value")
                i += 1
                value = argv[i]
            if name == "--profile":
                if value not in ("minimal", "standard", "full"):
                    _fail(f"run: --profile must be one of minimal, standard, full, not '{value}'")
                opts.profile = value
            else:
                valued[name].append(value)
            i += 1
            continue
        if arg == "-m" or arg.startswith("-m") and len(arg) > 2:
            if arg == "-m":
                if i + 1 >= len(argv):
                    _fail("run: -m needs a module name")
                i += 1
                opts.module = argv[i]
            else:
                opts.module = arg[2:]
            opts.args = argv[i + 1:]
            return opts
        if arg.startswith("-") and arg != "-":
            _fail(f"run: unknown option '{arg}' (see python -m sst_runtime --help)")
        break
    if i >= len(argv):
        _fail("run: a script or -m MODULE is needed (see python -m sst_runtime --help)")
    opts.script = argv[i]
    opts.args = argv[i + 1:]
    return opts


def _new_main(file: Optional[str], spec: object = None, loader: object = None) -> types.ModuleType:
    """A fresh __main__ module, in sys.modules, as the interpreter makes one."""
    import builtins
    main = types.ModuleType("__main__")
    main.__dict__.update({
        "__file__": file, "__builtins__": builtins, "__spec__": spec, "__loader__": loader,
        "__package__": getattr(spec, "parent", None) if spec is not None else None,
        "__cached__": getattr(spec, "cached", None) if spec is not None else None,
        "__annotations__": {},
    })
    sys.modules["__main__"] = main
    return main


def _run_code(code: types.CodeType, main: types.ModuleType) -> None:
    """Runs CODE in MAIN; an exception is reported as the interpreter would,
    without the frames of this runner."""
    try:
        exec(code, main.__dict__)
    except Exception as exc:
        tb = exc.__traceback__
        # drop the runner's own frames: what is left starts in the program
        while tb is not None and tb.tb_frame.f_code is not code:
            tb = tb.tb_next
        if tb is not None:
            exc.__traceback__ = tb
        sys.excepthook(type(exc), exc, exc.__traceback__)
        sys.exit(1)


def _syntax_error(exc: SyntaxError) -> NoReturn:
    """Reports a program that does not compile as python does: no traceback."""
    exc.__traceback__ = None
    sys.excepthook(type(exc), exc, None)
    sys.exit(1)


def _module_name_of(path: str) -> str:
    """The name sst-rewrite gives the file PATH: its stem, behind the names
    of the enclosing directories that hold an __init__.py."""
    from ._hook import package_chain
    stem = os.path.basename(path).partition(".")[0]
    parts = package_chain(os.path.dirname(os.path.realpath(path))) + ([] if stem == "__init__" else [stem])
    return ".".join(parts) or "__main__"


def _run_script(opts: _Options, finder: "object") -> None:
    from importlib.machinery import SourceFileLoader
    script = opts.script
    assert script is not None
    path = os.path.abspath(script)
    if os.path.isdir(path) or path.endswith((".zip", ".pyz")):
        _fail(f"run: {script} is a directory or a zip application, which run does not take; "
              "give it its __main__.py, or run its package with -m")
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as exc:
        _fail(f"can't open file {path!r}: [Errno {exc.errno}] {exc.strerror}")
    sys.argv[:] = [script] + opts.args
    sys.path[0] = os.path.dirname(os.path.realpath(path))
    try:
        code = finder.code_for(source, path, _module_name_of(path))  # type: ignore[attr-defined]
    except SyntaxError as exc:
        _syntax_error(exc)
    main = _new_main(path, None, SourceFileLoader("__main__", path))
    _run_code(code, main)


def _run_module(opts: _Options) -> None:
    import importlib.util
    name = opts.module
    assert name is not None
    sys.argv[:] = ["-m"] + opts.args    # as python -m, until the module is found
    try:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations is not None:
            package, name = name, name + ".__main__"
            spec = importlib.util.find_spec(name)
            if spec is None:
                _fail(f"No module named {name}; '{package}' is a package and cannot be directly executed", 1)
    except ImportError as exc:
        _fail(f"Error while finding module specification for {name!r} ({type(exc).__name__}: {exc})", 1)
    if spec is None or spec.loader is None:
        _fail(f"No module named {name}", 1)
    try:
        code = spec.loader.get_code(spec.name)  # type: ignore[union-attr]
    except SyntaxError as exc:
        _syntax_error(exc)
    except ImportError as exc:
        _fail(f"{exc}", 1)
    if code is None:
        _fail(f"No code object available for {name}", 1)
    if spec.origin and spec.has_location:
        sys.argv[0] = spec.origin
    main = _new_main(spec.origin if spec.has_location else None, spec, spec.loader)
    _run_code(code, main)


def main(argv: Optional[List[str]] = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        sys.stderr.write(USAGE)
        sys.exit(2)
    if args[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        sys.exit(0)
    if args[0] == "summary":
        from .summary import main as summary_main
        sys.exit(summary_main(args[1:]))
    if args[0] != "run":
        _fail(f"unknown command '{args[0]}' (see python -m sst_runtime --help)")
    opts = _parse_run(args[1:])
    from ._hook import install_import_hook
    try:
        finder = install_import_hook(include=opts.include or None, exclude=opts.exclude or None,
                                     profile=opts.profile, catalog=opts.catalog or None)
    except (ImportError, ValueError, OSError) as exc:
        _fail(f"run: {exc}")
    if opts.module is not None:
        _run_module(opts)
    else:
        _run_script(opts, finder)


if __name__ == "__main__":
    main()
