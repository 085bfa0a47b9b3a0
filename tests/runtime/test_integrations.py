"""Integrations: the Flask hooks, the WSGI and the ASGI middleware open one
request context per request, whose method, path, endpoint and id every event
of the request carries, close it however the request ends, keep concurrent
requests apart, and never break the application; setup_instrumentation()."""
from __future__ import annotations

import asyncio
import http.server
import importlib
import io
import json
import os
import re
import sys
import tempfile
import threading
import unittest
import wsgiref.handlers
import wsgiref.util

import flask
import requests

from rtsupport import RuntimeCase, events, fresh, here, origin, rt
from sst_runtime import integrations

FILE = __file__
HEX_ID = re.compile(r"[0-9a-f]{32}")


def noop(*args, **kwargs):
    return "sent"


def email_event(line, tag_line, source, request, function, where="kwargs['json']['email']"):
    """The event of a tagged request field holding jane@example.com sent with
    requests.post to crm.example.com."""
    return {
        "schema": 1, "kind": "external", "sink": "requests.post", "service": "requests",
        "destination": "crm.example.com", "file": FILE, "line": line, "function": function,
        "categories": ["email", "user_text"],
        "origins": [origin("request", source, "email", FILE, tag_line)],
        "request": request, "detection": "static",
        "values": [{"where": where, "categories": ["email", "user_text"], "preview": "j***@e***.com"}]}


# ---- a Flask application -------------------------------------------------------

SEEN: dict = {}


def signup():
    email = rt.source(("flask.request.form", "email"), flask.request.form["email"]); SEEN["tag"] = here()  # noqa: E702
    SEEN["ctx"] = rt.current_context()
    rt.external("requests.post", noop, (email,))("https://crm.example.com/add", json={"email": email})
    SEEN["call"] = here() - 1
    if flask.request.form.get("fail"):
        raise ValueError("the view failed")
    return "ok"


def stream():
    email = rt.source(("flask.request.form", "email"), flask.request.form["email"]); SEEN["tag"] = here()  # noqa: E702

    def body():
        yield b"queued, "
        SEEN["ctx"] = rt.current_context()
        rt.external("requests.post", noop, (email,))("https://crm.example.com/add", json={"email": email})
        SEEN["call"] = here() - 1
        yield b"sent"
    return flask.Response(flask.stream_with_context(body()))


def flask_app(**config) -> flask.Flask:
    app = flask.Flask("signup_app")
    app.config.update(config)
    app.add_url_rule("/signup", "signup", signup, methods=["POST"])
    app.add_url_rule("/stream", "stream", stream, methods=["POST"])
    return app


