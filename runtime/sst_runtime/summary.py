"""``python -m sst_runtime summary AUDIT.jsonl``: a readable summary of an
audit log (docs/audit-log.md): which personal-data categories went to which
third party or store, from which file and line, in which request. It reads
only the log's own fields and never prints a value or a preview."""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

__all__ = ["SummaryError", "load", "summarize"]

# The order docs/audit-log.md gives categories in.
CATEGORY_ORDER = ("email", "phone", "name", "address", "birth_date", "government_id", "financial",
                  "health", "credentials", "location", "network_id", "user_text")

_KINDS = (("external", "Sent to third parties"), ("store", "Kept in stores and logs"))


class SummaryError(Exception):
    """The log cannot be read; the message names the file and the line."""


def load(path: str) -> List[Dict[str, Any]]:
    """The events of the audit log at PATH, in file order. Blank lines are
    skipped; anything else that is not an event of schema 1 is an error."""
    events: List[Dict[str, Any]] = []
    try:
        f = open(path, "r", encoding="utf-8")
    except OSError as exc:
        raise SummaryError(f"{path}: cannot open: {exc.strerror or exc}") from None
    with f:
        lineno = 0
        try:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except ValueError as exc:
                    raise SummaryError(f"{path}:{lineno}: not JSON ({exc})") from None
                _check(event, path, lineno)
                events.append(event)
        except UnicodeDecodeError as exc:
            raise SummaryError(f"{path}:{lineno + 1}: not UTF-8 ({exc.reason})") from None
    return events


def _check(event: Any, path: str, lineno: int) -> None:
    where = f"{path}:{lineno}"
    if not isinstance(event, dict):
        raise SummaryError(f"{where}: not an audit event (a JSON object is expected)")
    if event.get("schema") != 1:
        raise SummaryError(f"{where}: audit-log schema {event.get('schema')!r} is not supported (1 is)")
    for key, types in (("kind", str), ("sink", str), ("line", int), ("categories", list),
                       ("origins", list), ("detection", str)):
        if not isinstance(event.get(key), types):
            raise SummaryError(f"{where}: field '{key}' is missing or of the wrong type")
    for key in ("service", "destination", "file", "function"):
        if event.get(key) is not None and not isinstance(event[key], str):
            raise SummaryError(f"{where}: field '{key}' is not a string")
    request = event.get("request")
    if request is not None and not isinstance(request, dict):
        raise SummaryError(f"{where}: field 'request' is not an object")
    for origin in event["origins"]:
        if not isinstance(origin, dict) or not isinstance(origin.get("kind"), str):
            raise SummaryError(f"{where}: an origin is not an object with a 'kind'")


def _common_root(events: Sequence[Dict[str, Any]]) -> Optional[str]:
    files = [e["file"] for e in events if e.get("file")]
    files += [o["file"] for e in events for o in e["origins"] if isinstance(o.get("file"), str)]
    absolute = [f for f in files if os.path.isabs(f)]
    if not absolute:
        return None
    try:
        return os.path.commonpath([os.path.dirname(f) for f in absolute])
    except ValueError:
        return None


class _Paths:
    def __init__(self, root: Optional[str]) -> None:
        self.root = root

    def show(self, path: Optional[str], line: Any = None) -> str:
        root = self.root
        if not path:
            text = "<unknown file>"
        elif root and os.path.isabs(path) and path.startswith(root.rstrip(os.sep) + os.sep):
            text = os.path.relpath(path, root)
        else:
            text = path
        return f"{text}:{line}" if isinstance(line, int) and line > 0 else text


def _categories(cats: Iterable[str]) -> str:
    known = [c for c in CATEGORY_ORDER if c in cats]
    other = sorted(c for c in set(cats) if c not in CATEGORY_ORDER)
    return ", ".join(known + other) or "(none)"


def _origin(o: Dict[str, Any], paths: _Paths) -> str:
    kind, source, key = o.get("kind"), o.get("source"), o.get("key")
    at = paths.show(o.get("file"), o.get("line"))
    if kind == "request":
        field = f"[{json.dumps(key)}]" if isinstance(key, str) else ""
        return f"request {source}{field} at {at}"
    if kind == "parameter":
        return f"parameter {key} of {source} at {at}"
    if kind == "pattern":
        checked = f" (checked as {key})" if isinstance(key, str) else ""
        return f"a value the {source} detector matched{checked} at {at}"
    if kind == "store":
        return f"store {source}" + (f" key {key}" if isinstance(key, str) else "") + f" at {at}"
    return f"{kind} {source}" + (f" {key}" if isinstance(key, str) else "") + f" at {at}"


