"""The scripted session of the sample application (fixtures/budget_tracker):
starts the stand-in servers and the application on 127.0.0.1, signs a user
up, posts an income and two expenses, opens the insight page, and stops
everything it started, also on failure or Ctrl-C. Used by tools/demo and by
tests/e2e.

    session.py --app DIR --audit-log FILE [--hook] [--trace] [--runtime c|python]
               [--pythonpath DIR]... [--quiet]
"""
from __future__ import annotations

import argparse
import http.client
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin_servers import ADVICE, StandIns  # noqa: E402

PYTHON = "/usr/bin/python3"

# What the session sends. Every personal value is listed in PERSONAL_VALUES,
# which the end-to-end test looks for in the audit log (it must find none).
EMAIL = "ada.lovelace@example.org"
FULL_NAME = "Ada Lovelace"
INCOME = {"income": "2450.00", "note": "salary from Analytical Engines Ltd"}
EXPENSES = (
    {"expense": "820.50", "category": "housing", "note": "rent for flat 3b"},
    {"expense": "64.20", "category": "groceries", "note": "market with Charles Babbage"},
)
PERSONAL_VALUES = (EMAIL, FULL_NAME, "Ada", "Lovelace", INCOME["income"], INCOME["note"],
                   EXPENSES[0]["expense"], EXPENSES[0]["note"], EXPENSES[1]["expense"],
                   EXPENSES[1]["note"], "Charles Babbage", "3270.70", "884.70")


@dataclass
class Step:
    request_id: str
    method: str
    path: str                     # "{user}" is replaced by the signed-up user's id
    form: Optional[Dict[str, str]]
    status: int


STEPS = (
    Step("signup-page", "GET", "/", None, 200),
    Step("signup", "POST", "/signup", {"email": EMAIL, "full_name": FULL_NAME}, 303),
    Step("entries-page", "GET", "/users/{user}/entries", None, 200),
    Step("income", "POST", "/users/{user}/income", INCOME, 303),
    Step("expense-1", "POST", "/users/{user}/expenses", EXPENSES[0], 303),
    Step("expense-2", "POST", "/users/{user}/expenses", EXPENSES[1], 303),
    Step("insight", "GET", "/users/{user}/insight", None, 200),
    Step("status", "GET", "/status", None, 200),
)


@dataclass
class Result:
    steps: List[Tuple[str, str, str, int]] = field(default_factory=list)   # id, method, path, status
    http: List[Tuple[str, dict]] = field(default_factory=list)             # what the API stand-in got
    mail: List[Tuple[str, List[str], bytes]] = field(default_factory=list)
    bodies: Dict[str, bytes] = field(default_factory=dict)                 # request id -> body
    app_output: str = ""
    app_status: Optional[int] = None


class SessionError(Exception):
    """The session could not be run as scripted (the message says where)."""


def app_command(app_dir: str, hook: bool, launcher: Optional[str] = None) -> List[str]:
    """The command that serves the application in APP_DIR: instrumented ahead
    of time (plain python), or the original source under the import hook.
    LAUNCHER, a script, runs serve.py in its place (tests use one to look
    inside the process)."""
    serve = os.path.join(app_dir, "serve.py")
    if launcher:
        return [PYTHON, launcher, serve, "--port", "0"]
    if hook:
        return [PYTHON, "-m", "sst_runtime", "run", "--include", "budget", serve, "--port", "0"]
    return [PYTHON, serve, "--port", "0"]


def _reader(stream, lines: "queue.Queue[Optional[str]]", sink: List[str]) -> None:
    for raw in iter(stream.readline, ""):
        sink.append(raw)
        lines.put(raw)
    lines.put(None)


def _stop(proc: subprocess.Popen) -> Optional[int]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