class FlaskTests(RuntimeCase):
    def setUp(self) -> None:
        super().setUp()
        SEEN.clear()

    def test_an_event_in_a_view_carries_the_request(self):
        app = rt.init_flask(flask_app())
        response = app.test_client().post("/signup", data={"email": "jane@example.com"},
                                          headers={"X-Request-ID": "req-42"})
        self.assertEqual((response.status_code, response.data), (200, b"ok"))
        self.assertEqual(events(), [email_event(
            SEEN["call"], SEEN["tag"], "flask.request.form",
            {"id": "req-42", "method": "POST", "path": "/signup", "endpoint": "signup"}, "signup")])
        self.assertTrue(SEEN["ctx"].closed)
        self.assertIs(rt.current_context(), rt.default_context)

    def test_a_body_streamed_with_stream_with_context_is_inside_the_request(self):
        app = rt.init_flask(flask_app())
        response = app.test_client().post("/stream", data={"email": "jane@example.com"},
                                          headers={"X-Request-ID": "req-43"}, buffered=True)
        self.assertEqual((response.status_code, response.data), (200, b"queued, sent"))
        self.assertEqual(events(), [email_event(
            SEEN["call"], SEEN["tag"], "flask.request.form",
            {"id": "req-43", "method": "POST", "path": "/stream", "endpoint": "stream"}, "stream.<locals>.body")])
        self.assertTrue(SEEN["ctx"].closed)
        self.assertIs(rt.current_context(), rt.default_context)

    def test_a_request_without_a_usable_id_gets_a_new_one(self):
        client = rt.init_flask(flask_app()).test_client()
        client.post("/signup", data={"email": "jane@example.com"})
        client.post("/signup", data={"email": "jane@example.com"}, headers={"X-Request-ID": "two words"})
        client.post("/signup", data={"email": "jane@example.com"}, headers={"X-Request-ID": "x" * 129})
        client.post("/signup", data={"email": "jane@example.com"}, headers={"X-Request-ID": "y" * 128})
        ids = [e["request"]["id"] for e in events()]
        self.assertEqual(len(ids), 4)
        for rid in ids[:3]:
            self.assertRegex(rid, HEX_ID)
        self.assertEqual(len(set(ids[:3])), 3)
        self.assertEqual(ids[3], "y" * 128)

    def test_the_applications_own_hooks_run_inside_the_context(self):
        app = flask_app()
        inside = []
        app.before_request(lambda: inside.append(("before", rt.current_context().request)))
        app.teardown_request(lambda exc: inside.append(("teardown", rt.current_context().request)))
        rt.init_flask(app)
        rt.init_flask(app)      # a second call changes nothing
        self.assertEqual(len(app.before_request_funcs[None]), 2)
        self.assertEqual(len(app.teardown_request_funcs[None]), 2)
        app.test_client().post("/signup", data={"email": "jane@example.com"}, headers={"X-Request-ID": "r-7"})
        request = {"id": "r-7", "method": "POST", "path": "/signup", "endpoint": "signup"}
        self.assertEqual(inside, [("before", request), ("teardown", request)])
        self.assertIs(rt.current_context(), rt.default_context)
        inside.clear()
        response = app.test_client().get("/nowhere?x=1", headers={"X-Request-ID": "r-8"})
        self.assertEqual(response.status_code, 404)
        request = {"id": "r-8", "method": "GET", "path": "/nowhere", "endpoint": None}
        self.assertEqual(inside, [("before", request), ("teardown", request)])
        self.assertIs(rt.current_context(), rt.default_context)

    def test_an_exception_in_the_view_closes_the_context(self):
        request = {"id": "r-500", "method": "POST", "path": "/signup", "endpoint": "signup"}
        app = rt.init_flask(flask_app())
        app.logger.disabled = True      # Flask logs the exception it turns into a 500
        response = app.test_client().post("/signup", data={"email": "jane@example.com", "fail": "1"},
                                          headers={"X-Request-ID": "r-500"})
        self.assertEqual(response.status_code, 500)
        self.assertEqual([e["request"] for e in events()], [request])
        self.assertTrue(SEEN["ctx"].closed)
        self.assertIs(rt.current_context(), rt.default_context)

        rt.clear_events()
        app = rt.init_flask(flask_app(TESTING=True))   # the exception reaches the caller
        with self.assertRaisesRegex(ValueError, "the view failed"):
            app.test_client().post("/signup", data={"email": "jane@example.com", "fail": "1"},
                                   headers={"X-Request-ID": "r-500"})
        self.assertEqual([e["request"] for e in events()], [request])
        self.assertTrue(SEEN["ctx"].closed)
        self.assertIs(rt.current_context(), rt.default_context)

    def test_a_failing_integration_does_not_break_the_app(self):
        def refuse(**kwargs):
            raise RuntimeError("no context today")

        app = rt.init_flask(flask_app())
        saved = (rt.context, integrations._failures, sys.stderr)
        rt.context, integrations._failures, sys.stderr = refuse, integrations._Failures(), io.StringIO()
        try:
            first = app.test_client().post("/signup", data={"email": "jane@example.com"})
            second = app.test_client().post("/signup", data={"email": "jane@example.com"})
            stderr, failures = sys.stderr.getvalue(), integrations._failures.count
        finally:
            rt.context, integrations._failures, sys.stderr = saved
        self.assertEqual([(r.status_code, r.data) for r in (first, second)], [(200, b"ok")] * 2)
        self.assertEqual([e["request"] for e in events()], [None, None])
        self.assertEqual(stderr, "sst_runtime: integration failure in the Flask before_request hook: "
                                 "RuntimeError: no context today (the request goes on; later integration "
                                 "failures are only counted)\n")
        self.assertEqual(failures, 2)

    def test_init_flask_after_the_first_request_is_reported_and_changes_nothing(self):
        app = flask_app()
        client = app.test_client()
        client.post("/signup", data={"email": "jane@example.com"})
        saved = (integrations._failures, sys.stderr)
        integrations._failures, sys.stderr = integrations._Failures(), io.StringIO()
        try:
            self.assertIs(rt.init_flask(app), app)
            stderr = sys.stderr.getvalue()
        finally:
            integrations._failures, sys.stderr = saved
        self.assertTrue(stderr.startswith("sst_runtime: integration failure in init_flask(): AssertionError: "
                                          "The setup method 'before_request' can no longer be called"), stderr)
        self.assertEqual((app.before_request_funcs.get(None), app.teardown_request_funcs.get(None)),
                         (None, None))
        self.assertNotIn("sst_runtime", app.extensions)
        self.assertEqual(client.post("/signup", data={"email": "jane@example.com"}).status_code, 200)
        self.assertEqual([e["request"] for e in events()], [None, None])

    def test_init_flask_wants_a_flask_app(self):
        with self.assertRaisesRegex(TypeError, r"^init_flask\(\): expected a flask.Flask application, "
                                               r"not function$"):
            rt.init_flask(noop)


