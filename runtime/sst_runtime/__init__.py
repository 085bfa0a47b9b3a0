"""sst_runtime: the run-time half of sst-rewrite.

Code instrumented by ``sst-rewrite`` imports this package as ``__sst__`` and
calls the injected functions of docs/abi.md (``abi``, ``params``, ``flow``,
``derive``, ``carry``, ``source``, ``external``, ``store``). They tag personal
data, follow it through the program and record an event in the audit log
(docs/audit-log.md) when it reaches a third party or a store.

The hot path is the C extension ``sst_runtime._sst``. Where it cannot be
imported, the pure-Python fallback ``sst_runtime._fallback`` does the same
(slower) and says so once on stderr. ``SST_RUNTIME=python`` selects the
fallback on purpose, ``SST_RUNTIME=c`` insists on the extension.

Environment: ``SST_AUDIT_LOG`` (path of the JSON Lines audit log, ``stderr``,
or ``off``), ``SST_AUDIT_VALUES=1`` (write raw values, not only redacted
previews), ``SST_MAX_TAGS`` (tagged values kept per context), ``SST_CATALOG``
(catalogue files added to the built-in one, separated by ``os.pathsep``),
``SST_TRACE=1`` (start the C call tracer at import, docs/tracer.md).
"""
import atexit
import os
import sys
# Annotations are strings: neither typing nor __future__ is imported, which
# keeps "import sst_runtime" cheap in every instrumented module.

__all__ = [
    "ABI", "SCHEMA", "IMPLEMENTATION",
    "abi", "params", "flow", "derive", "carry", "source", "external", "store",
    "context", "current_context", "default_context", "Tags", "Origin",
    "configure", "flush", "events", "clear_events", "tags_of", "stats",
    "in_static_sink", "category_names", "detector_names", "classify_name",
    "catalog_lookup",
    "tag_value", "check_and_tag", "track_external_call", "track_data_operation",
]


def _load() -> "Any":
    choice = os.environ.get("SST_RUNTIME", "")
    if choice == "python":
        from . import _fallback
        return _fallback
    try:
        from . import _sst
        return _sst
    except ImportError as exc:
        if choice == "c":
            raise
        from . import _fallback
        sys.stderr.write(
            f"sst_runtime: the C extension is not available ({exc}); "
            "using the pure-Python fallback\n")
        return _fallback


_impl = _load()

IMPLEMENTATION: str = _impl.IMPLEMENTATION
ABI: int = _impl.ABI
SCHEMA: int = _impl.SCHEMA

# The injected functions (docs/abi.md).
abi = _impl.abi
params = _impl.params
flow = _impl.flow
derive = _impl.derive
carry = _impl.carry
source = _impl.source
external = _impl.external
store = _impl.store

# Contexts, tags, configuration.
context = _impl.context
default_context = _impl.default_context
current_context = _impl.current_context
Tags = _impl.Tags
Origin = _impl.Origin
flush = _impl.flush
stats = _impl.stats
in_static_sink = _impl.in_static_sink
category_names = _impl.category_names
detector_names = _impl.detector_names
classify_name = _impl.classify_name
catalog_lookup = _impl.catalog_lookup

# The seed API.
tag_value = _impl.tag_value
check_and_tag = _impl.check_and_tag
track_external_call = _impl.track_external_call
track_data_operation = _impl.track_data_operation

_UNSET: "Any" = object()


def configure(*, audit_log: "Any" = _UNSET, values: "Any" = _UNSET,
              callback: "Any" = _UNSET, memory: "Any" = _UNSET,
              max_tags: "Any" = _UNSET, patterns: "Any" = _UNSET,
              detectors: "Any" = _UNSET, catalog: "Any" = _UNSET) -> None:
    """Changes what is given, keeps the rest.

    audit_log: path of the JSON Lines audit log, ``"stderr"``, or None or
    ``"off"`` (no file), as in ``SST_AUDIT_LOG``. values: write raw values next to the redacted previews. callback:
    called with each event as a dict, or None. memory: keep event lines in
    memory (see ``events()``). max_tags: most values tagged at once in one
    context. patterns: ``{name: (pcre2 regex, categories)}`` custom
    detectors. detectors: names of the built-in detectors to run.
    """
    given = {name: value for name, value in (
        ("audit_log", audit_log), ("values", values), ("callback", callback),
        ("memory", memory), ("max_tags", max_tags), ("patterns", patterns),
        ("detectors", detectors), ("catalog", catalog)) if value is not _UNSET}
    if given.get("audit_log") == "off":
        given["audit_log"] = None
    _impl.configure(**given)


def tags_of(obj: "Any") -> "Optional[Any]":
    """The Tags of OBJ in the current context, or None."""
    return _impl.tags_of(obj)


def events() -> list:
    """The events kept in memory (``configure(memory=True)``), as dicts."""
    import json
    return [json.loads(line) for line in _impl.memory_lines()]


def clear_events() -> None:
    """Forgets the events kept in memory."""
    _impl.clear_memory()


def _configure_from_environment(env: "Mapping[str, str]") -> None:
    for path in (p for p in env.get("SST_CATALOG", "").split(os.pathsep) if p):
        configure(catalog=path)
    log = env.get("SST_AUDIT_LOG", "")
    if log:
        configure(audit_log=log)
    if env.get("SST_AUDIT_VALUES", "").lower() in ("1", "true", "yes", "on"):
        configure(values=True)
    cap = env.get("SST_MAX_TAGS", "")
    if cap:
        try:
            configure(max_tags=int(cap))
        except ValueError:
            sys.stderr.write(f"sst_runtime: SST_MAX_TAGS={cap!r} is not a positive number; ignored\n")


_configure_from_environment(os.environ)
atexit.register(_impl.flush)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_impl._after_fork_child)


# Development and integration helpers, imported when first used so that an
# instrumented module's "import sst_runtime as __sst__" stays cheap.
_LAZY = {
    "install_import_hook": ("_hook", "install_import_hook"),
    "uninstall_import_hook": ("_hook", "uninstall_import_hook"),
    "setup_instrumentation": ("integrations", "setup_instrumentation"),
    "enable_runtime_tracking": ("integrations", "enable_runtime_tracking"),
    "enable_deep_instrumentation": ("integrations", "enable_deep_instrumentation"),
    "WSGIMiddleware": ("integrations", "WSGIMiddleware"),
    "ASGIMiddleware": ("integrations", "ASGIMiddleware"),
    "init_flask": ("integrations", "init_flask"),
}


def __getattr__(name: str) -> "Any":
    # __import__, not importlib.import_module: the importlib package is not
    # otherwise loaded at start-up, and importing it costs more than the rest.
    if name == "trace":
        __import__(f"{__name__}.trace")
        return sys.modules[f"{__name__}.trace"]
    if name in _LAZY:
        module, attr = _LAZY[name]
        __import__(f"{__name__}.{module}")
        return getattr(sys.modules[f"{__name__}.{module}"], attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# SST_TRACE=1: the C call tracer from the start (sst_runtime.trace, docs/tracer.md).
if os.environ.get("SST_TRACE", "").lower() in ("1", "true", "yes", "on", "frame", "profile"):
    from .trace import start as _start_tracer
    _start_tracer()
