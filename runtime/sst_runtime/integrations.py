"""Framework integrations: one request context per web request (Flask hooks,
a WSGI and an ASGI middleware), and setup_instrumentation(), which turns on
the audit log, the call tracer and the import hook in one call.
An integration never raises into the application: a failure is reported."""
from __future__ import annotations

import contextvars
import importlib
import inspect
import os
import sys
import threading
import uuid
from typing import Any, Callable, Iterable, Iterator, List, Optional, Tuple

import sst_runtime as _rt

__all__ = [
    "setup_instrumentation", "enable_runtime_tracking", "enable_deep_instrumentation",
    "init_flask", "WSGIMiddleware", "ASGIMiddleware", "REQUEST_ID_HEADER",
]

#: The request header whose value becomes the request id (when well formed).
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_MAX = 128

# Where an open request context is kept for the rest of the request: the WSGI
# environ or ASGI scope key of a middleware, the environ key of the Flask hooks.
_KEY = "sst_runtime.context"
_FLASK_KEY = "sst_runtime.flask_context"
_FLASK_EXTENSION = "sst_runtime"


class _Failures:
    """Integration failures: the first is described on stderr, all are counted."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0

    def report(self, where: str, exc: BaseException) -> None:
        with self.lock:
            self.count += 1
            first = self.count == 1
        if first:
            try:
                sys.stderr.write(
                    f"sst_runtime: integration failure in {where}: {type(exc).__name__}: {exc} "
                    "(the request goes on; later integration failures are only counted)\n")
            except Exception:
                pass


_failures = _Failures()


# ---- request contexts --------------------------------------------------------

def _request_id(given: Any) -> str:
    """GIVEN (a header value) when it is 1 to 128 visible ASCII characters,
    else a new random id (32 lowercase hex digits)."""
    if isinstance(given, bytes):
        given = given.decode("latin-1")
    if (isinstance(given, str) and 0 < len(given) <= _REQUEST_ID_MAX
            and all("!" <= ch <= "~" for ch in given)):
        return given
    return uuid.uuid4().hex


def _new_context(method: Any, path: Any, endpoint: Any, request_id: Any) -> Any:
    def text(v: Any) -> Optional[str]:
        return v if isinstance(v, str) else None
    return _rt.context(method=text(method), path=text(path), endpoint=text(endpoint),
                       request_id=_request_id(request_id))


def _is_open(ctx: Any) -> bool:
    return ctx is not None and getattr(ctx, "closed", True) is False


def _close(ctx: Any, where: str, cv: Optional[contextvars.Context] = None) -> None:
    """Closes CTX (inside CV when given); never raises."""
    if ctx is None:
        return
    try:
        if cv is not None:
            cv.run(ctx.close)
        else:
            ctx.close()
    except Exception as exc:
        _failures.report(where, exc)


# ---- Flask ---------------------------------------------------------------------

def _flask_before_request() -> None:
    try:
        from flask import request
        environ = request.environ
        if _is_open(environ.get(_KEY)) or _is_open(environ.get(_FLASK_KEY)):
            return None     # a middleware (or an earlier call) already opened one
        ctx = _new_context(request.method, request.script_root + request.path, request.endpoint,
                           request.headers.get(REQUEST_ID_HEADER))
        ctx.__enter__()
        environ[_FLASK_KEY] = ctx
    except Exception as exc:
        _failures.report("the Flask before_request hook", exc)
    return None         # anything else would replace the view's response


def _flask_teardown_request(exc: Optional[BaseException] = None) -> None:
    try:
        from flask import request
        ctx = request.environ.pop(_FLASK_KEY, None)
    except Exception as err:
        _failures.report("the Flask teardown_request hook", err)
        return
    _close(ctx, "the Flask teardown_request hook")


def _is_flask_app(app: Any) -> bool:
    flask = sys.modules.get("flask")
    return flask is not None and isinstance(app, flask.Flask)


def init_flask(app: Any) -> Any:
    """Opens a request context for each request of the Flask APP and returns APP.

    The context is opened by a ``before_request`` hook that runs before the
    application's own and closed by a ``teardown_request`` hook that runs
    after the application's own; it carries the request's method, path,
    endpoint and id (the ``X-Request-ID`` header when it is 1 to 128 visible
    ASCII characters, else a new random id). Calling it again on the same app
    changes nothing. Where a request already has a context (the WSGI
    middleware wraps the app), the hooks leave it in place.
    """
    if not _is_flask_app(app):
        raise TypeError(f"init_flask(): expected a flask.Flask application, not {type(app).__name__}")
    if _FLASK_EXTENSION in app.extensions:
        return app
    try:
        # Through Flask's own set-up methods (which refuse once the app has
        # served a request), then first in line: ours opens before the
        # application's before_request functions and closes after its
        # teardown functions (Flask runs those in reverse order).
        app.before_request(_flask_before_request)
        app.teardown_request(_flask_teardown_request)
        for funcs, f in ((app.before_request_funcs[None], _flask_before_request),
                         (app.teardown_request_funcs[None], _flask_teardown_request)):
            funcs.remove(f)
            funcs.insert(0, f)
        app.extensions[_FLASK_EXTENSION] = True
    except Exception as exc:
        _failures.report("init_flask()", exc)
        try:
            for funcs, f in ((app.before_request_funcs.get(None), _flask_before_request),
                             (app.teardown_request_funcs.get(None), _flask_teardown_request)):
                if funcs and f in funcs:
                    funcs.remove(f)     # both hooks or neither
        except Exception:
            pass
    return app


# ---- WSGI ----------------------------------------------------------------------

def _wsgi_text(raw: str) -> str:
    """A WSGI string holds bytes as latin-1 (PEP 3333): read them as UTF-8."""
    try:
        return raw.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return raw


class _WSGIBody:
    """The application's response body, iterated and closed inside the
    request's contextvars context, which closes with it."""

    def __init__(self, result: Iterable[bytes], ctx: Any, cv: contextvars.Context) -> None:
        self._result = result
        self._ctx = ctx
        self._cv = cv
        self._it: Optional[Iterator[bytes]] = None
        self._closed = False

    def __iter__(self) -> "_WSGIBody":
        return self

    def __next__(self) -> bytes:
        if self._it is None:
            self._it = self._cv.run(iter, self._result)
        return self._cv.run(next, self._it)

    def __len__(self) -> int:
        # TypeError when the body has no length, which WSGI servers expect.
        return len(self._result)  # type: ignore[arg-type]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._result, "close", None)
            if close is not None:
                self._cv.run(close)
        finally:
            _close(self._ctx, "the WSGI middleware", self._cv)


