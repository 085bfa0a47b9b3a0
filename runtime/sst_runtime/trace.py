"""The run-time call tracer: catches calls into the catalogue's sink functions
that the static rewrite did not wrap.

``sst-rewrite`` wraps the sink calls it can resolve (``requests.post(...)``).
It cannot see ``getattr(requests, method)(...)``, a sink handed over as a
callback, ``asyncio.to_thread(send, phone)``, or code that was never
rewritten. The tracer is a C profile function (call events only) that watches
the library functions behind the catalogue's sinks (``WATCHED`` below); on a
call of one of them it inspects the arguments as ``__sst__.external`` does and
records an event with ``"detection": "tracer"`` at the code that called into
the library. A call made inside a statically wrapped sink is left to the
wrapper (one event, not two).

    from sst_runtime import trace
    trace.start()            # this thread and threads started from now on
    ...
    trace.stop()

    with trace.tracing():
        ...

``SST_TRACE=1`` in the environment starts it when ``sst_runtime`` is imported.
The tracer needs the C extension; with the pure-Python fallback ``start()``
says so on stderr and returns False. docs/tracer.md has the details.
"""
from __future__ import annotations

import atexit
import contextlib
import sys
import threading
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Tuple

import sst_runtime as _rt

__all__ = ["WATCHED", "Watched", "start", "stop", "is_tracing", "tracing", "watch", "watched", "stats"]

# The functions the tracer watches: (catalogue path of the sink, module, the
# function's attribute path in that module). The catalogue path names the
# event's sink and gives its service and host; it must be an "external" or
# "store" entry of the catalogue. Each is the function every public spelling
# of the call goes through (requests.post, requests.get and Session().post all
# reach Session.request), so one row catches them all; a watched function
# called while another watched call runs on the same stack (urllib.request
# -> http.client, requests -> urllib3) is the outer call's business. Rows of
# packages that are not installed stay unresolved and cost nothing. A
# decorated function is watched through its __wrapped__ chain.
WATCHED: Tuple[Tuple[str, str, str], ...] = (
    # requests: every request method and requests.post/get/... reach these
    ("requests.Session().request", "requests.sessions", "Session.request"),
    ("requests.Session().send", "requests.sessions", "Session.send"),
    # urllib3 (PoolManager().request is RequestMethods.request, shared by the pools)
    ("urllib3.PoolManager().request", "urllib3", "PoolManager.request"),
    ("urllib3.PoolManager().urlopen", "urllib3", "PoolManager.urlopen"),
    ("urllib3.HTTPConnectionPool().urlopen", "urllib3", "HTTPConnectionPool.urlopen"),
    # the standard library (HTTPS and SMTP_SSL inherit these functions;
    # SMTP.send_message flattens the message and calls sendmail)
    ("http.client.HTTPConnection().request", "http.client", "HTTPConnection.request"),
    ("http.client.HTTPConnection().send", "http.client", "HTTPConnection.send"),
    ("urllib.request.urlopen", "urllib.request", "urlopen"),
    ("urllib.request.OpenerDirector().open", "urllib.request", "OpenerDirector.open"),
    ("smtplib.SMTP().sendmail", "smtplib", "SMTP.sendmail"),
    # httpx and aiohttp (coroutines are inspected once, at their first step)
    ("httpx.Client().request", "httpx", "Client.request"),
    ("httpx.Client().send", "httpx", "Client.send"),
    ("httpx.AsyncClient().request", "httpx", "AsyncClient.request"),
    ("httpx.AsyncClient().send", "httpx", "AsyncClient.send"),
    ("aiohttp.ClientSession().request", "aiohttp", "ClientSession._request"),
    # AI SDKs: the resource methods (their HTTP calls inside are nested)
    ("openai.OpenAI().chat.completions.create", "openai.resources.chat", "Completions.create"),
    ("openai.AsyncOpenAI().chat.completions.create", "openai.resources.chat", "AsyncCompletions.create"),
    ("openai.OpenAI().responses.create", "openai.resources.responses", "Responses.create"),
    ("openai.AsyncOpenAI().responses.create", "openai.resources.responses", "AsyncResponses.create"),
    ("openai.OpenAI().embeddings.create", "openai.resources", "Embeddings.create"),
    ("openai.AsyncOpenAI().embeddings.create", "openai.resources", "AsyncEmbeddings.create"),
    ("openai.OpenAI().completions.create", "openai.resources", "Completions.create"),
    ("anthropic.Anthropic().messages.create", "anthropic.resources", "Messages.create"),
    ("anthropic.AsyncAnthropic().messages.create", "anthropic.resources", "AsyncMessages.create"),
)


class Watched(NamedTuple):
    """A watched function and what it resolves to in this process."""
    sink: str
    module: str
    attribute: str
    function: Optional[str]   # co_qualname of the function found, None if not (yet) found