def _request(port: int, step: Step, path: str) -> Tuple[int, Dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"X-Request-ID": step.request_id}
        body = None
        if step.form is not None:
            body = urllib.parse.urlencode(step.form).encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(step.method, path, body=body, headers=headers)
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def run(app_dir: str, audit_log: str, *, hook: bool = False, trace: bool = False,
        runtime: Optional[str] = None, pythonpath: Tuple[str, ...] = (),
        launcher: Optional[str] = None, extra_env: Optional[Dict[str, str]] = None,
        progress=None) -> Result:
    """Runs the whole session once and returns what happened. Raises
    SessionError when a step does not answer as scripted."""
    say = progress or (lambda text: None)
    result = Result()
    output: List[str] = []
    with tempfile.TemporaryDirectory(prefix="budget-tracker-") as tmp, StandIns() as standins:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SST_", "OPENAI_", "BUDGET_"))}
        env.update(standins.app_environment())
        env.update({
            "PYTHONPATH": os.pathsep.join(os.path.abspath(p) for p in pythonpath),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "SST_AUDIT_LOG": os.path.abspath(audit_log),
            "BUDGET_DATABASE_URI": "sqlite:///" + os.path.join(tmp, "budget.db"),
        })
        if trace:
            env["SST_TRACE"] = "1"
        if runtime:
            env["SST_RUNTIME"] = runtime
        env.update(extra_env or {})
        say(f"stand-ins: API (OpenAI, Segment) on 127.0.0.1:{standins.api_port}, "
            f"SMTP on 127.0.0.1:{standins.smtp_port}")
        cmd = app_command(os.path.abspath(app_dir), hook, launcher)
        proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            lines: "queue.Queue[Optional[str]]" = queue.Queue()
            reader = threading.Thread(target=_reader, args=(proc.stdout, lines, output), daemon=True)
            reader.start()
            port = None
            deadline = time.monotonic() + 30
            while port is None:
                try:
                    line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise SessionError("the application did not start listening within 30 s:\n"
                                       + "".join(output)) from None
                if line is None:
                    raise SessionError(f"the application exited ({proc.wait()}) before listening:\n"
                                       + "".join(output))
                if line.startswith("budget_tracker: listening on http://127.0.0.1:"):
                    port = int(line.rsplit(":", 1)[1])
            say(f"application: {' '.join(cmd)} (pid {proc.pid}) on 127.0.0.1:{port}")
            user = None
            for step in STEPS:
                path = step.path.replace("{user}", str(user))
                status, headers, body = _request(port, step, path)
                say(f"  {step.method:4} {path:24} -> {status}   (X-Request-ID: {step.request_id})")
                result.steps.append((step.request_id, step.method, path, status))
                result.bodies[step.request_id] = body
                if status != step.status:
                    raise SessionError(f"{step.method} {path} answered {status}, not {step.status}:\n"
                                       + body.decode("utf-8", "replace")[:2000] + "\n" + "".join(output))
                if step.request_id == "signup":
                    location = urllib.parse.urlsplit(headers.get("location", "")).path
                    parts = location.strip("/").split("/")
                    if len(parts) != 3 or parts[0] != "users" or not parts[1].isdigit():
                        raise SessionError(f"sign-up redirected to {location!r}, not /users/ID/entries")
                    user = int(parts[1])
                if step.request_id == "insight" and ADVICE.encode() not in body:
                    raise SessionError("the insight page does not show the AI stand-in's advice")
        finally:
            result.app_status = _stop(proc)
            if proc.stdout is not None:
                proc.stdout.close()
        result.app_output = "".join(output)
        with standins.received.lock:
            result.http = list(standins.received.http)
            result.mail = list(standins.received.mail)
    say(f"application stopped (status {result.app_status}); stand-ins stopped")
    return result


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Run the budget tracker's scripted session.")
    parser.add_argument("--app", required=True, help="directory holding serve.py (instrumented or original)")
    parser.add_argument("--audit-log", required=True, help="where the runtime writes the audit log")
    parser.add_argument("--hook", action="store_true", help="run the original source under the import hook")
    parser.add_argument("--trace", action="store_true", help="start the call tracer (SST_TRACE=1)")
    parser.add_argument("--runtime", choices=("c", "python"), help="SST_RUNTIME for the application")
    parser.add_argument("--pythonpath", action="append", default=[], help="PYTHONPATH entry (repeatable)")
    parser.add_argument("--show-app-output", action="store_true", help="print the application's output")
    args = parser.parse_args(argv)

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # SIGTERM (and SIGINT, also when a non-interactive shell ignored it for a
    # background job) unwinds through run(), which stops what it started.
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    try:
        result = run(args.app, args.audit_log, hook=args.hook, trace=args.trace, runtime=args.runtime,
                     pythonpath=tuple(args.pythonpath), progress=print)
    except SessionError as exc:
        print(f"session: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("session: interrupted; everything started was stopped", file=sys.stderr)
        return 130
    if args.show_app_output:
        print("application output:")
        for line in result.app_output.splitlines():
            print(f"  | {line}")
    print(f"the stand-ins received: {sum(p == '/v1/responses' for p, _ in result.http)} AI request(s), "
          f"{sum(p == '/v1/batch' for p, _ in result.http)} analytics batch(es), {len(result.mail)} mail(s)")
    if result.app_status not in (0, None):
        print(f"session: the application exited with status {result.app_status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