# ---- WSGI --------------------------------------------------------------------------

def wsgi_environ(method="POST", script="", path="/signup", request_id=None) -> dict:
    environ = {"REQUEST_METHOD": method, "SCRIPT_NAME": script, "PATH_INFO": path}
    if request_id is not None:
        environ["HTTP_X_REQUEST_ID"] = request_id
    wsgiref.util.setup_testing_defaults(environ)
    return environ


class SignupWSGI:
    """A WSGI application that sends a tagged value while it is called and
    again while its (streamed) body is iterated; FAIL: where it raises."""

    def __init__(self, fail=None):
        self.fail = fail
        self.lines = {}
        self.contexts = []

    def __call__(self, environ, start_response):
        email = rt.source(("django.http.HttpRequest().POST", "email"), fresh("jane@example.com")); self.lines["tag"] = here()  # noqa: E702,E501
        self.contexts.append(rt.current_context())
        rt.external("requests.post", noop, (email,))("https://crm.example.com/add", json={"email": email})
        self.lines["call"] = here() - 1
        if self.fail == "call":
            raise ValueError("the app failed")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return self.body(email)

    def body(self, email):
        yield b"queued, "
        self.contexts.append(rt.current_context())
        rt.external("requests.post", noop, (email,))("https://crm.example.com/notify", json={"email": email})
        self.lines["stream"] = here() - 1
        if self.fail == "body":
            raise ValueError("the body failed")
        yield b"sent"


def serve_wsgi(app, environ):
    """Runs APP once through wsgiref's server handler: (status line, body, errors)."""
    out, err = io.BytesIO(), io.StringIO()
    handler = wsgiref.handlers.SimpleHandler(io.BytesIO(b""), out, err, environ,
                                             multithread=False, multiprocess=False)
    handler.run(app)
    head, _, body = out.getvalue().partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], body, err.getvalue()


