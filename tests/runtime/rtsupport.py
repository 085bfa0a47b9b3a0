"""Shared set-up of the runtime tests: finds the built package, imports it
with the implementation chosen by SST_RUNTIME ("c" or "python"), and gives
each test a clean in-memory event list.

ctest sets SST_PYTHON_DIR to <build>/python and runs every test file once
per implementation (tests/runtime/CMakeLists.txt).
"""
from __future__ import annotations

import os
import sys
import unittest
from typing import Any, Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PYTHON_DIR = os.environ.get("SST_PYTHON_DIR") or os.path.join(ROOT, "build", "python")
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

import sst_runtime as rt  # noqa: E402

WANTED = os.environ.get("SST_RUNTIME")
if WANTED and rt.IMPLEMENTATION != WANTED:
    raise SystemExit(f"asked for the {WANTED} runtime, got {rt.IMPLEMENTATION}")

# The fields of an event that differ between two runs of the same code.
VOLATILE = ("time", "pid")


def stable(event: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in event.items() if k not in VOLATILE}


def events() -> List[Dict[str, Any]]:
    return [stable(e) for e in rt.events()]


def here() -> int:
    """The caller's line."""
    return sys._getframe(1).f_lineno


def fresh(text: str) -> str:
    """An equal str that no constant or cache shares."""
    return (text + "!")[:-1]


def qualname() -> str:
    """The caller's qualified name, as events give it."""
    return sys._getframe(1).f_code.co_qualname


def origin(kind: str, source: Any, key: Any, file: Any, line: int) -> Dict[str, Any]:
    return {"kind": kind, "source": source, "key": key, "file": file, "line": line}


class RuntimeCase(unittest.TestCase):
    """Events kept in memory only, raw values off, nothing left over."""

    def setUp(self) -> None:
        rt.configure(audit_log=None, memory=True, values=False, callback=None)
        rt.clear_events()
        self.failures_before = rt.stats()["failures"]

    def tearDown(self) -> None:
        rt.clear_events()
        rt.configure(memory=False, values=False, callback=None)
        self.assertEqual(rt.stats()["failures"], self.failures_before, "internal failures")
