"""The C call tracer (sst_runtime.trace): calls of the catalogue's sink
functions that static rewriting cannot see are recorded with detection
"tracer" at the code that made them; a statically wrapped call still gives
exactly one event. The frame engine (the default) traces threads already
running and threads started later, survives start() and stop() while other
threads run, leaves neither a frame-evaluation function nor a profile
function behind, and chains to another tool's frame-evaluation function
without dropping it. The profile engine runs a smaller set: the same calls,
its threads and its coexistence with other profile functions. Real libraries
against local servers on 127.0.0.1 (HTTP and SMTP), real sst-rewrite
output. The extension only (SST_RUNTIME=c)."""
from __future__ import annotations

import asyncio
import contextlib
import email.message
import functools
import http.server
import importlib
import importlib.util
import inspect
import io
import json
import os
import shutil
import smtplib
import socketserver
import subprocess
import sys
import sysconfig
import tempfile
import threading
import unittest
import urllib.request
from typing import Any, Dict, List, Optional, Tuple
from unittest import mock

from rtsupport import HERE, PYTHON_DIR, RuntimeCase, events, fresh, here, origin, qualname, rt

import requests  # noqa: E402  (after rtsupport: the package path is set up)
import sst_runtime.trace as trace  # noqa: E402

FILE = __file__
REWRITER = os.environ.get("SST_REWRITE", os.path.join(HERE, "..", "..", "build", "bin", "sst-rewrite"))


# Where the tracer's frame-evaluation function is: ("tracer", None) when it
# is the interpreter's, ("below", other) under another tool's, ("other",
# other), ("none", None). A C call: asking makes no Python frame (a frame
# would let a stopped tracer's function leave the chain first).
frame_state = functools.partial(trace._impl._trace_frame_state, trace._probe)


def nothing() -> None:
    """A Python frame."""


# Another tool's PEP 523 frame-evaluation function (a profiler, a JIT, a
# debugger), built by the tests that need one: counts the frames of one code
# name it sees and hands every frame to the function it found. uninstall() puts that function back
# (when its own is on top); drop() puts CPython's back, as a tool that
# assumes it was alone would.
OTHER_EVAL_C = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define Py_BUILD_CORE 1
#include <internal/pycore_frame.h>
#undef Py_BUILD_CORE

static _PyFrameEvalFunction below;
static PyObject *name;   /* frames of code of this name are counted */
static long long frames;

PyObject *other_eval(PyThreadState *ts, struct _PyInterpreterFrame *frame, int throwflag)
{
    if (name && frame->f_code->co_name == name) frames++;
    return below(ts, frame, throwflag);
}

static PyObject *install(PyObject *m, PyObject *unused)
{
    below = _PyInterpreterState_GetEvalFrameFunc(PyInterpreterState_Get());
    _PyInterpreterState_SetEvalFrameFunc(PyInterpreterState_Get(), other_eval);
    Py_RETURN_NONE;
}

static PyObject *uninstall(PyObject *m, PyObject *unused)
{
    if (_PyInterpreterState_GetEvalFrameFunc(PyInterpreterState_Get()) == other_eval)
        _PyInterpreterState_SetEvalFrameFunc(PyInterpreterState_Get(), below);
    Py_RETURN_NONE;
}

static PyObject *drop(PyObject *m, PyObject *unused)
{
    _PyInterpreterState_SetEvalFrameFunc(PyInterpreterState_Get(), _PyEval_EvalFrameDefault);
    Py_RETURN_NONE;
}

static PyObject *count(PyObject *m, PyObject *code_name)
{
    Py_INCREF(code_name);
    PyUnicode_InternInPlace(&code_name);
    Py_XSETREF(name, code_name);
    long long n = frames;
    frames = 0;
    return PyLong_FromLongLong(n);
}

