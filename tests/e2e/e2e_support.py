"""Shared by the end-to-end tests: reads the hand-written expected flows
(expected_flows.txt), projects audit-log events onto the same fields, and runs
the scripted session of the sample application (tools/demo_support)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
APP = os.path.join(ROOT, "fixtures", "budget_tracker")
STANDINS = os.path.join(ROOT, "fixtures", "standins")
sys.path.insert(0, os.path.join(ROOT, "tools", "demo_support"))

import session  # noqa: E402  (tools/demo_support/session.py)

PYTHON_DIR = os.environ.get("SST_PYTHON_DIR", "")
REWRITE = os.environ.get("SST_REWRITE", "")
RUNTIME = os.environ.get("SST_RUNTIME", "c")


class ExpectedError(Exception):
    """expected_flows.txt is malformed (the message names the line)."""


@dataclass
class Expected:
    events: List[Dict[str, Any]] = field(default_factory=list)
    requests: List[str] = field(default_factory=list)
    negatives: List[Tuple[str, int, str]] = field(default_factory=list)     # file, line, code
    code_checks: List[Tuple[str, int, str, int]] = field(default_factory=list)  # file, line, code, where


def _site(text: str, where: str) -> Tuple[str, int]:
    file, sep, line = text.rpartition(":")
    if not sep or not line.isdigit():
        raise ExpectedError(f"{where}: '{text}' is not FILE:LINE")
    return file, int(line)


def _null(text: str) -> Optional[str]:
    return None if text == "-" else text


def read_expected(path: str = os.path.join(HERE, "expected_flows.txt")) -> Expected:
    out = Expected()
    request: Optional[Dict[str, Any]] = None
    event: Optional[Dict[str, Any]] = None
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            where = f"{path}:{lineno}"
            text = raw.rstrip("\n")
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            body, bar, code = text.partition(" | ")
            words = body.split()
            head = words[0]
            if head == "request":
                if len(words) != 5 or bar:
                    raise ExpectedError(f"{where}: request ID METHOD PATH ENDPOINT expected")
                request = {"id": words[1], "method": words[2], "path": words[3], "endpoint": _null(words[4])}
                out.requests.append(words[1])
                event = None
            elif head in ("external", "store"):
                if request is None or len(words) != 8 or not bar:
                    raise ExpectedError(f"{where}: KIND SINK SERVICE DESTINATION CATEGORIES FILE:LINE "
                                        "FUNCTION DETECTION | CODE expected, inside a request")
                file, line = _site(words[5], where)
                event = {"kind": head, "sink": words[1], "service": _null(words[2]),
                         "destination": _null(words[3]),
                         "categories": [] if words[4] == "-" else words[4].split(","),
                         "file": file, "line": line, "function": _null(words[6]), "detection": words[7],
                         "origins": [], "request": dict(request)}
                out.events.append(event)
                out.code_checks.append((file, line, code, lineno))
            elif head == "origin":
                if event is None or len(words) != 5 or not bar:
                    raise ExpectedError(f"{where}: origin KIND SOURCE KEY FILE:LINE | CODE expected, under an event")
                file, line = _site(words[4], where)
                event["origins"].append({"kind": words[1], "source": words[2], "key": _null(words[3]),
                                         "file": file, "line": line})
                out.code_checks.append((file, line, code, lineno))
            elif head == "negative":
                if len(words) != 2 or not bar:
                    raise ExpectedError(f"{where}: negative FILE:LINE | CODE expected")
                file, line = _site(words[1], where)
                out.negatives.append((file, line, code))
                out.code_checks.append((file, line, code, lineno))
            else:
                raise ExpectedError(f"{where}: unknown line kind '{head}'")
    return out


def relative(path: Optional[str], app_root: str) -> Optional[str]:
    """PATH relative to APP_ROOT when it lies under it, else PATH unchanged."""
    if path and path.startswith(app_root.rstrip("/") + "/"):
        return path[len(app_root.rstrip("/")) + 1:]
    return path


def project(event: Dict[str, Any], app_root: str) -> Dict[str, Any]:
    """The fields of an audit-log event that expected_flows.txt states."""
    return {
        "kind": event["kind"], "sink": event["sink"], "service": event["service"],
        "destination": event["destination"], "categories": event["categories"],
        "file": relative(event["file"], app_root), "line": event["line"],
        "function": event["function"], "detection": event["detection"],
        "origins": [{"kind": o["kind"], "source": o["source"], "key": o["key"],
                     "file": relative(o["file"], app_root), "line": o["line"]} for o in event["origins"]],
        "request": None if event["request"] is None else {
            k: event["request"][k] for k in ("id", "method", "path", "endpoint")},
    }


def read_log(path: str) -> Tuple[str, List[Dict[str, Any]]]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return text, [json.loads(line) for line in text.splitlines() if line.strip()]


def rewrite_app(out_dir: str) -> None:
    """sst-rewrite fixtures/budget_tracker -o OUT_DIR (quietly; raises on failure)."""
    subprocess.run([REWRITE, APP, "-o", out_dir, "-q"], check=True)


def run_session(app_dir: str, *, hook: bool = False, trace: bool = False,
                launcher: Optional[str] = None,
                extra_env: Optional[Dict[str, str]] = None) -> Tuple[session.Result, str, List[Dict[str, Any]]]:
    """Runs the scripted session against APP_DIR with this build's runtime
    (SST_RUNTIME as given to the test); returns the result, the raw audit
    log and its events."""
    with tempfile.TemporaryDirectory(prefix="sst-e2e-log-") as tmp:
        log = os.path.join(tmp, "audit.jsonl")
        result = session.run(app_dir, log, hook=hook, trace=trace, runtime=RUNTIME,
                             pythonpath=(PYTHON_DIR, STANDINS), launcher=launcher, extra_env=extra_env)
        if not os.path.exists(log):
            return result, "", []
        text, events = read_log(log)
    return result, text, events


def source_line(file: str, line: int) -> str:
    with open(os.path.join(APP, file), encoding="utf-8") as f:
        lines = f.read().splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""