def _request(r: Optional[Dict[str, Any]]) -> str:
    if not r:
        return "outside any request"
    text = " ".join(str(r[k]) for k in ("method", "path") if isinstance(r.get(k), str)) or "a request"
    return f"{text} [{r['id']}]" if isinstance(r.get("id"), str) else text


def summarize(events: Sequence[Dict[str, Any]], name: str, root: Optional[str] = None) -> str:
    """The summary of EVENTS (from the log NAME) as text. Paths under ROOT
    (default: the directory common to every file in the log) are shown
    relative to it."""
    paths = _Paths(root if root is not None else _common_root(events))
    requests: List[str] = []
    outside = 0
    for e in events:
        if e.get("request"):
            r = _request(e["request"])
            if r not in requests:
                requests.append(r)
        else:
            outside += 1
    out: List[str] = []
    head = f"{name}: {len(events)} event{'s' if len(events) != 1 else ''}"
    head += f" in {len(requests)} request{'s' if len(requests) != 1 else ''}"
    if outside:
        head += f", {outside} outside any request"
    out.append(head)
    if paths.root:
        out.append(f"(paths relative to {paths.root})")

    # One block per flow: the same data from the same line to the same place,
    # whatever the request; the requests it happened in are listed under it.
    for kind, title in _KINDS + tuple((k, f"Other events ({k})") for k in
                                      sorted({e["kind"] for e in events} - {k for k, _ in _KINDS})):
        flows: Dict[Tuple[Any, ...], List[Any]] = {}
        for e in events:
            if e["kind"] != kind:
                continue
            origins = tuple(_origin(o, paths) for o in e["origins"])
            key = (e.get("service") or "", e.get("destination") or "", e["sink"], e.get("file"), e["line"],
                   e.get("function"), _categories(e["categories"]), origins, e["detection"])
            flows.setdefault(key, []).append(_request(e.get("request")))
        if not flows:
            continue
        out.append("")
        out.append(f"{title}:")
        for (service, destination, sink, file, line, function, cats, origins, detection), reqs in flows.items():
            where = f"{service or sink}" + (f" ({destination})" if destination else "")
            out.append(f"  {where}: {cats}")
            site = paths.show(file, line) + (f" in {function}" if function else "")
            how = "" if detection == "static" else f", found by the {detection}" if detection == "tracer" \
                else f", reported {detection}" if detection == "manual" else f", detection {detection}"
            out.append(f"    call   {sink} at {site}{how}")
            for i, origin in enumerate(origins):
                out.append(f"    {'from' if i == 0 else '':6} {origin}")
            counted: List[str] = []
            for r in reqs:
                n = reqs.count(r)
                label = r if n == 1 else f"{r} (x{n})"
                if label not in counted:
                    counted.append(label)
            for i, label in enumerate(counted):
                out.append(f"    {'in' if i == 0 else '':6} {label}")

    if requests or outside:
        out.append("")
        out.append("By request:")
        order = requests + (["outside any request"] if outside else [])
        for r in order:
            parts: List[str] = []
            for e in events:
                if _request(e.get("request")) != r:
                    continue
                label = f"{e.get('service') or e['sink']}" + (" (store)" if e["kind"] == "store" else "")
                label += f" [{_categories(e['categories'])}]"
                if label not in parts:
                    parts.append(label)
            out.append(f"  {r}: " + "; ".join(parts))
    return "\n".join(out) + "\n"


USAGE = """\
usage: python -m sst_runtime summary [--root DIR] AUDIT_LOG
"""


def main(argv: List[str]) -> int:
    """The ``summary`` subcommand; returns the exit status."""
    import sys
    root: Optional[str] = None
    files: List[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            sys.stdout.write(USAGE)
            return 0
        if arg == "--root" or arg.startswith("--root="):
            if arg == "--root":
                if i + 1 >= len(argv):
                    sys.stderr.write("sst_runtime: summary: --root needs a directory\n")
                    return 2
                i += 1
                root = argv[i]
            else:
                root = arg[len("--root="):]
            root = os.path.abspath(root)
        elif arg.startswith("-") and arg != "-":
            sys.stderr.write(f"sst_runtime: summary: unknown option '{arg}' (see python -m sst_runtime --help)\n")
            return 2
        else:
            files.append(arg)
        i += 1
    if len(files) != 1:
        sys.stderr.write("sst_runtime: summary: one AUDIT_LOG is needed (see python -m sst_runtime --help)\n")
        return 2
    try:
        events = load(files[0])
    except SummaryError as exc:
        sys.stderr.write(f"sst_runtime: summary: {exc}\n")
        return 1
    sys.stdout.write(summarize(events, files[0], root))
    return 0
