"""The C call tracer (sst_runtime.trace): calls of the catalogue's sink
functions that static rewriting cannot see are recorded with detection
"tracer" at the code that made them; a statically wrapped call still gives
exactly one event; threads started after start() are traced; stop() leaves
no profile function behind; another tool's profile function is reported and
kept. Real libraries against local servers on 127.0.0.1 (HTTP and SMTP),
real sst-rewrite output. The extension only (SST_RUNTIME=c)."""
from __future__ import annotations

import asyncio
import contextlib
import email.message
import http.server
import importlib
import io
import json
import os
import shutil
import smtplib
import socketserver
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.request
from typing import Any, Dict, List
from unittest import mock

from rtsupport import HERE, PYTHON_DIR, RuntimeCase, events, origin, rt

import requests  # noqa: E402  (after rtsupport: the package path is set up)
import sst_runtime.trace as trace  # noqa: E402

FILE = __file__
REWRITER = os.environ.get("SST_REWRITE", os.path.join(HERE, "..", "..", "build", "bin", "sst-rewrite"))


def here() -> int:
    return sys._getframe(1).f_lineno


def fresh(text: str) -> str:
    return (text + "!")[:-1]


def qualname() -> str:
    return sys._getframe(1).f_code.co_qualname


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
    """A local HTTP server (started before any tracing, so its thread is never
    traced) and a tracer stopped after every test."""

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
        self.assertIsNone(sys.getprofile())
        self.assertIsNone(threading.getprofile())
        self.http.bodies.clear()
        self.stats_before = trace.stats()

    def tearDown(self) -> None:
        trace.stop()
        sys.setprofile(None)
        threading.setprofile(None)
        super().tearDown()

    def counted(self) -> Dict[str, int]:
        """What trace.stats() counted during this test."""
        now = trace.stats()
        return {k: now[k] - self.stats_before[k] for k in now if k != "rows"}


class DynamicCallTests(TraceCase):
    def test_getattr_requests_post_is_caught_by_the_tracer(self):
        request = {"id": "r-7", "method": "POST", "path": "/signup", "endpoint": "signup"}
        self.assertTrue(trace.start())
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
        with trace.tracing():
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
        with smtplib.SMTP("127.0.0.1", smtp_server.server_address[1]) as client, trace.tracing():
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
        with trace.tracing():
            self.assertEqual(self.app.notify(self.url, fresh("jane@example.com")).status_code, 200)
        self.assertEqual(events(), [self.expected("requests.Session().request", 5, "notify", "tracer")])

    def test_the_unwrapped_call_is_unseen_without_the_tracer(self):
        self.assertEqual(self.app.notify(self.url, fresh("jane@example.com")).status_code, 200)
        self.assertEqual(events(), [])

    def test_a_statically_wrapped_call_yields_exactly_one_event(self):
        with trace.tracing():
            self.assertEqual(self.app.notify_static(self.url, fresh("jane@example.com")).status_code, 200)
        self.assertEqual(events(), [self.expected("requests.post", 9, "notify_static", "static")])
        # The tracer saw the watched calls inside the wrapper and left them.
        counted = self.counted()
        self.assertEqual((counted["events"], counted["skipped_static"], counted["skipped_nested"]), (0, 6, 0))


class ThreadTests(TraceCase):
    def test_threads_started_after_start_are_traced(self):
        seen: Dict[str, Any] = {}

        def send(phone):
            seen["profile"] = sys.getprofile()
            return getattr(requests, "post")(self.url, data={"phone": phone})

        trace.start()
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

    def test_asyncio_to_thread(self):
        def send(phone):
            return getattr(requests, "post")(self.url, data={"phone": phone})

        async def handler(phone):
            return await asyncio.to_thread(send, phone)

        with trace.tracing():
            with rt.context(method="POST", path="/sms", endpoint="sms", request_id="r-9"):
                phone = rt.source(("flask.request.form", "phone"), fresh("+1 202 555 0143"))
                self.assertEqual(asyncio.run(handler(phone)).status_code, 200)
        self.assertEqual([(e["function"], e["line"], e["request"]["id"], e["detection"]) for e in events()],
                         [(f"{qualname()}.<locals>.send", send.__code__.co_firstlineno + 1, "r-9", "tracer")])

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
        trace.start()
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

        self.assertTrue(trace.start())
        self.assertTrue(trace.is_tracing())
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
        trace.start()
        with trace.tracing():
            pass
        self.assertTrue(trace.is_tracing())
        self.assertIs(sys.getprofile(), trace._impl._trace_object())
        trace.stop()
        with trace.tracing():
            self.assertTrue(trace.is_tracing())
        self.assertFalse(trace.is_tracing())
        self.assertIsNone(sys.getprofile())


