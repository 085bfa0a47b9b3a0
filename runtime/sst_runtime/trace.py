"""The run-time call tracer: catches calls into the catalogue's sink functions
that the static rewrite did not wrap.

``sst-rewrite`` wraps the sink calls it can resolve (``requests.post(...)``).
It cannot see ``getattr(requests, method)(...)``, a sink handed over as a
callback, ``asyncio.to_thread(send, phone)``, or code that was never
rewritten. The tracer watches the library functions behind the catalogue's
sinks (``WATCHED`` below); on a call of one of them it inspects the arguments
as ``__sst__.external`` does and records an event with
``"detection": "tracer"`` at the code that called into the library. A call
made inside a statically wrapped sink is left to the wrapper (one event, not
two).

Two engines deliver the calls. The default, ``"frame"``, is a PEP 523
frame-evaluation function (CPython 3.11): one for the whole interpreter, so
every thread is traced, those already running included. ``"profile"`` is a C
profile function per thread (this thread and threads started afterwards);
it costs more, because CPython 3.11 runs every instruction through its
tracing path while a profile function is installed.

    from sst_runtime import trace
    trace.start()                     # the frame engine, every thread
    ...
    trace.stop()

    with trace.tracing():
        ...

    trace.start(engine="profile")     # the profile engine

``SST_TRACE=1`` in the environment starts it when ``sst_runtime`` is imported
(``SST_TRACE=profile``: with the profile engine). The tracer needs the C
extension; with the pure-Python fallback ``start()`` says so on stderr and
returns False. docs/tracer.md has the details.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Set, Tuple

import sst_runtime as _rt

__all__ = ["WATCHED", "ENGINES", "Watched", "start", "stop", "is_tracing", "engine", "tracing", "watch", "watched",
           "stats"]

# The engines start() knows; the first is the default.
ENGINES: Tuple[str, ...] = ("frame", "profile")

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
_said: Set[str] = set()
_stop_at_exit = False


def _say(message: str) -> None:
    sys.stderr.write(f"sst_runtime.trace: {message}\n")
    sys.stderr.flush()


def _say_once(message: str) -> None:
    if message not in _said:
        _said.add(message)
        _say(message)


def _unavailable() -> bool:
    if _AVAILABLE:
        return False
    _say_once("the tracer needs the C extension (this is the pure-Python runtime); not started")
    return True


def _probe() -> None:
    """Sent through the interpreter's frame evaluation to learn whether the
    tracer's function is still in it (under another tool's); does nothing."""


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


def _default_engine() -> str:
    """SST_TRACE=profile chooses the profile engine, anything else the frame
    engine, which needs CPython 3.11 (elsewhere: the profile engine, said once)."""
    if os.environ.get("SST_TRACE", "").strip().lower() == "profile":
        return "profile"
    return "frame"


def _start_frame() -> bool:
    status, other = _impl._trace_frame_start(_probe)
    if status == "chained":
        _say_once(f"another frame-evaluation function ({other}) is installed; it is kept: the tracer runs "
                  "first and hands every frame on to it")
    elif status == "below":
        _say_once(f"the tracer's frame-evaluation function is still in the chain, under {other} (installed after "
                  "it); it traces from there")
    return True


def _start_profile(force: bool) -> bool:
    _, current = _impl._trace_profile_state()
    _impl._trace_set_engine("profile")
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


def start(*, engine: Optional[str] = None, force: bool = False) -> bool:
    """Starts the tracer.

    engine: ``"frame"`` (the default; ``SST_TRACE=profile`` makes
    ``"profile"`` the default) traces every thread of the interpreter, those
    already running included, through a PEP 523 frame-evaluation function.
    Another tool's frame-evaluation function is kept: the tracer runs first
    and hands every frame on to it (said once on stderr). It needs CPython
    3.11; elsewhere the profile engine is used (said once).

    ``"profile"`` installs a C profile function on this thread and, through
    threading's hook, on threads started from now on; threads already
    running are not traced. If this thread, or threading's hook, already has
    another profile function (a profiler, a debugger), it is kept and that is
    said on stderr; ``force=True`` replaces it (also said). ``force`` concerns
    this engine only.

    Without ``engine`` while the tracer runs, the running engine is kept; a
    different engine stops the running one first. Returns True when this
    thread is traced. Raises ValueError for an unknown engine; never raises
    for a missing C extension: says so once and returns False.
    """
    global _stop_at_exit
    if engine is not None and engine not in ENGINES:
        raise ValueError(f"sst_runtime.trace: engine is one of {', '.join(map(repr, ENGINES))}, not {engine!r}")
    if _unavailable():
        return False
    running = _impl._trace_engine()
    chosen = engine or running or _default_engine()
    if chosen == "frame" and not _impl._trace_frame_available():
        _say_once(f"the frame engine needs CPython 3.11 (this is {sys.implementation.name} "
                  f"{sys.version.split()[0]}); using the profile engine")
        chosen = "profile"
    _load()
    if not _stop_at_exit:
        # Nothing is traced while the interpreter shuts down.
        atexit.register(stop)
        _stop_at_exit = True
    if running is not None and running != chosen:
        stop()
    return _start_frame() if chosen == "frame" else _start_profile(force)


def stop() -> None:
    """Stops the tracer everywhere, whichever engine runs.

    The frame engine's function leaves the interpreter at once and the
    function it found there is put back; if another tool installed its own
    function after the tracer's (and hands frames on to it), the tracer's
    stays in that chain, handing every frame on untouched (said once on
    stderr). The profile engine's function is removed from this thread and
    threading's hook at once; every other traced thread removes its own at
    its next event (a flag each thread checks). Another tool's profile
    function is left alone.
    """
    if not _AVAILABLE:
        return
    _impl._trace_set_engine(None)
    status, above = _impl._trace_frame_stop(_probe)
    if status == "kept":
        _say_once(f"another frame-evaluation function ({above}) was installed after the tracer's and hands frames on "
                  "to it; the tracer's stays in that chain and hands every frame on untouched")
    _impl._trace_uninstall()
    if threading.getprofile() is _impl._trace_object():
        threading.setprofile(None)


def is_tracing() -> bool:
    """True between start() and stop()."""
    return _AVAILABLE and _impl._trace_engine() is not None


def engine() -> Optional[str]:
    """The engine running, ``"frame"`` or ``"profile"``; None when stopped."""
    return _impl._trace_engine() if _AVAILABLE else None


@contextlib.contextmanager
def tracing(*, engine: Optional[str] = None, force: bool = False) -> Iterator[None]:
    """``with tracing():`` traces the block (start()'s arguments); the tracer
    stays on afterwards if it was on before."""
    was = is_tracing()
    start(engine=engine, force=force)
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