static PyMethodDef methods[] = {
    {"install", install, METH_NOARGS, NULL},
    {"uninstall", uninstall, METH_NOARGS, NULL},
    {"drop", drop, METH_NOARGS, NULL},
    {"count", count, METH_O, "count(name): the frames of NAME counted since the last count(); counts NAME now."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "sst_other_eval", NULL, -1, methods};

PyMODINIT_FUNC PyInit_sst_other_eval(void)
{
    return PyModule_Create(&def);
}
"""


def build_other_eval(directory: str) -> Tuple[Any, str]:
    """Compiles OTHER_EVAL_C in DIRECTORY; the module and its file."""
    source = os.path.join(directory, "sst_other_eval.c")
    target = os.path.join(directory, "sst_other_eval" + sysconfig.get_config_var("EXT_SUFFIX"))
    with open(source, "w", encoding="utf-8") as f:
        f.write(OTHER_EVAL_C)
    cc = shutil.which("cc") or shutil.which("gcc") or "cc"
    run = subprocess.run([cc, "-O1", "-shared", "-fPIC", "-I", sysconfig.get_paths()["include"], source, "-o",
                          target], capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"sst_other_eval.c does not build: {run.stderr}")
    spec = importlib.util.spec_from_file_location("sst_other_eval", target)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, target


FAKE_SYNC_SDK = (
    "class Client:\n"
    "    def __init__(self, base_url):\n"
    "        self.base_url = base_url\n"
    "\n"
    "    def send(self, path, data=None, gate=None):\n"
    "        if gate is not None:\n"
    "            gate.wait()\n"
    "        return len(data)\n")

FAKE_ASYNC_SDK = (
    "import asyncio\n"
    "\n"
    "\n"
    "class AsyncClient:\n"
    "    def __init__(self, base_url):\n"
    "        self.base_url = base_url\n"
    "\n"
    "    async def send(self, path, data=None):\n"
    "        await asyncio.sleep(0)\n"
    "        await asyncio.sleep(0)\n"
    "        return len(data)\n")


class HTTPHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.bodies.append(body)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


class SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: every command accepted, messages kept."""

    def handle(self) -> None:
        self.wfile.write(b"220 127.0.0.1 ready\r\n")
        data: List[bytes] = []
        in_data = False
        for line in self.rfile:
            if in_data:
                if line == b".\r\n":
                    in_data = False
                    self.server.messages.append(b"".join(data))  # type: ignore[attr-defined]
                    self.wfile.write(b"250 queued\r\n")
                else:
                    data.append(line)
                continue
            verb = line[:4].upper()
            if verb == b"DATA":
                in_data = True
                self.wfile.write(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


def serve(server: socketserver.BaseServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name=f"server-{type(server).__name__}", daemon=True)
    thread.start()
    return thread


class TraceCase(RuntimeCase):
    """A local HTTP server (started before any tracing: with the frame engine
    its thread is traced too, and makes no watched call) and a tracer stopped
    after every test. ENGINE is the engine the tests start."""

    ENGINE = "frame"

    @classmethod
    def setUpClass(cls) -> None:
        cls.env = mock.patch.dict(os.environ, {"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"})
        cls.env.start()
        cls.http = http.server.HTTPServer(("127.0.0.1", 0), HTTPHandler)
        cls.http.bodies = []  # type: ignore[attr-defined]
        cls.http_thread = serve(cls.http)
        cls.url = f"http://127.0.0.1:{cls.http.server_port}/collect"

    @classmethod
    def tearDownClass(cls) -> None:
        cls.http.shutdown()
        cls.http.server_close()
        cls.http_thread.join()
        cls.env.stop()

    def setUp(self) -> None:
        super().setUp()
        self.assertFalse(trace.is_tracing())
        self.assertIsNone(trace.engine())
        self.assertEqual(frame_state(), ("none", None))
        self.assertIsNone(sys.getprofile())
        self.assertIsNone(threading.getprofile())
        trace._said.clear()   # each test sees the messages said once
        self.http.bodies.clear()
        self.stats_before = trace.stats()

    def tearDown(self) -> None:
        trace.stop()
        sys.setprofile(None)
        threading.setprofile(None)
        super().tearDown()

    def start(self, **kwargs: Any) -> bool:
        return trace.start(engine=self.ENGINE, **kwargs)

    def tracing(self, **kwargs: Any):
        return trace.tracing(engine=self.ENGINE, **kwargs)

    def counted(self) -> Dict[str, int]:
        """What trace.stats() counted during this test."""
        now = trace.stats()
        return {k: now[k] - self.stats_before[k] for k in now if k != "rows"}

    def module_dir(self, name: str, text: str) -> str:
        """Module NAME with TEXT in a temporary directory on sys.path."""
        directory = tempfile.mkdtemp(prefix="sst-trace-mod-")
        self.addCleanup(shutil.rmtree, directory)
        with open(os.path.join(directory, f"{name}.py"), "w", encoding="utf-8") as f:
            f.write(text)
        sys.path.insert(0, directory)
        self.addCleanup(sys.path.remove, directory)
        self.addCleanup(sys.modules.pop, name, None)
        return os.path.join(directory, f"{name}.py")


class DynamicCallTests(TraceCase):
    def test_getattr_requests_post_is_caught_by_the_tracer(self):
        request = {"id": "r-7", "method": "POST", "path": "/signup", "endpoint": "signup"}
        self.assertTrue(self.start())
        self.assertEqual(trace.engine(), self.ENGINE)
        with rt.context(method="POST", path="/signup", endpoint="signup", request_id="r-7"):
            address = rt.source(("flask.request.form", "email"), fresh("jane@example.com")); l1 = here()  # noqa: E702
            post = getattr(requests, "post")
            reply = post(self.url, json={"email": address, "plan": "pro"}); l2 = here()  # noqa: E702
        trace.stop()
        self.assertEqual(reply.status_code, 200)
        self.assertEqual([json.loads(b) for b in self.http.bodies], [{"email": "jane@example.com", "plan": "pro"}])
        self.assertEqual(events(), [{
            "schema": 1, "kind": "external", "sink": "requests.Session().request", "service": "requests",
            "destination": "127.0.0.1", "file": FILE, "line": l2, "function": qualname(),
            "categories": ["email", "user_text"],
            "origins": [origin("request", "flask.request.form", "email", FILE, l1)],
            "request": request, "detection": "tracer",
            "values": [{"where": "kwargs['json']['email']", "categories": ["email", "user_text"],
                        "preview": "j***@e***.com"}]}])
        # requests -> Session.request -> Session.send -> urllib3 -> http.client:
        # the inner watched calls are left to the outer one.
        self.assertEqual(self.counted(), {"watched_calls": 6, "events": 1, "skipped_static": 0,
                                          "skipped_nested": 5, "resumed": 0})

    def test_nothing_is_recorded_without_the_tracer(self):
        post = getattr(requests, "post")
        self.assertEqual(post(self.url, json={"email": fresh("jane@example.com")}).status_code, 200)
        self.assertEqual(events(), [])
        self.assertEqual(self.counted()["watched_calls"], 0)

    def test_urlopen_reports_once_with_the_detected_value(self):
        with self.tracing():
            urllib.request.urlopen(self.url, data=fresh("write to jane@example.com").encode()).read()
            line = here() - 1
        self.assertEqual(events(), [{
            "schema": 1, "kind": "external", "sink": "urllib.request.urlopen", "service": "urllib",
            "destination": "127.0.0.1", "file": FILE, "line": line, "function": qualname(),
            "categories": ["email"], "origins": [origin("pattern", "email", None, FILE, line)],
            "request": None, "detection": "tracer",
            "values": [{"where": "kwargs['data']", "categories": ["email"], "preview": "j***@e***.com"}]}])
        counted = self.counted()
        # OpenerDirector.open, HTTPConnection.request, HTTPConnection.send (headers, body)
        self.assertEqual((counted["events"], counted["skipped_nested"]), (1, 4))

    def test_smtp_send_message_reaches_sendmail(self):
        smtp_server = socketserver.TCPServer(("127.0.0.1", 0), SMTPHandler)
        smtp_server.messages = []  # type: ignore[attr-defined]
        smtp_thread = serve(smtp_server)
        self.addCleanup(smtp_thread.join)
        self.addCleanup(smtp_server.server_close)
        self.addCleanup(smtp_server.shutdown)
        msg = email.message.EmailMessage()
        msg["From"] = "shop@example.org"
        msg["To"] = fresh("jane@example.com")
        msg["Subject"] = "Your receipt"
        msg.set_content("Thanks.")
        with smtplib.SMTP("127.0.0.1", smtp_server.server_address[1]) as client, self.tracing():
            client.send_message(msg); line = here()  # noqa: E702
        self.assertEqual(len(smtp_server.messages), 1)
        pattern = origin("pattern", "email", None, FILE, line)
        ev = events()
        self.assertEqual([(e["sink"], e["service"], e["destination"], e["line"], e["function"], e["categories"],
                           e["origins"], e["detection"]) for e in ev],
                         [("smtplib.SMTP().sendmail", "smtp", "127.0.0.1", line, qualname(), ["email"], [pattern],
                           "tracer")])
        self.assertEqual([v["where"] for v in ev[0]["values"]],
                         ["kwargs['from_addr']", "kwargs['to_addrs'][0]", "kwargs['msg']"])

    def test_a_keyboard_interrupt_in_the_inspection_reaches_the_call(self):
        # The destination comes from the client's base_url, here a property
        # that raises KeyboardInterrupt: that is the user's, not a failure of
        # the tracer. The call raises it before its body runs.
        self.module_dir("fake_interrupted_sdk", (
            "class Client:\n"
            "    ran = 0\n"
            "\n"
            "    @property\n"
            "    def base_url(self):\n"
            "        raise KeyboardInterrupt\n"
            "\n"
            "    def send(self, path, data=None):\n"
            "        Client.ran += 1\n"
            "        return len(data)\n"))
        trace.watch("httpx.Client().send", "fake_interrupted_sdk", "Client.send")
        sdk = importlib.import_module("fake_interrupted_sdk")
        client = sdk.Client()
        with self.tracing():
            self.assertEqual(client.send("/m", data={"to": "nobody"}), 1)
            with self.assertRaises(KeyboardInterrupt):
                client.send("/m", data={"to": fresh("jane@example.com")})
            self.assertEqual(client.send("/m", data={"to": "nobody"}), 1)
        self.assertEqual(sdk.Client.ran, 2)
        self.assertEqual(events(), [])


class StaticAndTracerTests(TraceCase):
    """sst-rewrite output: the getattr call is not wrapped (the tracer reports
    it), the direct call is (the static wrapper reports it, the tracer not)."""

    SOURCE = (
        "import requests\n"
        "\n"
        "\n"
        "def notify(url, email):\n"
        "    return getattr(requests, \"post\")(url, json={\"email\": email})\n"
        "\n"
        "\n"
        "def notify_static(url, email):\n"
        "    return requests.post(url, json={\"email\": email})\n"
    )

    def setUp(self) -> None:
        super().setUp()
        src = tempfile.mkdtemp(prefix="sst-trace-src-")
        out = tempfile.mkdtemp(prefix="sst-trace-out-")
        self.addCleanup(shutil.rmtree, src)
        self.addCleanup(shutil.rmtree, out)
        with open(os.path.join(src, "notify_app.py"), "w", encoding="utf-8") as f:
            f.write(self.SOURCE)
        run = subprocess.run([REWRITER, src, "-o", out, "-q"], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.file = os.path.join(out, "notify_app.py")
        with open(self.file, encoding="utf-8") as f:
            text = f.read()
        self.assertIn('__sst__.external("requests.post", requests.post, (url, email))', text)
        self.assertIn('getattr(requests, "post")(url, json={"email": email})', text)
        sys.path.insert(0, out)
        self.addCleanup(sys.path.remove, out)
        self.addCleanup(sys.modules.pop, "notify_app", None)
        self.app = importlib.import_module("notify_app")
        self.assertEqual(self.app.__file__, self.file)

    def expected(self, sink: str, line: int, function: str, detection: str) -> Dict[str, Any]:
        return {"schema": 1, "kind": "external", "sink": sink, "service": "requests", "destination": "127.0.0.1",
                "file": self.file, "line": line, "function": function, "categories": ["email"],
                "origins": [origin("parameter", function, "email", self.file, line - 1)], "request": None,
                "detection": detection,
                "values": [{"where": "kwargs['json']['email']", "categories": ["email"], "preview": "j***@e***.com"}]}

    def test_the_unwrapped_call_is_the_tracers(self):
        with self.tracing():
            self.assertEqual(self.app.notify(self.url, fresh("jane@example.com")).status_code, 200)
        self.assertEqual(events(), [self.expected("requests.Session().request", 5, "notify", "tracer")])

    def test_the_unwrapped_call_is_unseen_without_the_tracer(self):
        self.assertEqual(self.app.notify(self.url, fresh("jane@example.com")).status_code, 200)
        self.assertEqual(events(), [])

    def test_a_statically_wrapped_call_yields_exactly_one_event(self):
        with self.tracing():
            self.assertEqual(self.app.notify_static(self.url, fresh("jane@example.com")).status_code, 200)
        self.assertEqual(events(), [self.expected("requests.post", 9, "notify_static", "static")])
        # The tracer saw the watched calls inside the wrapper and left them.
        counted = self.counted()
        self.assertEqual((counted["events"], counted["skipped_static"], counted["skipped_nested"]), (0, 6, 0))


class ThreadTests(TraceCase):
    """The frame engine: one function for the whole interpreter."""

    def test_threads_already_running_and_threads_started_later_are_traced(self):
        go = threading.Event()
        seen: Dict[str, Any] = {}

        def send(phone):
            seen[threading.current_thread().name] = (sys.getprofile(), trace.engine())
            return getattr(requests, "post")(self.url, data={"phone": phone})

        def early(phone_box):
            go.wait()
            send(phone_box[0])

        box: List[str] = []
        running = threading.Thread(target=early, args=(box,), name="running")
        running.start()
        self.assertTrue(trace.start())
        phone = rt.source(("flask.request.form", "phone"), fresh("+1 202 555 0143")); l1 = here()  # noqa: E702
        box.append(phone)
        go.set()
        running.join()
        later = threading.Thread(target=send, args=(phone,), name="later")
        later.start()
        later.join()
        trace.stop()
        line = send.__code__.co_firstlineno + 2
        self.assertEqual(seen, {"running": (None, "frame"), "later": (None, "frame")})
        self.assertEqual([(e["sink"], e["line"], e["function"], e["categories"], e["origins"], e["detection"],
                           e["values"]) for e in events()],
                         [("requests.Session().request", line, f"{qualname()}.<locals>.send",
                           ["phone", "user_text"], [origin("request", "flask.request.form", "phone", FILE, l1)],
                           "tracer",
                           [{"where": "kwargs['data']['phone']", "categories": ["phone", "user_text"],
                             "preview": "*******0143"}])] * 2)

    def test_asyncio_to_thread(self):
        def send(phone):
            return getattr(requests, "post")(self.url, data={"phone": phone})

        async def handler(phone):
            return await asyncio.to_thread(send, phone)

        with self.tracing():
            with rt.context(method="POST", path="/sms", endpoint="sms", request_id="r-9"):
                phone = rt.source(("flask.request.form", "phone"), fresh("+1 202 555 0143"))
                self.assertEqual(asyncio.run(handler(phone)).status_code, 200)
        self.assertEqual([(e["function"], e["line"], e["request"]["id"], e["detection"]) for e in events()],
                         [(f"{qualname()}.<locals>.send", send.__code__.co_firstlineno + 1, "r-9", "tracer")])

    def test_stop_leaves_no_eval_function_and_no_profile_function_behind(self):
        stopped, checked = threading.Event(), threading.Event()
        seen: Dict[str, Any] = {}

        def worker():
            seen["before"] = (sys.getprofile(), frame_state())
            stopped.wait()
            getattr(requests, "post")(self.url, json={"email": fresh("jane@example.com")})
            seen["after"] = (sys.getprofile(), frame_state())
            checked.set()

        self.assertTrue(trace.start())
        self.assertTrue(trace.is_tracing())
        self.assertEqual(frame_state(), ("tracer", None))
        self.assertIsNone(sys.getprofile())
        self.assertIsNone(threading.getprofile())
        thread = threading.Thread(target=worker)
        thread.start()
        trace.stop()
        state = frame_state()   # before any other Python frame runs
        self.assertEqual(state, ("none", None))
        self.assertFalse(trace.is_tracing())
        self.assertIsNone(trace.engine())
        self.assertIsNone(sys.getprofile())
        self.assertIsNone(threading.getprofile())
        stopped.set()
        thread.join()
        self.assertTrue(checked.is_set())
        self.assertEqual(seen, {"before": (None, ("tracer", None)), "after": (None, ("none", None))})

        def later():
            seen["later"] = (sys.getprofile(), frame_state())
            getattr(requests, "post")(self.url, json={"email": fresh("jane@example.com")})

        thread = threading.Thread(target=later)
        thread.start()
        thread.join()
        self.assertEqual(seen["later"], (None, ("none", None)))
        self.assertEqual(events(), [])

    def test_stop_puts_the_function_found_back_at_once(self):
        # stop()'s C half, no Python frame in between: not left to the
        # stopped function's leaving at the next frame.
        self.assertTrue(trace.start())
        trace._impl._trace_set_engine(None)
        stopped = trace._impl._trace_frame_stop(trace._probe)
        state = frame_state()
        self.assertEqual((stopped, state), (("restored", None), ("none", None)))

    def test_start_and_stop_while_other_threads_run(self):
        # Three threads call a watched function in a loop while this one
        # starts and stops the tracer; a fourth sits inside a watched call
        # that went through the tracer's function all along. Every call
        # returns its result; the last call of each worker is made while
        # the tracer runs.
        self.module_dir("fake_sync_sdk", FAKE_SYNC_SDK)
        trace.watch("httpx.Client().send", "fake_sync_sdk", "Client.send")
        sdk = importlib.import_module("fake_sync_sdk")
        calls = 150
        totals = [0, 0, 0]
        go, last, entered, release = threading.Event(), threading.Event(), threading.Event(), threading.Event()
        waiting = [False, False, False]

        def depth(n):
            return 0 if n == 0 else 1 + depth(n - 1)

        def worker(k):
            client = sdk.Client(f"https://api{k}.example.net/v2")
            go.wait()
            for i in range(calls + 1):
                if i == calls:
                    waiting[k] = True
                    last.wait()
                totals[k] += client.send("/m", data={"to": fresh("jane@example.com")}) + depth(5)

        class Gate:
            def wait(self):
                entered.set()
                release.wait()

        def inside():
            client = sdk.Client("https://inside.example.net")
            totals.append(client.send("/m", data={"to": fresh("jane@example.com")}, gate=Gate()))

        line = worker.__code__.co_firstlineno + 7
        inside_line = inside.__code__.co_firstlineno + 2
        self.assertTrue(trace.start())
        blocked = threading.Thread(target=inside, name="inside")
        blocked.start()
        entered.wait()
        threads = [threading.Thread(target=worker, args=(k,), name=f"worker-{k}") for k in range(3)]
        for thread in threads:
            thread.start()
        # Threads switch every 0.1 ms rather than 5 ms: the workers' calls
        # and this thread's starts and stops interleave finely.
        self.addCleanup(sys.setswitchinterval, sys.getswitchinterval())
        sys.setswitchinterval(0.0001)
        go.set()
        rounds = 0
        while rounds < 40 or not all(waiting):
            trace.stop()
            self.assertTrue(trace.start())
            rounds += 1
        last.set()
        for thread in threads:
            thread.join()
        trace.stop()
        release.set()
        blocked.join()
        self.assertEqual(frame_state(), ("none", None))
        self.assertEqual(totals, [6 * (calls + 1)] * 3 + [1])
        ev = events()
        self.assertEqual(self.counted()["events"], len(ev))
        self.assertEqual({(e["sink"], e["line"], e["function"], e["detection"]) for e in ev},
                         {("httpx.Client().send", line, f"{qualname()}.<locals>.worker", "tracer"),
                          ("httpx.Client().send", inside_line, f"{qualname()}.<locals>.inside", "tracer")})
        self.assertEqual({e["destination"] for e in ev},
                         {"api0.example.net", "api1.example.net", "api2.example.net", "inside.example.net"})

    def test_tracing_block_keeps_an_outer_start(self):
        trace.start()
        with trace.tracing():
            pass
        self.assertTrue(trace.is_tracing())
        self.assertEqual(frame_state(), ("tracer", None))
        trace.stop()
        with trace.tracing():
            self.assertTrue(trace.is_tracing())
            self.assertEqual(frame_state(), ("tracer", None))
        self.assertFalse(trace.is_tracing())
        self.assertEqual(frame_state(), ("none", None))

    def test_start_without_an_engine_keeps_the_running_one_and_an_engine_switches(self):
        self.assertTrue(trace.start())
        self.assertEqual((trace.engine(), frame_state(), sys.getprofile()), ("frame", ("tracer", None), None))
        self.assertTrue(trace.start(engine="profile"))
        tracer = trace._impl._trace_object()
        self.assertEqual((trace.engine(), frame_state()), ("profile", ("none", None)))
        self.assertIs(sys.getprofile(), tracer)
        self.assertIs(threading.getprofile(), tracer)
        self.assertTrue(trace.start())
        self.assertEqual(trace.engine(), "profile")
        self.assertTrue(trace.start(engine="frame"))
        self.assertEqual((trace.engine(), frame_state()), ("frame", ("tracer", None)))
        self.assertIsNone(threading.getprofile())
        # This thread's profile function removes itself at its next event.
        len([])
        self.assertIsNone(sys.getprofile())
        with self.assertRaises(ValueError) as caught:
            trace.start(engine="settrace")
        self.assertEqual(str(caught.exception),
                         "sst_runtime.trace: engine is one of 'frame', 'profile', not 'settrace'")
        self.assertEqual(trace.engine(), "frame")

    def test_deep_recursion_still_ends_in_recursion_error(self):
        # Each Python call is a C-level call under a frame-evaluation
        # function (as before 3.11): the recursion limit still applies.
        def depth(n):
            return 0 if n == 0 else 1 + depth(n - 1)

        with self.tracing():
            self.assertEqual(depth(sys.getrecursionlimit() - 200), sys.getrecursionlimit() - 200)
            with self.assertRaises(RecursionError):
                depth(sys.getrecursionlimit() + 10)
        self.assertEqual(frame_state(), ("none", None))


def other_profile(frame, event, arg):
    return None


class CoexistenceTests(TraceCase):
    """The frame engine and other tools: profile and trace functions are
    other slots; another frame-evaluation function is chained to, never
    dropped."""

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.build_dir = tempfile.mkdtemp(prefix="sst-trace-eval-")
        cls.other, cls.other_file = build_other_eval(cls.build_dir)

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.build_dir, ignore_errors=True)
        super().tearDownClass()

    def tearDown(self) -> None:
        trace.stop()
        self.other.uninstall()
        trace.stop()
        nothing()   # a stopped tracer's function on top leaves at the next frame
        super().tearDown()

    def start_said(self, **kwargs: Any) -> Tuple[bool, str]:
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            result = self.start(**kwargs)
        return result, err.getvalue()

    def stop_said(self) -> str:
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            trace.stop()
        return err.getvalue()

    def post(self) -> None:
        getattr(requests, "post")(self.url, json={"email": fresh("jane@example.com")})

    def test_a_profile_function_is_no_conflict(self):
        sys.setprofile(other_profile)
        self.assertEqual(self.start_said(), (True, ""))
        self.assertIs(sys.getprofile(), other_profile)
        self.post()
        trace.stop()
        self.assertIs(sys.getprofile(), other_profile)
        sys.setprofile(None)
        self.assertEqual([e["detection"] for e in events()], ["tracer"])

    def test_a_debuggers_trace_function_is_no_conflict(self):
        def tracer_fn(frame, event, arg):
            return None

        sys.settrace(tracer_fn)
        try:
            installed, said = self.start_said()
            self.assertEqual((installed, said), (True, ""))
            self.post()
            trace.stop()
            self.assertIs(sys.gettrace(), tracer_fn)
        finally:
            sys.settrace(None)
        self.assertEqual([e["detection"] for e in events()], ["tracer"])

    def test_another_eval_function_is_chained_to_and_kept(self):
        other = f"other_eval in {self.other_file}"
        self.other.install()
        self.assertEqual(frame_state(), ("other", other))
        said = ("sst_runtime.trace: another frame-evaluation function (" + other + ") is installed; it is kept: "
                "the tracer runs first and hands every frame on to it\n")
        self.assertEqual(self.start_said(), (True, said))
        self.assertEqual(frame_state(), ("tracer", None))
        self.other.count("nothing")
        for _ in range(100):
            nothing()
        self.post()
        self.assertEqual(self.other.count("nothing"), 100)   # it still sees every frame
        self.assertEqual(self.stop_said(), "")
        self.assertEqual(frame_state(), ("other", other))
        # Said once.
        self.assertEqual(self.start_said(), (True, ""))
        trace.stop()
        self.assertEqual(frame_state(), ("other", other))
        self.other.uninstall()
        self.assertEqual(frame_state(), ("none", None))
        self.assertEqual([e["detection"] for e in events()], ["tracer"])

    def test_an_eval_function_installed_later_keeps_the_tracer_in_its_chain(self):
        other = f"other_eval in {self.other_file}"
        self.assertEqual(self.start_said(), (True, ""))
        self.other.install()
        self.assertEqual(frame_state(), ("below", other))
        self.post()
        self.assertEqual([e["detection"] for e in events()], ["tracer"])
        said = ("sst_runtime.trace: another frame-evaluation function (" + other + ") was installed after the "
                "tracer's and hands frames on to it; the tracer's stays in that chain and hands every frame on "
                "untouched\n")
        self.assertEqual(self.stop_said(), said)
        self.assertFalse(trace.is_tracing())
        self.assertEqual(frame_state(), ("below", other))
        self.post()
        self.assertEqual(len(events()), 1)   # stopped: handed on untouched
        # Started again, it traces from inside the chain.
        said = ("sst_runtime.trace: the tracer's frame-evaluation function is still in the chain, under " + other +
                " (installed after it); it traces from there\n")
        self.assertEqual(self.start_said(), (True, said))
        self.post()
        self.assertEqual(len(events()), 2)
        self.other.count("nothing")
        for _ in range(100):
            nothing()
        self.assertEqual(self.other.count("nothing"), 100)
        trace.stop()
        # The other tool leaves, putting the tracer's function back on top: a
        # stopped tracer's function leaves at the next frame.
        self.other.uninstall()
        self.assertEqual(frame_state(), ("tracer", None))
        nothing()
        self.assertEqual(frame_state(), ("none", None))

    def test_start_again_after_another_tool_dropped_the_tracer(self):
        self.assertTrue(self.start())
        self.other.install()
        self.other.drop()        # CPython's evaluation back, the tracer's with it
        self.assertEqual(frame_state(), ("none", None))
        self.post()
        self.assertEqual(events(), [])
        self.assertEqual(self.start_said(), (True, ""))
        self.assertEqual(frame_state(), ("tracer", None))
        self.post()
        self.assertEqual([e["detection"] for e in events()], ["tracer"])
        trace.stop()
        self.assertEqual(frame_state(), ("none", None))


class WatchTableTests(TraceCase):
    def test_every_row_is_a_catalogue_sink(self):
        for sink, module, attribute in trace.WATCHED:
            entry = rt.catalog_lookup(sink)
            self.assertIsNotNone(entry, sink)
            self.assertEqual(entry["kind"], "external", sink)

    def test_the_installed_libraries_resolve(self):
        found = {w.sink: w.function for w in trace.watched() if (w.sink, w.module, w.attribute) in trace.WATCHED}
        self.assertEqual(len(found), len(trace.WATCHED))
        self.assertEqual({k: v for k, v in found.items() if v is not None}, {
            "requests.Session().request": "Session.request",
            "requests.Session().send": "Session.send",
            "urllib3.PoolManager().request": "RequestMethods.request",
            "urllib3.PoolManager().urlopen": "PoolManager.urlopen",
            "urllib3.HTTPConnectionPool().urlopen": "HTTPConnectionPool.urlopen",
            "http.client.HTTPConnection().request": "HTTPConnection.request",
            "http.client.HTTPConnection().send": "HTTPConnection.send",
            "urllib.request.urlopen": "urlopen",
            "urllib.request.OpenerDirector().open": "OpenerDirector.open",
            "smtplib.SMTP().sendmail": "SMTP.sendmail",
        })

    def test_a_sink_that_is_not_in_the_catalogue_is_refused(self):
        with self.assertRaises(ValueError) as caught:
            trace.watch("example.Nowhere().send", "json", "dumps")
        self.assertEqual(str(caught.exception),
                         "sst_runtime.trace: 'example.Nowhere().send' is not an external or store entry of the "
                         "catalogue")


class LateImportTests(TraceCase):
    """Functions of modules imported after start(), and coroutines."""

    # The frame engine sees a coroutine's call (its creation) and then each
    # of its three steps; the profile engine's first call event is the first
    # step, so it counts two resumptions.
    RESUMED = {"frame": 3, "profile": 2}

    def test_requests_imported_after_start(self):
        script = (
            "import json, sys\n"
            "import sst_runtime as rt, sst_runtime.trace as trace\n"
            "rt.configure(audit_log=None, memory=True)\n"
            "assert 'requests' not in sys.modules\n"
            "trace.start(engine=sys.argv[2])\n"
            "import requests\n"
            "requests.post(sys.argv[1], json={'email': ('jane@example.com!')[:-1]})\n"
            "trace.stop()\n"
            "print(json.dumps([(e['sink'], e['line'], e['detection'], e['categories']) for e in rt.events()]))\n")
        env = dict(os.environ, PYTHONPATH=PYTHON_DIR, SST_RUNTIME="c")
        run = subprocess.run([sys.executable, "-c", script, self.url, self.ENGINE], capture_output=True, text=True,
                             env=env)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(json.loads(run.stdout), [["requests.Session().request", 7, "tracer", ["email"]]])

    def test_a_coroutine_is_inspected_once(self):
        path = self.module_dir("fake_async_sdk", FAKE_ASYNC_SDK)
        trace.watch("httpx.AsyncClient().send", "fake_async_sdk", "AsyncClient.send")
        self.start()
        sdk = importlib.import_module("fake_async_sdk")
        self.assertEqual(sdk.__file__, path)

        async def handler(address):
            client = sdk.AsyncClient("https://api.example.net/v2")
            return await client.send("/messages", data={"to": address})

        self.assertEqual(asyncio.run(handler(fresh("jane@example.com"))), 1)
        trace.stop()
        line = handler.__code__.co_firstlineno + 2
        self.assertEqual(events(), [{
            "schema": 1, "kind": "external", "sink": "httpx.AsyncClient().send", "service": "httpx",
            "destination": "api.example.net", "file": FILE, "line": line,
            "function": f"{qualname()}.<locals>.handler", "categories": ["email"],
            "origins": [origin("pattern", "email", None, FILE, line)], "request": None, "detection": "tracer",
            "values": [{"where": "kwargs['data']['to']", "categories": ["email"], "preview": "j***@e***.com"}]}])
        counted = self.counted()
        self.assertEqual((counted["watched_calls"], counted["events"], counted["resumed"]),
                         (1, 1, self.RESUMED[self.ENGINE]))

    def test_a_task_is_reported_where_the_coroutine_was_made(self):
        # The frame engine sees the call that makes the coroutine: the site is
        # that line, not the event loop's frame that runs the task's first step.
        self.module_dir("fake_async_sdk", FAKE_ASYNC_SDK)
        trace.watch("httpx.AsyncClient().send", "fake_async_sdk", "AsyncClient.send")
        sdk = importlib.import_module("fake_async_sdk")

        async def handler(address):
            client = sdk.AsyncClient("https://api.example.net/v2")
            task = asyncio.create_task(client.send("/messages", data={"to": address}))
            return await task

        with self.tracing():
            self.assertEqual(asyncio.run(handler(fresh("jane@example.com"))), 1)
        if self.ENGINE == "frame":
            expected = (FILE, handler.__code__.co_firstlineno + 2, f"{qualname()}.<locals>.handler")
        else:
            # The profile engine's first event for it is the task's first
            # step, run by the event loop's Handle._run.
            lines, first = inspect.getsourcelines(asyncio.events.Handle._run)
            line = first + next(i for i, text in enumerate(lines) if "self._context.run(" in text)
            expected = (asyncio.events.__file__, line, "Handle._run")
        self.assertEqual([(e["file"], e["line"], e["function"]) for e in events()], [expected])


class ProfileDynamicCallTests(DynamicCallTests):
    ENGINE = "profile"


class ProfileStaticAndTracerTests(StaticAndTracerTests):
    ENGINE = "profile"


class ProfileLateImportTests(LateImportTests):
    ENGINE = "profile"


class ProfileThreadTests(TraceCase):
    """The profile engine: a profile function per thread."""

    ENGINE = "profile"

    def test_threads_started_after_start_are_traced(self):
        seen: Dict[str, Any] = {}

        def send(phone):
            seen["profile"] = sys.getprofile()
            return getattr(requests, "post")(self.url, data={"phone": phone})

        self.start()
        phone = rt.source(("flask.request.form", "phone"), fresh("+1 202 555 0143")); l1 = here()  # noqa: E702
        worker = threading.Thread(target=send, args=(phone,))
        worker.start()
        worker.join()
        line = send.__code__.co_firstlineno + 2
        self.assertIs(seen["profile"], trace._impl._trace_object())
        self.assertEqual([(e["sink"], e["line"], e["function"], e["categories"], e["origins"], e["detection"],
                           e["values"]) for e in events()],
                         [("requests.Session().request", line, f"{qualname()}.<locals>.send",
                           ["phone", "user_text"], [origin("request", "flask.request.form", "phone", FILE, l1)],
                           "tracer",
                           [{"where": "kwargs['data']['phone']", "categories": ["phone", "user_text"],
                             "preview": "*******0143"}])])

    def test_a_thread_running_before_start_is_not_traced(self):
        go, done = threading.Event(), threading.Event()
        seen: Dict[str, Any] = {}

        def early():
            go.wait()
            seen["profile"] = sys.getprofile()
            getattr(requests, "post")(self.url, json={"email": fresh("jane@example.com")})
            done.set()

        worker = threading.Thread(target=early)
        worker.start()
        self.start()
        go.set()
        worker.join()
        trace.stop()
        self.assertTrue(done.is_set())
        self.assertIsNone(seen["profile"])
        self.assertEqual(events(), [])

    def test_stop_leaves_no_profile_function_behind(self):
        tracer = trace._impl._trace_object()
        stopped, checked = threading.Event(), threading.Event()
        seen: Dict[str, Any] = {}

        def worker():
            seen["before"] = sys.getprofile()
            stopped.wait()
            len([])          # one more event: the thread removes its own profile function
            seen["after"] = sys.getprofile()
            checked.set()

        self.assertTrue(self.start())
        self.assertTrue(trace.is_tracing())
        self.assertEqual(trace.engine(), "profile")
        self.assertEqual(frame_state(), ("none", None))
        self.assertIs(sys.getprofile(), tracer)
        self.assertIs(threading.getprofile(), tracer)
        thread = threading.Thread(target=worker)
        thread.start()
        trace.stop()
        self.assertFalse(trace.is_tracing())
        self.assertIsNone(sys.getprofile())
        self.assertIsNone(threading.getprofile())
        stopped.set()
        thread.join()
        self.assertTrue(checked.is_set())
        self.assertEqual((seen["before"], seen["after"]), (tracer, None))

        def later():
            seen["later"] = sys.getprofile()
            getattr(requests, "post")(self.url, json={"email": fresh("jane@example.com")})

        thread = threading.Thread(target=later)
        thread.start()
        thread.join()
        self.assertIsNone(seen["later"])
        self.assertEqual(events(), [])

    def test_tracing_block_keeps_an_outer_start(self):
        self.start()
        with self.tracing():
            pass
        self.assertTrue(trace.is_tracing())
        self.assertIs(sys.getprofile(), trace._impl._trace_object())
        trace.stop()
        with self.tracing():
            self.assertTrue(trace.is_tracing())
        self.assertFalse(trace.is_tracing())
        self.assertIsNone(sys.getprofile())


class ProfileCoexistenceTests(TraceCase):
    ENGINE = "profile"

    def start_said(self, **kwargs: Any):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            result = self.start(**kwargs)
        return result, err.getvalue()

    def test_another_profile_function_is_reported_and_kept(self):
        sys.setprofile(other_profile)
        installed, said = self.start_said()
        self.assertFalse(installed)
        self.assertEqual(said, f"sst_runtime.trace: another profile function ({other_profile!r}) is installed on "
                               "thread 'MainThread'; it is kept and this thread is not traced "
                               "(start(force=True) replaces it)\n")
        self.assertIs(sys.getprofile(), other_profile)
        # This thread is not traced; threads started from now on are.
        getattr(requests, "post")(self.url, json={"email": fresh("jane@example.com")})
        self.assertEqual(events(), [])
        worker = threading.Thread(target=lambda: getattr(requests, "post")(
            self.url, json={"email": fresh("jane@example.com")}))
        worker.start()
        worker.join()
        self.assertEqual([e["detection"] for e in events()], ["tracer"])
        trace.stop()
        self.assertIs(sys.getprofile(), other_profile)

    def test_force_replaces_it_and_says_so(self):
        sys.setprofile(other_profile)
        installed, said = self.start_said(force=True)
        self.assertTrue(installed)
        self.assertEqual(said, f"sst_runtime.trace: replaced the profile function {other_profile!r} of thread "
                               "'MainThread' (force=True)\n")
        self.assertIs(sys.getprofile(), trace._impl._trace_object())
        trace.stop()
        self.assertIsNone(sys.getprofile())

    def test_another_threading_hook_is_reported_and_kept(self):
        threading.setprofile(other_profile)
        installed, said = self.start_said()
        self.assertTrue(installed)
        self.assertEqual(said, f"sst_runtime.trace: threading's profile hook for new threads is {other_profile!r}; "
                               "it is kept and threads started from now on are not traced "
                               "(start(force=True) replaces it)\n")
        self.assertIs(threading.getprofile(), other_profile)
        trace.stop()
        self.assertIs(threading.getprofile(), other_profile)
        self.assertIsNone(sys.getprofile())


class EnvironmentTests(unittest.TestCase):
    def run_script(self, script: str, **env: str) -> Tuple[int, str, str]:
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             env=dict(os.environ, PYTHONPATH=PYTHON_DIR, **env))
        return run.returncode, run.stdout, run.stderr

    def test_sst_trace_starts_the_frame_engine_at_import(self):
        script = ("import sys, threading, sst_runtime, sst_runtime.trace as trace\n"
                  "print(trace.is_tracing(), trace.engine(), trace._impl._trace_frame_state(trace._probe)[0],\n"
                  "      sys.getprofile(), threading.getprofile())\n")
        self.assertEqual(self.run_script(script, SST_RUNTIME="c", SST_TRACE="1"),
                         (0, "True frame tracer None None\n", ""))

    def test_sst_trace_profile_makes_the_profile_engine_the_default(self):
        script = ("import sys, threading, sst_runtime.trace as trace\n"
                  "print(trace.start(), trace.engine(), trace._impl._trace_frame_state(trace._probe)[0],\n"
                  "      sys.getprofile() is trace._impl._trace_object(),\n"
                  "      threading.getprofile() is trace._impl._trace_object())\n")
        self.assertEqual(self.run_script(script, SST_RUNTIME="c", SST_TRACE="profile"),
                         (0, "True profile none True True\n", ""))

    def test_the_fallback_says_it_has_no_tracer(self):
        script = ("import sst_runtime.trace as trace\n"
                  "print(trace.start(), trace.is_tracing(), trace.engine(), trace.start(engine='profile'))\n")
        self.assertEqual(self.run_script(script, SST_RUNTIME="python"), (0, "False False None False\n", (
            "sst_runtime.trace: the tracer needs the C extension (this is the pure-Python runtime); not started\n")))


if __name__ == "__main__":
    unittest.main()