def other_profile(frame, event, arg):
    return None


class CoexistenceTests(TraceCase):
    def start(self, **kwargs: Any):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            result = trace.start(**kwargs)
        return result, err.getvalue()

    def test_another_profile_function_is_reported_and_kept(self):
        sys.setprofile(other_profile)
        installed, said = self.start()
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
        installed, said = self.start(force=True)
        self.assertTrue(installed)
        self.assertEqual(said, f"sst_runtime.trace: replaced the profile function {other_profile!r} of thread "
                               "'MainThread' (force=True)\n")
        self.assertIs(sys.getprofile(), trace._impl._trace_object())
        trace.stop()
        self.assertIsNone(sys.getprofile())

    def test_another_threading_hook_is_reported_and_kept(self):
        threading.setprofile(other_profile)
        installed, said = self.start()
        self.assertTrue(installed)
        self.assertEqual(said, f"sst_runtime.trace: threading's profile hook for new threads is {other_profile!r}; "
                               "it is kept and threads started from now on are not traced "
                               "(start(force=True) replaces it)\n")
        self.assertIs(threading.getprofile(), other_profile)
        trace.stop()
        self.assertIs(threading.getprofile(), other_profile)
        self.assertIsNone(sys.getprofile())

    def test_a_debuggers_trace_function_is_no_conflict(self):
        def tracer_fn(frame, event, arg):
            return None

        sys.settrace(tracer_fn)
        try:
            installed, said = self.start()
            self.assertEqual((installed, said), (True, ""))
            getattr(requests, "post")(self.url, json={"email": fresh("jane@example.com")})
            trace.stop()
            self.assertIs(sys.gettrace(), tracer_fn)
        finally:
            sys.settrace(None)
        self.assertEqual([e["detection"] for e in events()], ["tracer"])


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

    def module_dir(self, name: str, text: str) -> str:
        directory = tempfile.mkdtemp(prefix="sst-trace-mod-")
        self.addCleanup(shutil.rmtree, directory)
        with open(os.path.join(directory, f"{name}.py"), "w", encoding="utf-8") as f:
            f.write(text)
        sys.path.insert(0, directory)
        self.addCleanup(sys.path.remove, directory)
        self.addCleanup(sys.modules.pop, name, None)
        return os.path.join(directory, f"{name}.py")

    def test_requests_imported_after_start(self):
        script = (
            "import json, sys\n"
            "import sst_runtime as rt, sst_runtime.trace as trace\n"
            "rt.configure(audit_log=None, memory=True)\n"
            "assert 'requests' not in sys.modules\n"
            "trace.start()\n"
            "import requests\n"
            "requests.post(sys.argv[1], json={'email': ('jane@example.com!')[:-1]})\n"
            "trace.stop()\n"
            "print(json.dumps([(e['sink'], e['line'], e['detection'], e['categories']) for e in rt.events()]))\n")
        env = dict(os.environ, PYTHONPATH=PYTHON_DIR, SST_RUNTIME="c")
        run = subprocess.run([sys.executable, "-c", script, self.url], capture_output=True, text=True, env=env)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(json.loads(run.stdout), [["requests.Session().request", 7, "tracer", ["email"]]])

    def test_a_coroutine_is_inspected_once_at_its_first_step(self):
        path = self.module_dir("fake_async_sdk", (
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
            "        return len(data)\n"))
        trace.watch("httpx.AsyncClient().send", "fake_async_sdk", "AsyncClient.send")
        trace.start()
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
        self.assertEqual((counted["watched_calls"], counted["events"], counted["resumed"]), (1, 1, 2))


class EnvironmentTests(unittest.TestCase):
    def test_sst_trace_starts_the_tracer_at_import(self):
        script = ("import sys, threading, sst_runtime, sst_runtime.trace as trace\n"
                  "print(trace.is_tracing(), sys.getprofile() is trace._impl._trace_object(),\n"
                  "      threading.getprofile() is trace._impl._trace_object())\n")
        env = dict(os.environ, PYTHONPATH=PYTHON_DIR, SST_RUNTIME="c", SST_TRACE="1")
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
        self.assertEqual((run.returncode, run.stdout, run.stderr), (0, "True True True\n", ""))

    def test_the_fallback_says_it_has_no_tracer(self):
        script = ("import sst_runtime.trace as trace\n"
                  "print(trace.start(), trace.is_tracing(), trace.start())\n")
        env = dict(os.environ, PYTHONPATH=PYTHON_DIR, SST_RUNTIME="python")
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
        self.assertEqual((run.returncode, run.stdout, run.stderr), (0, "False False False\n", (
            "sst_runtime.trace: the tracer needs the C extension (this is the pure-Python runtime); not started\n")))


if __name__ == "__main__":
    unittest.main()