class WSGITests(RuntimeCase):
    def test_events_of_the_call_and_of_the_streamed_body_carry_the_request(self):
        app = SignupWSGI()
        environ = wsgi_environ(script="/mount", path="/caf\xc3\xa9/signup", request_id="wsgi-7")
        status, body, errors = serve_wsgi(rt.WSGIMiddleware(app), environ)
        self.assertEqual((status, body, errors), (b"HTTP/1.0 200 OK", b"queued, sent", ""))
        request = {"id": "wsgi-7", "method": "POST", "path": "/mount/caf\u00e9/signup", "endpoint": None}
        source = "django.http.HttpRequest().POST"
        fn = "SignupWSGI.__call__"
        self.assertEqual(events(), [
            email_event(app.lines["call"], app.lines["tag"], source, request, fn),
            email_event(app.lines["stream"], app.lines["tag"], source, request, "SignupWSGI.body")])
        self.assertIs(app.contexts[0], app.contexts[1])
        self.assertTrue(app.contexts[0].closed)
        self.assertIs(rt.current_context(), rt.default_context)

    def test_nothing_is_left_in_the_servers_thread_between_call_and_close(self):
        app = SignupWSGI()
        started = []
        result = rt.WSGIMiddleware(app)(wsgi_environ(), lambda status, headers: started.append(status))
        self.assertIs(rt.current_context(), rt.default_context)
        chunks = list(result)
        self.assertIs(rt.current_context(), rt.default_context)
        self.assertEqual((started, chunks), (["200 OK"], [b"queued, ", b"sent"]))
        self.assertFalse(app.contexts[0].closed)        # open until the server closes the body
        result.close()
        self.assertTrue(app.contexts[0].closed)
        rid = events()[0]["request"]["id"]
        self.assertRegex(rid, HEX_ID)
        self.assertEqual([e["request"] for e in events()],
                         [{"id": rid, "method": "POST", "path": "/signup", "endpoint": None}] * 2)

    def test_an_exception_from_the_app_closes_the_context(self):
        app = SignupWSGI(fail="call")
        with self.assertRaisesRegex(ValueError, "^the app failed$"):
            rt.WSGIMiddleware(app)(wsgi_environ(request_id="w-1"), lambda status, headers: None)
        self.assertEqual([e["request"] for e in events()],
                         [{"id": "w-1", "method": "POST", "path": "/signup", "endpoint": None}])
        self.assertTrue(app.contexts[0].closed)
        self.assertIs(rt.current_context(), rt.default_context)

    def test_an_exception_in_the_body_closes_the_context(self):
        app = SignupWSGI(fail="body")
        status, body, errors = serve_wsgi(rt.WSGIMiddleware(app), wsgi_environ(request_id="w-2"))
        self.assertEqual(status, b"HTTP/1.0 200 OK")
        self.assertIn("ValueError: the body failed", errors)
        self.assertEqual([e["request"] for e in events()],
                         [{"id": "w-2", "method": "POST", "path": "/signup", "endpoint": None}] * 2)
        self.assertTrue(app.contexts[0].closed)
        self.assertIs(rt.current_context(), rt.default_context)

    def test_a_middleware_inside_another_keeps_the_outer_context(self):
        app = SignupWSGI()
        serve_wsgi(rt.WSGIMiddleware(rt.WSGIMiddleware(app)), wsgi_environ(path="/in", request_id="w-3"))
        self.assertEqual([e["request"] for e in events()],
                         [{"id": "w-3", "method": "POST", "path": "/in", "endpoint": None}] * 2)

    def test_a_flask_app_inside_the_middleware_keeps_the_middlewares_context(self):
        SEEN.clear()
        app = rt.init_flask(flask_app())
        app.wsgi_app = rt.WSGIMiddleware(app.wsgi_app)
        app.test_client().post("/signup", data={"email": "jane@example.com"}, headers={"X-Request-ID": "w-4"},
                               buffered=True)     # the client closes the body, as a server does
        self.assertEqual([e["request"] for e in events()],
                         [{"id": "w-4", "method": "POST", "path": "/signup", "endpoint": None}])
        self.assertTrue(SEEN["ctx"].closed)


# ---- ASGI --------------------------------------------------------------------------

def http_scope(path="/signup", request_id=None, root_path="") -> dict:
    headers = [(b"content-type", b"application/json")]
    if request_id is not None:
        headers.append((b"x-request-id", request_id.encode()))
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": root_path,
            "query_string": b"", "headers": headers, "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000)}


async def call_asgi(app, scope, body: bytes) -> list:
    """Runs one request through APP; the messages it sent."""
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    sent = []

    async def receive():
        if incoming:
            return incoming.pop(0)
        await asyncio.Event().wait()    # a client that never disconnects

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent


OK = [{"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]},
      {"type": "http.response.body", "body": b"ok", "more_body": False}]


class Interleaved:
    """An ASGI application whose two requests, "a" and "b", are forced to
    overlap: a tags, b tags, a sends, b sends. Each sends its own e-mail
    address and the other's name (tagged in the other request only)."""

    def __init__(self):
        self.tagged = {"a": asyncio.Event(), "b": asyncio.Event()}
        self.sent = {"a": asyncio.Event(), "b": asyncio.Event()}
        self.names = {}
        self.lines = {}
        self.contexts = {}
        self.visible = {}

    async def __call__(self, scope, receive, send):
        body = json.loads((await receive())["body"])
        me, other = body["who"], "b" if body["who"] == "a" else "a"
        if me == "b":
            await self.tagged["a"].wait()
        email = rt.source(("starlette.requests.Request().json()", "email"), body["email"]); self.lines[me] = here()  # noqa: E702,E501
        self.names[me] = rt.source(("starlette.requests.Request().json()", "name"), body["name"])
        self.contexts[me] = rt.current_context()
        self.tagged[me].set()
        await (self.tagged["b"] if me == "a" else self.sent["a"]).wait()
        self.visible[me] = rt.tags_of(self.names[other]) is not None
        rt.external("requests.post", noop, (email,))(
            "https://crm.example.com/add", json={"email": email, "note": self.names[other]})
        self.lines[me + "-call"] = here() - 2
        self.sent[me].set()
        await send(OK[0])
        await asyncio.sleep(0)
        await send(OK[1])


class ASGITests(RuntimeCase):
    def test_two_concurrent_requests_keep_their_events_apart(self):
        app = Interleaved()
        middleware = rt.ASGIMiddleware(app)

        async def both():
            return await asyncio.wait_for(asyncio.gather(
                call_asgi(middleware, http_scope(request_id="req-a"),
                          b'{"who": "a", "email": "jane@example.com", "name": "Jane Roe"}'),
                call_asgi(middleware, http_scope(path="/users", root_path="/api"),
                          b'{"who": "b", "email": "john@example.com", "name": "John Doe"}')), 10)

        sent_a, sent_b = asyncio.run(both())
        self.assertEqual((sent_a, sent_b), (OK, OK))
        self.assertEqual(app.visible, {"a": False, "b": False})
        ev = events()
        self.assertEqual(len(ev), 2)
        rid_b = ev[1]["request"]["id"]
        self.assertRegex(rid_b, HEX_ID)
        source = "starlette.requests.Request().json()"
        self.assertEqual(ev[0], email_event(
            app.lines["a-call"], app.lines["a"], source,
            {"id": "req-a", "method": "POST", "path": "/signup", "endpoint": None}, "Interleaved.__call__"))
        b = email_event(app.lines["b-call"], app.lines["b"], source,
                        {"id": rid_b, "method": "POST", "path": "/api/users", "endpoint": None},
                        "Interleaved.__call__")
        self.assertEqual(ev[1], b)
        self.assertTrue(app.contexts["a"].closed and app.contexts["b"].closed)
        self.assertIsNot(app.contexts["a"], app.contexts["b"])
        self.assertIs(rt.current_context(), rt.default_context)

    def test_a_path_that_already_holds_the_root_path_keeps_it(self):
        seen = []

        async def app(scope, receive, send):
            seen.append(rt.current_context().request)

        asyncio.run(rt.ASGIMiddleware(app)(http_scope(path="/api/users", root_path="/api", request_id="r"),
                                           None, None))
        self.assertEqual(seen, [{"id": "r", "method": "POST", "path": "/api/users", "endpoint": None}])

    def test_an_exception_in_the_app_closes_the_context(self):
        contexts = []

        async def app(scope, receive, send):
            contexts.append(rt.current_context())
            email = rt.source(("starlette.requests.Request().json()", "email"), fresh("jane@example.com"))
            await asyncio.sleep(0)
            rt.external("requests.post", noop, (email,))("https://crm.example.com/add", json={"email": email})
            raise ValueError("the app failed")

        with self.assertRaisesRegex(ValueError, "^the app failed$"):
            asyncio.run(call_asgi(rt.ASGIMiddleware(app), http_scope(request_id="x-1"), b""))
        self.assertEqual([e["request"] for e in events()],
                         [{"id": "x-1", "method": "POST", "path": "/signup", "endpoint": None}])
        self.assertTrue(contexts[0].closed)
        self.assertIs(rt.current_context(), rt.default_context)

    def test_a_cancelled_request_closes_its_context(self):
        contexts = []

        async def app(scope, receive, send):
            contexts.append(rt.current_context())
            await receive()
            await receive()         # waits for ever: the request is cancelled here

        async def run():
            task = asyncio.create_task(call_asgi(rt.ASGIMiddleware(app), http_scope(request_id="c-1"), b""))
            while not contexts:
                await asyncio.sleep(0)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                return "cancelled"

        self.assertEqual(asyncio.run(run()), "cancelled")
        self.assertEqual(contexts[0].request, {"id": "c-1", "method": "POST", "path": "/signup", "endpoint": None})
        self.assertTrue(contexts[0].closed)

    def test_lifespan_and_websocket_scopes_pass_through_untouched(self):
        seen = []

        async def app(scope, receive, send):
            seen.append((scope, receive, send, rt.current_context()))
            message = await receive()
            await send({"type": message["type"] + ".complete"})

        async def run(scope, first):
            out = []

            async def receive():
                return first

            async def send(message):
                out.append(message)

            await rt.ASGIMiddleware(app)(scope, receive, send)
            return receive, send, out

        for scope, first, reply in (
                ({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                 {"type": "lifespan.startup"}, {"type": "lifespan.startup.complete"}),
                ({"type": "websocket", "path": "/ws", "headers": [(b"x-request-id", b"ws-1")]},
                 {"type": "websocket.connect"}, {"type": "websocket.connect.complete"})):
            seen.clear()
            before = dict(scope)
            receive, send, out = asyncio.run(run(scope, first))
            self.assertEqual(len(seen), 1)
            self.assertIs(seen[0][0], scope)
            self.assertIs(seen[0][1], receive)
            self.assertIs(seen[0][2], send)
            self.assertIs(seen[0][3], rt.default_context)
            self.assertEqual(scope, before)
            self.assertEqual(out, [reply])


# ---- setup_instrumentation ---------------------------------------------------------

def wsgi_hello(environ, start_response):
    start_response("200 OK", [])
    return [b"hello"]


async def asgi_hello(scope, receive, send):
    pass


class ASGIClass:
    async def __call__(self, scope, receive, send):
        pass


class Receiver(http.server.BaseHTTPRequestHandler):
    """The third party of the tracer test, on 127.0.0.1: keeps the JSON bodies."""
    bodies: list = []

    def do_POST(self):
        Receiver.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.send_header("Content-Length", "8")
        self.end_headers()
        self.wfile.write(b"received")

    def log_message(self, *args):
        pass


class SetupTests(RuntimeCase):
    def test_the_app_to_serve(self):
        app = flask_app()
        self.assertIs(rt.setup_instrumentation(app), app)
        self.assertIs(rt.setup_instrumentation(app), app)
        self.assertEqual(app.before_request_funcs[None], [integrations._flask_before_request])
        self.assertEqual(app.teardown_request_funcs[None], [integrations._flask_teardown_request])
        wsgi = rt.setup_instrumentation(wsgi_hello)
        self.assertIs(type(wsgi), rt.WSGIMiddleware)
        self.assertIs(wsgi.app, wsgi_hello)
        self.assertIs(rt.setup_instrumentation(wsgi), wsgi)
        asgi = rt.setup_instrumentation(asgi_hello)
        self.assertIs(type(asgi), rt.ASGIMiddleware)
        self.assertIs(asgi.app, asgi_hello)
        instance = ASGIClass()
        self.assertIs(rt.setup_instrumentation(instance).app, instance)
        self.assertIs(type(rt.setup_instrumentation(instance)), rt.ASGIMiddleware)
        self.assertIsNone(rt.setup_instrumentation())

    def test_audit_log(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "audit.jsonl")
            try:
                app = rt.setup_instrumentation(flask_app(), audit_log=path)
                app.test_client().post("/signup", data={"email": "jane@example.com"},
                                       headers={"X-Request-ID": "log-1"})
            finally:
                rt.configure(audit_log=None)
            with open(path, encoding="utf-8") as f:
                lines = [json.loads(line) for line in f]
        self.assertEqual([(e["sink"], e["request"]) for e in lines],
                         [("requests.post", {"id": "log-1", "method": "POST", "path": "/signup",
                                             "endpoint": "signup"})])

    def test_wrong_arguments_change_nothing(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "audit.jsonl")
            with self.assertRaisesRegex(TypeError, r"^setup_instrumentation\(\): excluded_modules is a list "
                                                   r"of module names, not one string \('app.tests'\)$"):
                rt.setup_instrumentation(audit_log=path, excluded_modules="app.tests")
            with self.assertRaisesRegex(ValueError, r"^setup_instrumentation\(\): enable_import_hook=True "
                                                    r"rewrites user code at import; it cannot be combined "
                                                    r"with instrument_user_code=False$"):
                rt.setup_instrumentation(audit_log=path, enable_import_hook=True, instrument_user_code=False)
            with self.assertRaisesRegex(TypeError, r"^setup_instrumentation\(\): app must be a WSGI or ASGI "
                                                   r"application, not str$"):
                rt.setup_instrumentation("app:app", audit_log=path)
            with self.assertRaisesRegex(TypeError, r"^setup_instrumentation\(\): audit_log must be a path, "
                                                   r"'stderr' or 'off', not int$"):
                rt.setup_instrumentation(audit_log=2)
            rt.track_external_call("crm", {"email": fresh("jane@example.com")})
            self.assertEqual(os.listdir(tmp), [])
        self.assertEqual(len(events()), 1)

    def test_enable_tracing_starts_the_tracer_where_there_is_one(self):
        # The call tracer is a C profile function: the pure-Python runtime
        # has none, says so on stderr, and the rest goes on.
        trace = importlib.import_module("sst_runtime.trace")
        has_tracer = rt.IMPLEMENTATION == "c"
        saved, sys.stderr = sys.stderr, io.StringIO()
        try:
            app = flask_app()
            self.assertIs(rt.setup_instrumentation(app, enable_tracing=True), app)
            self.assertEqual(trace.is_tracing(), has_tracer)
            trace.stop()
            self.assertFalse(trace.is_tracing())
            self.assertEqual(rt.enable_runtime_tracking(), has_tracer)
            self.assertEqual(trace.is_tracing(), has_tracer)
        finally:
            trace.stop()
            sys.stderr = saved
        self.assertFalse(trace.is_tracing())
        self.assertEqual(app.test_client().post("/signup", data={"email": "jane@example.com"}).status_code, 200)

    def test_a_call_the_tracer_catches_in_a_request_carries_the_request(self):
        # requests.post reached through getattr: no static wrapper, the
        # tracer's event (the C runtime's; the fallback has no tracer).
        trace = importlib.import_module("sst_runtime.trace")
        server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_port}/hook"
        lines = {}

        def relay():
            email = rt.source(("flask.request.form", "email"), flask.request.form["email"]); lines["tag"] = here()  # noqa: E702,E501
            reply = getattr(requests, "post")(url, json={"email": email}, proxies={"http": None}); lines["call"] = here()  # noqa: E702,E501
            return reply.text

        app = flask.Flask("relay_app")
        app.add_url_rule("/relay", "relay", relay, methods=["POST"])
        saved, sys.stderr = sys.stderr, io.StringIO()
        try:
            rt.setup_instrumentation(app, enable_tracing=True)
            response = app.test_client().post("/relay", data={"email": "jane@example.com"},
                                              headers={"X-Request-ID": "t-1"})
        finally:
            trace.stop()
            sys.stderr = saved
            server.shutdown()
            server.server_close()
            thread.join()
        self.assertEqual((response.status_code, response.data), (200, b"received"))
        self.assertEqual(Receiver.bodies[-1], {"email": "jane@example.com"})
        expected = []
        if rt.IMPLEMENTATION == "c":
            event = email_event(lines["call"], lines["tag"], "flask.request.form",
                                {"id": "t-1", "method": "POST", "path": "/relay", "endpoint": "relay"},
                                "SetupTests.test_a_call_the_tracer_catches_in_a_request_carries_the_request."
                                "<locals>.relay")
            event.update(sink="requests.Session().request", destination="127.0.0.1", detection="tracer")
            expected.append(event)
        self.assertEqual(events(), expected)

    def test_enable_import_hook_installs_the_hook(self):
        before = list(sys.meta_path)
        try:
            self.assertIsNone(rt.setup_instrumentation(enable_import_hook=True, excluded_modules=["app.tests"]))
            added = [f for f in sys.meta_path if f not in before]
            self.assertEqual([type(f).__name__ for f in added], ["RewritingFinder"])
            self.assertEqual(added[0].exclude, ["app.tests"])
        finally:
            self.assertTrue(rt.uninstall_import_hook())
        self.assertEqual(sys.meta_path, before)

    def test_enable_deep_instrumentation(self):
        trace = importlib.import_module("sst_runtime.trace")
        before = list(sys.meta_path)
        saved, sys.stderr = sys.stderr, io.StringIO()
        try:
            self.assertEqual(rt.enable_deep_instrumentation(), rt.IMPLEMENTATION == "c")
            self.assertEqual(trace.is_tracing(), rt.IMPLEMENTATION == "c")
            added = [f for f in sys.meta_path if f not in before]
            self.assertEqual([(type(f).__name__, f.exclude) for f in added], [("RewritingFinder", [])])
        finally:
            trace.stop()
            rt.uninstall_import_hook()
            sys.stderr = saved
        self.assertEqual(sys.meta_path, before)
        self.assertFalse(trace.is_tracing())

if __name__ == "__main__":
    unittest.main()
