"""Runs serve.py (argv[1], with its arguments) as python would, after
importing sst_runtime, and writes to $E2E_TRACE_REPORT whether the call
tracer was on once sst_runtime was imported (SST_TRACE=1) and, at exit, its
counters: proof that a run "with the tracer on" really had it on."""
import atexit
import json
import os
import runpy
import sys

import sst_runtime
from sst_runtime import trace

report = {"tracing_at_start": trace.is_tracing(), "engine": trace.engine()}


def _write() -> None:
    report["stats"] = trace.stats()
    report["runtime_events"] = sst_runtime.stats()["events"]
    with open(os.environ["E2E_TRACE_REPORT"], "w", encoding="utf-8") as f:
        json.dump(report, f)


atexit.register(_write)   # registered after trace.start()'s own stop(): runs before it
script = os.path.abspath(sys.argv[1])
sys.argv[:] = sys.argv[1:]
sys.path[0] = os.path.dirname(script)
runpy.run_path(script, run_name="__main__")
