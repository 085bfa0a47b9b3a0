"""The seed design's run-time tracer, kept as the baseline of
tools/bench/tracer-overhead: a pure-Python function given to sys.setprofile
(or sys.settrace) on this thread and to threading for new threads. On each
call event it matches the function's name, then its module and qualified
name, against the watch list (sst_runtime.trace.WATCHED, read as data) and
reports a watched call's arguments through the seed API
(sst_runtime.track_external_call).
"""
from __future__ import annotations

import sys
import threading
from typing import Any, Dict, Optional, Set, Tuple

import sst_runtime
from sst_runtime.trace import WATCHED


class SeedTracer:
    def __init__(self) -> None:
        # (module, qualified name) -> (sink, service); the module of a row is
        # where the attribute is found, the function's own module may differ,
        # so both the row's module and its top-level package are accepted.
        self.watched: Dict[Tuple[str, str], Tuple[str, str]] = {}
        self.names: Set[str] = set()
        for sink, module, attribute in WATCHED:
            entry = sst_runtime.catalog_lookup(sink)
            service = (entry or {}).get("service") or sink
            self.watched[(module.split(".")[0], attribute)] = (sink, service)
            self.names.add(attribute.rsplit(".", 1)[-1])
        self.mode: Optional[str] = None

    def __call__(self, frame: Any, event: str, arg: Any) -> None:
        if event != "call":
            return None
        code = frame.f_code
        if code.co_name not in self.names:
            return None
        module = frame.f_globals.get("__name__", "")
        row = self.watched.get((module.split(".")[0], code.co_qualname))
        if row is not None:
            sink, service = row
            sst_runtime.track_external_call(service, dict(frame.f_locals), sink=sink)
        return None

    def start(self, mode: str) -> None:
        """MODE "profile" (sys.setprofile) or "trace" (sys.settrace)."""
        self.mode = mode
        if mode == "profile":
            sys.setprofile(self)
            threading.setprofile(self)
        else:
            sys.settrace(self)
            threading.settrace(self)

    def stop(self) -> None:
        if self.mode == "profile":
            sys.setprofile(None)
            threading.setprofile(None)
        elif self.mode == "trace":
            sys.settrace(None)
            threading.settrace(None)
        self.mode = None