_impl: Any = _rt._impl
_AVAILABLE = getattr(_impl, "IMPLEMENTATION", None) == "c"
_loaded = False
_said_unavailable = False
_stop_at_exit = False


def _say(message: str) -> None:
    sys.stderr.write(f"sst_runtime.trace: {message}\n")
    sys.stderr.flush()


def _unavailable() -> bool:
    global _said_unavailable
    if _AVAILABLE:
        return False
    if not _said_unavailable:
        _said_unavailable = True
        _say("the tracer needs the C extension (this is the pure-Python runtime); not started")
    return True


def _row(sink: str, module: str, attribute: str) -> Tuple[str, str, str, str]:
    entry = _rt.catalog_lookup(sink)
    if entry is None or entry["kind"] not in ("external", "store"):
        raise ValueError(f"sst_runtime.trace: {sink!r} is not an external or store entry of the catalogue")
    return (sink, entry["kind"], module, attribute)


def _load() -> None:
    global _loaded
    if not _loaded:
        _impl._trace_watch([_row(*row) for row in WATCHED])
        _loaded = True


def _describe(profile: Any) -> str:
    return "a C profile function" if profile is None else repr(profile)


def start(*, force: bool = False) -> bool:
    """Starts the tracer on this thread and on threads started from now on.

    Threads already running (other than this one) are not traced: CPython 3.11
    installs a profile function per thread. If this thread, or threading's hook
    for new threads, already has another profile function (a profiler, a
    debugger), it is kept and that is said on stderr; ``force=True`` replaces
    it (also said). Returns True when this thread is traced. Never raises for
    a missing C extension: says so once and returns False.
    """
    global _stop_at_exit
    if _unavailable():
        return False
    _load()
    if not _stop_at_exit:
        # Nothing is traced while the interpreter shuts down.
        atexit.register(stop)
        _stop_at_exit = True
    _, current = _impl._trace_profile_state()
    _impl._trace_set_active(True)
    installed = _impl._trace_install(force)
    here = threading.current_thread().name
    if installed == "other":
        _say(f"another profile function ({_describe(current)}) is installed on thread {here!r}; it is kept and "
             "this thread is not traced (start(force=True) replaces it)")
    elif installed == "replaced":
        _say(f"replaced the profile function {_describe(current)} of thread {here!r} (force=True)")
    tracer = _impl._trace_object()
    hook = threading.getprofile()
    if hook is None or hook is tracer:
        threading.setprofile(tracer)
    elif force:
        threading.setprofile(tracer)
        _say(f"replaced threading's profile hook for new threads, {hook!r} (force=True)")
    else:
        _say(f"threading's profile hook for new threads is {hook!r}; it is kept and threads started from now on "
             "are not traced (start(force=True) replaces it)")
    return installed != "other"


def stop() -> None:
    """Stops the tracer everywhere.

    This thread's profile function and threading's hook are removed at once;
    every other traced thread removes its own at its next event (a flag each
    thread checks). Another tool's profile function is left alone.
    """
    if not _AVAILABLE:
        return
    _impl._trace_set_active(False)
    _impl._trace_uninstall()
    if threading.getprofile() is _impl._trace_object():
        threading.setprofile(None)


def is_tracing() -> bool:
    """True between start() and stop()."""
    return _AVAILABLE and _impl._trace_is_active()


@contextlib.contextmanager
def tracing(*, force: bool = False) -> Iterator[None]:
    """``with tracing():`` traces the block (and threads started in it); the
    tracer stays on afterwards if it was on before."""
    was = is_tracing()
    start(force=force)
    try:
        yield
    finally:
        if not was:
            stop()


def watch(sink: str, module: str, attribute: str) -> None:
    """Watches one more function: ATTRIBUTE (``"Client.send"``) of MODULE,
    reported as the catalogue sink SINK. Raises ValueError when SINK is not an
    external or store entry of the catalogue."""
    if _unavailable():
        return
    _load()
    _impl._trace_watch([_row(sink, module, attribute)])


def watched() -> List[Watched]:
    """Every watched function, resolved against the modules imported now."""
    if not _AVAILABLE:
        return []
    _load()
    return [Watched(*row) for row in _impl._trace_resolve()]


def stats() -> Dict[str, int]:
    """Counters: watched_calls (first entries of watched functions),
    events (recorded by the tracer), skipped_static (inside a statically
    wrapped sink), skipped_nested (inside another watched call), resumed
    (a watched generator or coroutine resuming), rows (watched functions)."""
    if not _AVAILABLE:
        return {"watched_calls": 0, "events": 0, "skipped_static": 0, "skipped_nested": 0, "resumed": 0, "rows": 0}
    return dict(_impl._trace_stats())