class WSGIMiddleware:
    """``app = WSGIMiddleware(app)``: a request context for each request of
    any WSGI application (Django, Flask, Pyramid, Bottle...).

    The context carries the method, the path (``SCRIPT_NAME`` +
    ``PATH_INFO``), no endpoint, and the request id (``X-Request-ID`` when it
    is 1 to 128 visible ASCII characters, else a new random id). The
    application runs, and its response body is iterated, in a contextvars
    context of the request's own, so a streamed body's events carry the
    request and nothing is left behind in the server's thread; the context
    closes when the server closes the body, or at once when the application
    raises. A request that already has one (middleware inside middleware)
    keeps it.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        if not callable(app):
            raise TypeError(f"WSGIMiddleware(): the application must be callable, not {type(app).__name__}")
        self.app = app

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        opened = self._open(environ)
        if opened is None:
            return self.app(environ, start_response)
        ctx, cv = opened
        try:
            result = cv.run(self.app, environ, start_response)
        except BaseException:
            _close(ctx, "the WSGI middleware", cv)
            raise
        return _WSGIBody(result, ctx, cv)

    @staticmethod
    def _open(environ: dict) -> Optional[Tuple[Any, contextvars.Context]]:
        try:
            if _is_open(environ.get(_KEY)):
                return None
            path = _wsgi_text(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
            ctx = _new_context(environ.get("REQUEST_METHOD"), path, None, environ.get("HTTP_X_REQUEST_ID"))
            cv = contextvars.copy_context()
            cv.run(ctx.__enter__)
            environ[_KEY] = ctx
            return ctx, cv
        except Exception as exc:
            _failures.report("the WSGI middleware", exc)
            return None


# ---- ASGI ----------------------------------------------------------------------

def _asgi_request_id(headers: Any) -> Any:
    for item in headers or ():
        name, value = item[0], item[1]
        if isinstance(name, bytes) and name.lower() == b"x-request-id":
            return value
    return None


class ASGIMiddleware:
    """``app = ASGIMiddleware(app)``: a request context for each HTTP request
    of any ASGI 3 application (Starlette, FastAPI, Django's ASGI handler...).

    The context carries the method, the path (with ``root_path`` in front
    when ``path`` does not already start with it), no endpoint, and the
    request id (``x-request-id`` when it is 1 to 128 visible ASCII
    characters, else a new random id). It is held in a ContextVar, so
    concurrent requests, each in its own asyncio task, keep their tags and
    events apart; it closes when the application returns, raises or is
    cancelled. ``lifespan`` and ``websocket`` scopes are passed through
    untouched.
    """

    def __init__(self, app: Callable[..., Any]) -> None:
        if not callable(app):
            raise TypeError(f"ASGIMiddleware(): the application must be callable, not {type(app).__name__}")
        self.app = app

    async def __call__(self, scope: dict, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        ctx = self._open(scope)
        if ctx is None:
            return await self.app(scope, receive, send)
        try:
            return await self.app(scope, receive, send)
        finally:
            _close(ctx, "the ASGI middleware")

    @staticmethod
    def _open(scope: dict) -> Any:
        try:
            if scope.get("type") != "http" or _is_open(scope.get(_KEY)):
                return None
            path = scope.get("path", "")
            root = scope.get("root_path", "")
            if root and not path.startswith(root):
                path = root + path
            ctx = _new_context(scope.get("method"), path, None, _asgi_request_id(scope.get("headers")))
            ctx.__enter__()
            scope[_KEY] = ctx
            return ctx
        except Exception as exc:
            _failures.report("the ASGI middleware", exc)
            return None


# ---- setup ---------------------------------------------------------------------

def _is_asgi_app(app: Any) -> bool:
    return inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(getattr(app, "__call__", None))


def _start_tracing() -> bool:
    try:
        # Not "from . import trace": the package's lazy __getattr__ answers
        # that form before the submodule is imported.
        trace = importlib.import_module(f"{_rt.__name__}.trace")
        return bool(trace.start())
    except Exception as exc:
        sys.stderr.write(f"sst_runtime: setup_instrumentation(): the call tracer was not started: "
                         f"{type(exc).__name__}: {exc}\n")
        return False


def _install_hook(excluded: List[str]) -> bool:
    try:
        from ._hook import install_import_hook
        install_import_hook(exclude=excluded or None)
        return True
    except Exception as exc:
        sys.stderr.write(f"sst_runtime: setup_instrumentation(): the import hook was not installed: "
                         f"{type(exc).__name__}: {exc}\n")
        return False


def _modules(excluded: Any) -> List[str]:
    if isinstance(excluded, (str, bytes)):
        raise TypeError("setup_instrumentation(): excluded_modules is a list of module names, "
                        f"not one string ({excluded!r})")
    try:
        names = list(excluded)
    except TypeError:
        raise TypeError("setup_instrumentation(): excluded_modules is a list of module names, "
                        f"not {type(excluded).__name__}") from None
    for name in names:
        if not isinstance(name, str) or not name or name.strip() != name:
            raise ValueError(f"setup_instrumentation(): excluded_modules holds {name!r}, "
                             "not a module name or pattern")
    return names


def setup_instrumentation(app: Any = None, enable_tracing: bool = False, enable_import_hook: bool = False,
                          instrument_user_code: bool = True, excluded_modules: Iterable[str] = (),
                          audit_log: Any = None) -> Any:
    """Turns on what is asked and returns the application to serve.

    audit_log: path of the audit log, ``"stderr"`` or ``"off"``, as in
    ``configure(audit_log=...)``; None leaves the current setting
    (``SST_AUDIT_LOG``). enable_tracing: start the call tracer
    (``sst_runtime.trace.start()``). enable_import_hook: install the import
    hook (``sst_runtime.install_import_hook(exclude=excluded_modules)``), which
    rewrites first-party modules imported from then on; it rewrites user code,
    so it cannot be combined with ``instrument_user_code=False``. app: a Flask
    application gets ``init_flask(app)`` and is returned as it is; another
    ASGI application (an ``async`` callable) is returned wrapped in
    ``ASGIMiddleware``, any other WSGI application in ``WSGIMiddleware``.

    Wrong arguments raise TypeError or ValueError before anything is changed;
    a tracer or hook that cannot start is reported on stderr and the rest
    goes on, so the application always runs.
    """
    excluded = _modules(excluded_modules)
    if enable_import_hook and not instrument_user_code:
        raise ValueError("setup_instrumentation(): enable_import_hook=True rewrites user code at import; "
                         "it cannot be combined with instrument_user_code=False")
    if app is not None and not callable(app):
        raise TypeError(f"setup_instrumentation(): app must be a WSGI or ASGI application, "
                        f"not {type(app).__name__}")
    if audit_log is not None:
        if not isinstance(audit_log, (str, os.PathLike)):
            raise TypeError(f"setup_instrumentation(): audit_log must be a path, 'stderr' or 'off', "
                            f"not {type(audit_log).__name__}")
        _rt.configure(audit_log=os.fspath(audit_log))
    if enable_import_hook:
        _install_hook(excluded)
    if enable_tracing:
        _start_tracing()
    if app is None:
        return None
    if _is_flask_app(app):
        return init_flask(app)
    if isinstance(app, (WSGIMiddleware, ASGIMiddleware)):
        return app
    if _is_asgi_app(app):
        return ASGIMiddleware(app)
    return WSGIMiddleware(app)


def enable_runtime_tracking() -> bool:
    """Starts the call tracer; True when it runs (else the reason is on stderr)."""
    return _start_tracing()


def enable_deep_instrumentation() -> bool:
    """Installs the import hook, then starts the call tracer; True when both
    run (else the reason is on stderr)."""
    hooked = _install_hook([])
    return _start_tracing() and hooked
