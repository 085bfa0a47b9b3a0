"""The pure-Python runtime: the same behaviour as the C extension ``_sst``.

Used when the extension cannot be imported (another interpreter, a build
without a compiler) or when ``SST_RUNTIME=python``. Every rule here mirrors
a C file of runtime/: tags and origins (tags.c), the bounded identity table
(registry.c), request contexts (context.c), the argument walk (scan.c), sink
checks and destinations (sink.c), event lines and the audit log (events.c),
the injected functions (inject.c), the seed API (seed.c) and configure()
(config.c). tests/runtime runs the same cases against both and compares
their audit logs byte for byte (time and pid aside).
"""
from __future__ import annotations

import contextvars
import ctypes
import os
import sys
import threading
import types
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Tuple

from . import _catalog
from . import _detect

IMPLEMENTATION = "python"
ABI = 1
SCHEMA = 1

DEFAULT_MAX_TAGS = 65536
MAX_ORIGINS = 8             # per value (tags.h)
EVENT_MAX_ORIGINS = 16      # per event (scan.c)
MAX_VALUES = 8              # value records per event (events.h)
WHERE_MAX = 128             # bytes of a location path, NUL included
PREVIEW_MAX = 48            # bytes of a redacted preview, NUL included
SCAN_MAX_DEPTH = 4
SCAN_MAX_ITEMS = 64
SCAN_MAX_NODES = 512
DEEP_MAX_DEPTH = 3
DEEP_MAX_NODES = 256
RAW_MAX = 1024
WINDOW = _detect.SCAN_MAX + _detect.PEEK
FLUSH_THRESHOLD = 64 * 1024
MEMORY_CAP = 1000000

CATEGORY_NAMES = _catalog.CATEGORY_NAMES
_ALL_CATS = (1 << len(CATEGORY_NAMES)) - 1

_lock = threading.RLock()       # the fallback's GIL: registry, writer, caches
_local = threading.local()      # busy, sink_depth, carry


# ---- tags (tags.c) ----------------------------------------------------------

class Origin(NamedTuple):
    """Where a tagged value came from."""
    kind: str
    source: Optional[str]
    key: Optional[str]
    file: Optional[str]
    line: int

    def __repr__(self) -> str:
        return (f"sst_runtime.Origin(kind={self.kind!r}, source={self.source!r}, key={self.key!r}, "
                f"file={self.file!r}, line={self.line!r})")


def _same_origin(a: Origin, b: Origin) -> bool:
    """The same kind, source and key (the first place seen is kept)."""
    return a is b or (a.kind == b.kind and a.source == b.source and a.key == b.key)


def _has_origin(origins: Iterable[Origin], o: Origin) -> bool:
    return any(_same_origin(x, o) for x in origins)


def _category_tuple(bits: int) -> Tuple[str, ...]:
    return tuple(name for i, name in enumerate(CATEGORY_NAMES) if bits & (1 << i))


class Tags:
    """The data categories and origins of a tagged value (immutable)."""
    __slots__ = ("bits", "origins")

    def __init__(self, bits: int, origins: Tuple[Origin, ...]) -> None:
        self.bits = bits
        self.origins = origins

    @property
    def categories(self) -> Tuple[str, ...]:
        return _category_tuple(self.bits)

    def __repr__(self) -> str:
        return f"Tags(categories={self.categories!r}, origins={self.origins!r})"


def _covers(a: Tags, b: Tags) -> bool:
    if a is b:
        return True
    if (a.bits | b.bits) != a.bits:
        return False
    if not b.origins or a.origins is b.origins:
        return True
    for o in b.origins:
        if not _has_origin(a.origins, o) and len(a.origins) < MAX_ORIGINS:
            return False
    return True


def _union(a: Optional[Tags], b: Optional[Tags]) -> Optional[Tags]:
    if a is None or b is None or _covers(a, b):
        return a if a is not None else b
    if _covers(b, a):
        return b
    items = list(a.origins[:MAX_ORIGINS])
    for o in b.origins:
        if len(items) >= MAX_ORIGINS:
            break
        if not _has_origin(a.origins, o):
            items.append(o)
    return Tags(a.bits | b.bits, tuple(items))


def _parse_categories(names: Any) -> int:
    if isinstance(names, str):
        names = (names,)
    bits = 0
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"a data category is a str, not {type(name).__name__}")
        if name not in CATEGORY_NAMES:
            raise ValueError(f"unknown data category '{name}'")
        bits |= 1 << CATEGORY_NAMES.index(name)
    return bits


# ---- what may be tagged (scan.c) ------------------------------------------

# PyASCIIObject: the object header, length, hash, then the state bits.
_INTERNED_STATE_OFFSET = (object.__basicsize__ + 2 * ctypes.sizeof(ctypes.c_ssize_t)
                          if sys.implementation.name == "cpython" else None)


def _is_interned(s: str) -> bool:
    """The interned bit of the str header (CPython 3.11 PyASCIIObject.state)."""
    if _INTERNED_STATE_OFFSET is None:
        return s.isidentifier()
    state = ctypes.c_uint32.from_address(id(s) + _INTERNED_STATE_OFFSET).value
    return (state & 3) != 0


_UNTAGGABLE_TYPES = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
                     types.MethodType, types.CodeType)


def _taggable(v: Any) -> bool:
    if v is None or v is True or v is False or v is Ellipsis or v is NotImplemented:
        return False
    if isinstance(v, str):
        return len(v) > 1 and not _is_interned(v)
    if type(v) is int:
        return not -5 <= v <= 256
    if isinstance(v, bytes):
        return len(v) > 1
    if isinstance(v, tuple):
        return len(v) > 0
    if isinstance(v, frozenset):
        return len(v) > 0
    if isinstance(v, _UNTAGGABLE_TYPES):
        return False
    return True


def _taggable_target(v: Any) -> Any:
    """V, an equal fresh copy of an interned str, or None (cannot tag)."""
    if _taggable(v):
        return v
    if type(v) is str and len(v) > 1 and _is_interned(v):
        return (v + ".")[:-1]
    return None


# ---- registry (registry.c) and contexts (context.c) ------------------------

class _State:
    def __init__(self) -> None:
        self.tagged_total = 0
        self.max_tags = DEFAULT_MAX_TAGS
        self.values = False
        self.failures = 0
        self.failure_reported = False
        self.events = 0
        self.dropped = 0


_st = _State()


class _Registry:
    __slots__ = ("table", "cap", "dropped")

    def __init__(self, cap: int) -> None:
        self.table: Dict[int, Tuple[Any, Tags]] = {}
        self.cap = max(cap, 1)
        self.dropped = 0

    def get(self, obj: Any) -> Optional[Tags]:
        entry = self.table.get(id(obj))
        return entry[1] if entry is not None and entry[0] is obj else None

    def set(self, obj: Any, tags: Tags) -> None:
        gone = None
        with _lock:
            key = id(obj)
            if key in self.table:
                self.table[key] = (obj, tags)
                return
            self.table[key] = (obj, tags)
            _st.tagged_total += 1
            if len(self.table) > self.cap:
                gone = self._drop_oldest()
        del gone    # released last: a __del__ may tag again

    def _drop_oldest(self) -> Any:
        key = next(iter(self.table))
        entry = self.table.pop(key)
        self.dropped += 1
        _st.dropped += 1
        _st.tagged_total -= 1
        return entry

    def set_cap(self, cap: int) -> None:
        gone = []
        with _lock:
            self.cap = max(cap, 1)
            while len(self.table) > self.cap:
                gone.append(self._drop_oldest())
        del gone

    def clear(self) -> None:
        with _lock:
            table, self.table = self.table, {}
            _st.tagged_total -= len(table)
        del table


_contextvar: contextvars.ContextVar = contextvars.ContextVar("sst_runtime.context")


class context:
    """context(method=None, path=None, endpoint=None, request_id=None, max_tags=None)

    A request context: `with sst_runtime.context(...):` tags and events inside
    belong to this request; leaving it flushes the log and drops its tags.
    """

    def __init__(self, method: Optional[str] = None, path: Optional[str] = None,
                 endpoint: Optional[str] = None, request_id: Optional[str] = None,
                 max_tags: Optional[int] = None) -> None:
        for what, v in (("method", method), ("path", path), ("endpoint", endpoint),
                        ("request_id", request_id)):
            if v is not None and not isinstance(v, str):
                raise TypeError(f"context(): {what} must be a str or None, not {type(v).__name__}")
        self._reg = _Registry(max_tags if max_tags and max_tags > 0 else _st.max_tags)
        self._request_id, self._method, self._path, self._endpoint = request_id, method, path, endpoint
        self._token: Optional[contextvars.Token] = None
        self._is_default = False
        self._closed = False

    def __enter__(self) -> "context":
        if self._is_default:
            raise RuntimeError("the default context is always open")
        if self._token is not None or self._closed:
            raise RuntimeError("this request context was closed" if self._closed
                               else "this request context is already open")
        self._token = _contextvar.set(self)
        return self

    def close(self) -> None:
        """Closes the context: flushes the audit log, releases every tagged value."""
        if self._is_default or self._closed:
            return
        self._closed = True
        if self._token is not None:
            token, self._token = self._token, None
            try:
                _contextvar.reset(token)
            except ValueError:
                pass
        _writer.flush()
        _local.carry = None   # a carry() whose derive() an exception skipped
        self._reg.clear()

    def __exit__(self, *exc: Any) -> bool:
        self.close()
        return False

    @property
    def request(self) -> Optional[Dict[str, Optional[str]]]:
        if self._is_default:
            return None
        return {"id": self._request_id, "method": self._method, "path": self._path,
                "endpoint": self._endpoint}

    @property
    def tagged(self) -> int:
        return len(self._reg.table)

    @property
    def dropped(self) -> int:
        return self._reg.dropped

    @property
    def max_tags(self) -> int:
        return self._reg.cap

    @property
    def closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        if self._is_default:
            return "<sst_runtime.context default>"
        return (f"<sst_runtime.context {self._method!r} {self._path!r} id={self._request_id!r}"
                f"{' closed' if self._closed else ''}>")


def _new_default() -> context:
    ctx = context.__new__(context)
    ctx._reg = _Registry(DEFAULT_MAX_TAGS)
    ctx._request_id = ctx._method = ctx._path = ctx._endpoint = None
    ctx._token = None
    ctx._is_default = True
    ctx._closed = False
    return ctx


default_context = _new_default()


def current_context() -> context:
    """The open request context or the default."""
    return _contextvar.get(default_context)


def _add(ctx: context, obj: Any, tags: Tags) -> None:
    if ctx._closed:
        return
    old = ctx._reg.get(obj)
    if old is None:
        ctx._reg.set(obj, tags)
    elif not _covers(old, tags):
        ctx._reg.set(obj, _union(old, tags))


# ---- failures, frames --------------------------------------------------------

def _failure(where: str, exc: BaseException) -> None:
    _st.failures += 1
    if not _st.failure_reported:
        _st.failure_reported = True
        sys.stderr.write(f"sst_runtime: internal failure in {where}: {type(exc).__name__}: {exc} "
                         "(the program continues; later failures are only counted, "
                         "see sst_runtime.stats())\n")
        sys.stderr.flush()


def _busy() -> int:
    return getattr(_local, "busy", 0)


def _frame(depth: int) -> Optional[types.FrameType]:
    try:
        return sys._getframe(depth + 1)
    except ValueError:
        return None


# ---- catalogue answers per constant (sitecache.c) --------------------------

_catalog_data = _catalog.load_builtin()
_site_cache: Dict[Tuple[int, int, int], Tuple[Any, ...]] = {}
_SITE_SINK, _SITE_SOURCE, _SITE_PARAMS = 1, 2, 3
_CACHE_MAX = 1 << 16


def _cache_put(key: Tuple[int, int, int], value: Tuple[Any, ...]) -> Tuple[Any, ...]:
    if len(_site_cache) >= _CACHE_MAX:
        _site_cache.clear()
    _site_cache[key] = value
    return value


def _classify(name: Any) -> int:
    return _catalog_data.classify_name(name) if isinstance(name, str) else 0


def _site_sink(ident: Any) -> Tuple[Optional[str], Optional[str]]:
    got = _site_cache.get((_SITE_SINK, id(ident), 0))
    if got is not None and got[0] is ident:
        return got[1], got[2]
    if not isinstance(ident, str):
        raise TypeError(f"a sink id is a str, not {type(ident).__name__}")
    entry = _catalog_data.lookup(ident)
    service = entry.service if entry else None
    host = entry.host if entry else None
    _cache_put((_SITE_SINK, id(ident), 0), (ident, service, host))
    return service, host


def _site_source(site: Any) -> Tuple[str, Optional[str], int, int]:
    got = _site_cache.get((_SITE_SOURCE, id(site), 0))
    if got is not None and got[0] is site:
        return got[1]
    if (not isinstance(site, tuple) or len(site) != 2 or not isinstance(site[0], str)
            or not (site[1] is None or isinstance(site[1], str))):
        raise TypeError("a source site is a tuple (PATH: str, KEY: str or None)")
    path, key = site
    entry = _catalog_data.lookup(path)
    path_cats = entry.categories if entry and entry.kind == "source" else 0
    info = (path, key, path_cats | (_classify(key) if key is not None else 0), path_cats)
    _cache_put((_SITE_SOURCE, id(site), 0), (site, info))
    return info


def _site_params(names: Any, code: Optional[types.CodeType]) -> Tuple[List[int], List[Optional[Tags]]]:
    key = (_SITE_PARAMS, id(names), id(code))
    got = _site_cache.get(key)
    if got is not None and got[0] is names and got[1] is code:
        return got[2], got[3]
    if not isinstance(names, tuple):
        raise TypeError("params() NAMES is a tuple of str")
    cats: List[int] = []
    tags: List[Optional[Tags]] = []
    for name in names:
        if not isinstance(name, str):
            raise TypeError("params() NAMES is a tuple of str")
        c = _classify(name)
        cats.append(c)
        if not c:
            tags.append(None)
            continue
        origin = Origin("parameter", code.co_qualname if code else None, name,
                        code.co_filename if code else None, code.co_firstlineno if code else 0)
        tags.append(Tags(c, (origin,)))
    _cache_put(key, (names, code, cats, tags))
    return cats, tags


# ---- detectors (scan.c over _detect) -----------------------------------------

_detector = _detect.Detector()


def _text_window(v: Any) -> Optional[bytes]:
    if isinstance(v, bytes):
        return bytes(v[:WINDOW])
    if isinstance(v, str):
        return v[:WINDOW].encode("utf-8", "surrogatepass")[:WINDOW]
    return None


def _detect_value(v: Any) -> Tuple[int, int, int]:
    """(kinds, categories, custom pattern index of the first match or -1)."""
    data = _text_window(v)
    if not data:
        return 0, 0, -1
    kinds, match = _detector.scan(data)
    return kinds, match.categories, match.pattern if match.kind == _detect.CUSTOM else -1


def _kind_name(index: int, custom_pattern: int) -> str:
    if (1 << index) == _detect.CUSTOM and custom_pattern >= 0:
        return _detector.pattern_name(custom_pattern)
    return _detect.KIND_NAMES[index]


def _kinds_of_categories(cats: int) -> int:
    k = 0
    if cats & (1 << 0):
        k |= _detect.EMAIL
    if cats & (1 << 1):
        k |= _detect.PHONE
    if cats & (1 << 6):
        k |= _detect.CARD | _detect.IBAN
    if cats & (1 << 5):
        k |= _detect.US_SSN | _detect.UK_NINO | _detect.ES_DNI | _detect.NL_BSN
    if cats & (1 << 10):
        k |= _detect.IPV4 | _detect.IPV6
    if cats & (1 << 8):
        k |= _detect.BEARER | _detect.API_KEY | _detect.JWT | _detect.PRIVATE_KEY
    return k


def _fit(text: str, cap: int) -> str:
    """Whole characters of TEXT while they fit in CAP bytes with a NUL."""
    out = []
    written = 0
    for ch in text:
        n = len(ch.encode("utf-8", "surrogatepass"))
        if written + n >= cap:
            break
        out.append(ch)
        written += n
    return "".join(out)


def _preview(v: Any, kinds: int) -> str:
    data = _text_window(v)
    if data is not None:
        return _fit(_detect.redact(data, kinds), PREVIEW_MAX)
    name = type(v).__name__
    if isinstance(v, (dict, list, tuple, set, frozenset)):
        size = (dict.__len__(v) if isinstance(v, dict) else list.__len__(v) if isinstance(v, list)
                else tuple.__len__(v) if isinstance(v, tuple) else len(v))
        return f"<{name[:40]} len={size}>"
    return f"<{name[:40]}>"


def _raw(v: Any) -> Optional[str]:
    if isinstance(v, str):
        return str.__getitem__(v, slice(0, RAW_MAX))
    if isinstance(v, bytes):
        return bytes(v[:RAW_MAX]).decode("utf-8", "replace")
    if isinstance(v, (int, float)):
        return str(v)
    return None


def _pattern_tags(v: Any, key: Optional[str], file: Optional[str], line: int) -> Optional[Tags]:
    kinds, cats, custom = _detect_value(v)
    if not kinds:
        return None
    origins = []
    for i in range(32):
        if kinds & (1 << i) and len(origins) < MAX_ORIGINS:
            origins.append(Origin("pattern", _kind_name(i, custom), key, file, line))
    return Tags(cats, tuple(origins))


# ---- the argument walk (scan.c) ----------------------------------------------

def _cut_where(text: str) -> str:
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) <= WHERE_MAX - 1:
        return text
    return raw[:WHERE_MAX - 1].decode("utf-8", "ignore")


def _has_instance_dict(v: Any) -> bool:
    t = type(v)
    return bool(t.__flags__ & (1 << 9)) and t.__dictoffset__ != 0 and not isinstance(v, type)


class _Scan:
    def __init__(self, ctx: context) -> None:
        self.ctx = ctx
        self.use_tags = not ctx._closed and len(ctx._reg.table) > 0
        self.cats = 0
        self.origins: List[Origin] = []
        self.kinds = 0
        self.kind_order: List[int] = []
        self.custom_pattern = -1
        self.found = False
        self.values: List[Dict[str, Any]] = []
        self.nodes = 0
        self.seen: set = set()
        self.where = ""
        self.sources = False    # walking the static sources, not the arguments
        self.quiet = 0          # inside an object's attributes reached from a static source

    def root(self, v: Any, label: str) -> None:
        self.where = _cut_where(label)
        self._visit(v, 0)
        self.where = ""

    def _add_origins(self, origins: Iterable[Origin]) -> None:
        for o in origins:
            if len(self.origins) >= EVENT_MAX_ORIGINS:
                break
            if not _has_origin(self.origins, o):
                self.origins.append(o)

    def _add_value(self, v: Any, cats: int, kinds: int, suffix: str) -> None:
        self.found = True
        self.cats |= cats
        if len(self.values) >= MAX_VALUES:
            return
        item: Dict[str, Any] = {"where": _cut_where(self.where + suffix), "categories": cats,
                                "preview": _preview(v, kinds), "raw": None}
        if _st.values:
            item["raw"] = _raw(v)
        self.values.append(item)

    def _note_kinds(self, kinds: int, custom: int) -> None:
        for i in range(_detect.KIND_COUNT):
            bit = 1 << i
            if kinds & bit and not self.kinds & bit:
                self.kinds |= bit
                self.kind_order.append(i)
                if bit == _detect.CUSTOM:
                    self.custom_pattern = custom

    def _check_leaf(self, v: Any, text: bool, suffix: str) -> bool:
        t = self.ctx._reg.get(v) if self.use_tags else None
        kinds = cats = 0
        if text:
            kinds, cats, custom = _detect_value(v)
            if t is not None and cats & ~t.bits == 0:
                kinds = cats = 0    # a match that says nothing the tags do not
            if kinds:
                self._note_kinds(kinds, custom)
        if t is None and not kinds:
            return False
        if t is not None:
            self._add_origins(t.origins)
            cats |= t.bits
            kinds |= _kinds_of_categories(t.bits)
        self._add_value(v, cats, kinds, suffix)
        return True

    def _child(self, v: Any, depth: int, seg: str) -> None:
        old = self.where
        self.where = _cut_where(old + seg)
        self._visit(v, depth)
        self.where = old

    def _dict_items(self, d: dict, depth: int, attrs: bool) -> None:
        count = 0
        for k, val in dict.items(d):
            if count >= SCAN_MAX_ITEMS:
                break
            count += 1
            if attrs:
                if not isinstance(k, str):
                    continue
                # "_headers" is data (email.message keeps its headers there);
                # "__x__" and name-mangled "__x" are the class's machinery
                if k.startswith("__") or len(k.encode("utf-8", "surrogatepass")) > 40:
                    continue
                self._child(val, depth, "." + k)
                continue
            key_hit = False
            text = isinstance(k, (str, bytes))
            if text or self.use_tags:
                key_hit = self._check_leaf(k, text and not self.quiet, "{key}")
            if not key_hit and isinstance(k, str) and len(k) <= 40 and k.isidentifier():
                seg = f"['{k}']"
            else:
                seg = "[?]"
            self._child(val, depth, seg)

    def _visit(self, v: Any, depth: int) -> None:
        if self.nodes >= SCAN_MAX_NODES:
            return
        text = isinstance(v, (str, bytes))
        seq = isinstance(v, (list, tuple))
        is_dict = isinstance(v, dict)
        is_set = isinstance(v, (set, frozenset))
        obj = not (text or seq or is_dict or is_set) and _has_instance_dict(v)
        if not (text or seq or is_dict or is_set or obj):
            if not self.use_tags:
                return
            self.nodes += 1
            self._check_leaf(v, False, "")
            return
        self.nodes += 1
        if id(v) in self.seen:
            return
        self.seen.add(id(v))
        self._check_leaf(v, text and not self.quiet, "")
        if text or depth >= SCAN_MAX_DEPTH:
            return
        if seq:
            items = list.__iter__(v) if isinstance(v, list) else tuple.__iter__(v)
            for i, item in enumerate(items):
                if i >= SCAN_MAX_ITEMS:
                    break
                self._child(item, depth + 1, f"[{i}]")
        elif is_dict:
            self._dict_items(v, depth + 1, False)
        elif is_set:
            it = set.__iter__(v) if isinstance(v, set) else frozenset.__iter__(v)
            for count, item in enumerate(it):
                if count >= SCAN_MAX_ITEMS:
                    break
                self._child(item, depth + 1, "{}")
        else:
            # an object a static source names: its attributes' tags count,
            # not what the detectors would find in them (scan.c)
            if self.sources and not self.use_tags:
                return
            try:
                d = object.__getattribute__(v, "__dict__")
            except Exception:
                return
            if isinstance(d, dict):
                self.quiet += self.sources
                self._dict_items(d, depth + 1, True)
                self.quiet -= self.sources

    def finish(self, key: Optional[str], file: Optional[str], line: int) -> None:
        for i in self.kind_order:
            self._add_origins((Origin("pattern", _kind_name(i, self.custom_pattern), key, file, line),))


# ---- destinations and the sink check (sink.c) ------------------------------

def _url_host(url: str) -> Optional[str]:
    sep = url.find("://")
    if sep < 0:
        return None
    start = end = sep + 3
    n = len(url)
    while end < n and url[end] not in "/?#":
        end += 1
    at = url.rfind("@", start, end)
    if at >= 0:
        start = at + 1
    if start < end and url[start] == "[":
        close = start + 1
        while close < end and url[close] != "]":
            close += 1
        if close >= end or close == start + 1:
            return None
        return url[start + 1:close]
    colon = url.rfind(":", start, end)
    stop = colon if colon >= 0 else end
    if stop <= start:
        return None
    return url[start:stop]


def _has_scheme(v: Any) -> bool:
    return isinstance(v, str) and "://" in v


def _host_of(v: Any) -> Optional[str]:
    if isinstance(v, str):
        if "://" in v:
            return _url_host(v)
        if not v or any(c == "/" or c.isspace() for c in v):
            return None
        return v
    if v is None or isinstance(v, (int, bytes)):
        return None
    try:
        h = getattr(v, "host")
    except Exception:
        return None
    return h if isinstance(h, str) and h else None


def _client_host(obj: Any) -> Optional[str]:
    for attr in ("base_url", "host", "_host"):
        try:
            v = getattr(obj, attr)
        except Exception:
            continue
        h = _host_of(v)
        if h:
            return h
    return None


def _destination(args: Tuple[Any, ...], kwargs: Dict[str, Any], func: Any,
                 catalogue_host: Optional[str]) -> Optional[str]:
    for a in args:
        if _has_scheme(a):
            h = _url_host(a)
            if h:
                return h
    for name, a in kwargs.items():
        if name == "url" and _has_scheme(a):
            h = _url_host(a)
            if h:
                return h
    if func is not None and not isinstance(func, (types.FunctionType, type)):
        _local.busy = _busy() + 1
        try:
            try:
                owner = getattr(func, "__self__")
            except Exception:
                owner = None
            h = None
            if owner is not None and not isinstance(owner, types.ModuleType):
                h = _client_host(owner)
                if not h:
                    try:
                        inner = getattr(owner, "_client")
                    except Exception:
                        inner = None
                    if inner is not None:
                        h = _client_host(inner)
        finally:
            _local.busy -= 1
        if h:
            return h
    return catalogue_host


def _sink_check(kind: str, ident: str, func: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any],
                sources: Any, detection: str, frame: Optional[types.FrameType],
                service: Optional[str] = None, destination: Optional[str] = None) -> bool:
    """Inspects one sink call; records an event when something is found."""
    if _busy():
        return False
    try:
        with _lock:
            ctx = current_context()
            s = _Scan(ctx)
            for i, a in enumerate(args):
                s.root(a, f"args[{i}]")
            for name, a in kwargs.items():
                s.root(a, f"kwargs['{name}']")
            if isinstance(sources, tuple):
                s.sources = True
                for i, a in enumerate(sources):
                    s.root(a, f"sources[{i}]")
            if not s.found:
                return False
            file = frame.f_code.co_filename if frame else None
            line = frame.f_lineno if frame else 0
            s.finish(None, file, line)
            site_service, site_host = _site_sink(ident)
        # A store's destination is the catalogue's, if any.
        dest = (destination if destination is not None else site_host if kind == "store"
                else _destination(args, kwargs, func, site_host))
        _record({
            "kind": kind, "sink": ident,
            "service": service if service is not None else site_service,
            "destination": dest, "file": file, "line": line,
            "function": frame.f_code.co_qualname if frame else None,
            "categories": s.cats, "origins": s.origins, "ctx": ctx,
            "detection": detection, "values": s.values,
        })
        return True
    except Exception as exc:
        _failure("sink", exc)
        return False


class Sink:
    """A wrapped sink call: calling it inspects the arguments, then calls the original."""
    __slots__ = ("kind", "id", "func", "sources")

    def __init__(self, kind: str, ident: str, func: Any, sources: Any) -> None:
        self.kind = kind
        self.id = ident
        self.func = func
        self.sources = sources

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        func = self.func
        _sink_check(self.kind, self.id, func, args, kwargs, self.sources, "static", sys._getframe(1))
        _local.sink_depth = getattr(_local, "sink_depth", 0) + 1
        try:
            return func(*args, **kwargs)
        finally:
            _local.sink_depth -= 1

    def __repr__(self) -> str:
        return f"<sst_runtime sink {self.id!r} of {self.func!r}>"


# ---- events and the audit log (events.c) ------------------------------------

class _Writer:
    def __init__(self) -> None:
        self.path: Optional[str] = None
        self.fd = -1
        self.owns_fd = False
        self.out: List[bytes] = []
        self.size = 0
        self.memory = False
        self.memory_lines: Optional[List[str]] = None
        self.callback: Optional[Callable[[Dict[str, Any]], Any]] = None
        self.warned_nowhere = False
        self.open_failed_reported = False
        self.lost = 0

    def flush(self) -> None:
        with _lock:
            if not self.out:
                return
            data = b"".join(self.out)
            self.out = []
            self.size = 0
            if self.fd < 0 and self.path:
                if self.path == "stderr":
                    self.fd, self.owns_fd = 2, False
                else:
                    try:
                        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT
                                          | getattr(os, "O_CLOEXEC", 0), 0o600)
                        self.owns_fd = True
                    except OSError as exc:
                        if not self.open_failed_reported:
                            self.open_failed_reported = True
                            _say(f"cannot open the audit log {self.path}: {exc.strerror}; "
                                 "its events are lost")
            view = memoryview(data)
            while self.fd >= 0 and len(view):
                try:
                    n = os.write(self.fd, view)   # whole lines, one call: no torn line
                except InterruptedError:
                    continue
                except OSError as exc:
                    if not self.open_failed_reported:
                        self.open_failed_reported = True
                        _say(f"cannot write the audit log {self.path}: {exc.strerror}; "
                             "its events are lost")
                    break
                if n <= 0:
                    break
                view = view[n:]
            if len(view):
                self.lost += bytes(view).count(b"\n")

    def set_path(self, path: Optional[str]) -> None:
        with _lock:
            self.flush()
            if self.fd >= 0 and self.owns_fd:
                os.close(self.fd)
            self.fd = -1
            self.path = path
            self.open_failed_reported = False

    def forget(self) -> None:
        self.out = []
        self.size = 0


def _say(text: str) -> None:
    sys.stderr.write(f"sst_runtime: {text}\n")
    sys.stderr.flush()


_writer = _Writer()


# json and datetime are imported when first needed, not with the runtime: a
# program may instrument them (tools/fidelity does), and the instrumented
# json imports sst_runtime, which must be fully initialised by then.

def _time_text() -> str:
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _line(ev: Dict[str, Any]) -> bytes:
    ctx: context = ev["ctx"]
    request = None if ctx is None or ctx._is_default else {
        "id": ctx._request_id, "method": ctx._method, "path": ctx._path, "endpoint": ctx._endpoint}
    values = []
    for item in ev["values"]:
        v: Dict[str, Any] = {"where": item["where"], "categories": list(_category_tuple(item["categories"])),
                             "preview": item["preview"]}
        if _st.values and item["raw"] is not None:
            v["value"] = item["raw"]
        values.append(v)
    obj = {
        "schema": SCHEMA, "time": _time_text(), "pid": os.getpid(), "kind": ev["kind"],
        "sink": ev["sink"], "service": ev["service"], "destination": ev["destination"],
        "file": ev["file"], "line": ev["line"], "function": ev["function"],
        "categories": list(_category_tuple(ev["categories"])),
        "origins": [{"kind": o.kind, "source": o.source, "key": o.key, "file": o.file, "line": o.line}
                    for o in ev["origins"]],
        "request": request, "detection": ev["detection"], "values": values,
    }
    import json
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "backslashreplace") + b"\n"


def _record(ev: Dict[str, Any]) -> None:
    w = _writer
    line = _line(ev)
    with _lock:
        _st.events += 1
        if w.path:
            w.out.append(line)
            w.size += len(line)
            # Outside a request nothing else would flush it (a server with
            # no integration, a process killed before exit): write it now.
            ctx = ev.get("ctx")
            if w.size >= FLUSH_THRESHOLD or ctx is None or ctx._is_default:
                w.flush()
        if w.memory and w.memory_lines is not None:
            if len(w.memory_lines) < MEMORY_CAP:
                w.memory_lines.append(line[:-1].decode("utf-8"))
            else:
                w.lost += 1
        callback = w.callback
        nowhere = not w.path and not w.memory and callback is None and not w.warned_nowhere
        if nowhere:
            w.warned_nowhere = True
    if callback is not None:
        import json
        event = json.loads(line[:-1].decode("utf-8"))
        _local.busy = _busy() + 1
        try:
            callback(event)
        finally:
            _local.busy -= 1
    if nowhere:
        _say("an event was recorded but no audit log is configured "
             "(set SST_AUDIT_LOG or call sst_runtime.configure(audit_log=...))")


# ---- the injected functions (inject.c) ----------------------------------------

def _misuse(form: str, nargs: int) -> TypeError:
    return TypeError(f"sst_runtime: {form} is not a call of injection ABI {ABI} ({nargs} arguments)")


def abi(*args: Any) -> None:
    """abi(VERSION): raises ImportError unless VERSION is this runtime's ABI."""
    if len(args) == 1 and type(args[0]) is int and args[0] == ABI:
        return None
    frame = _frame(1)
    file = frame.f_code.co_filename if frame else None
    wanted = args[0] if len(args) == 1 else None
    raise ImportError(f"{file} was rewritten for injection ABI {wanted!r}, but this sst_runtime "
                      f"provides ABI {ABI}: instrument it again with a matching sst-rewrite")


def params(*args: Any) -> None:
    """params(NAMES, *VALUES): tags parameters by what their names mean."""
    if not args:
        raise _misuse("params(NAMES, *VALUES)", 0)
    if _busy():
        return None
    try:
        frame = sys._getframe(1)
        names = args[0]
        cats, tags = _site_params(names, frame.f_code)
        ctx = current_context()
        n = min(len(args) - 1, len(cats))
        for i in range(n):
            if ctx._closed:
                break
            v = args[1 + i]
            t = tags[i]
            if t is not None:
                if not _taggable(v):
                    continue
                old = ctx._reg.get(v)
                if old is not None and (old.bits | t.bits) == old.bits:
                    continue
                _add(ctx, v, t)
            elif (cats[i] == 0 and isinstance(v, (str, bytes)) and _taggable(v)
                  and ctx._reg.get(v) is None):
                pt = _pattern_tags(v, names[i], frame.f_code.co_filename, frame.f_lineno)
                if pt is not None:
                    _add(ctx, v, pt)
    except Exception as exc:
        _failure("params", exc)
    return None


def _element_of_tagged(ctx: context, v: Any, sources: Tuple[Any, ...]) -> bool:
    for c in sources:
        if ctx._reg.get(c) is None:
            continue
        if isinstance(c, (list, tuple)):
            items = list.__iter__(c) if isinstance(c, list) else tuple.__iter__(c)
            for k, item in enumerate(items):
                if k >= SCAN_MAX_ITEMS:
                    break
                if item is v:
                    return True
        elif isinstance(c, dict):
            for k, item in enumerate(dict.values(c)):
                if k >= SCAN_MAX_ITEMS:
                    break
                if item is v:
                    return True
    return False


def _tags_of_all(ctx: context, sources: Iterable[Any], start: Optional[Tags]) -> Optional[Tags]:
    u = start
    for s in sources:
        t = ctx._reg.get(s)
        if t is not None:
            u = _union(u, t)
    return u


def _probe_flow(value: Any, *sources: Any) -> int:
    return sys.getrefcount(value)


def _probe_derive(sources: Any, *targets: Any) -> int:
    return sys.getrefcount(targets[0])


def _calibrate() -> Tuple[int, int]:
    fresh = _probe_flow(object(), None)
    held = object()
    bound = _probe_derive((), held)
    return fresh, bound


_FRESH, _BOUND = _calibrate()


def flow(value: Any, *sources: Any) -> Any:
    """flow(VALUE, *SOURCES) -> VALUE: a fresh VALUE gets the tags of SOURCES."""
    refs = sys.getrefcount(value)
    if _st.tagged_total > 0 and sources and not _busy() and _taggable(value):
        try:
            ctx = current_context()
            if not ctx._closed and ctx._reg.table:
                u = _tags_of_all(ctx, sources, None)
                # Only a fresh value or an element of tagged data: a constant
                # or a shared cache is never tagged.
                if u is not None and (refs <= _FRESH or _element_of_tagged(ctx, value, sources)):
                    _add(ctx, value, u)
        except Exception as exc:
            _failure("flow", exc)
    return value


def carry(*args: Any) -> None:
    """carry(VALUE): remembers VALUE's tags for the next derive() of this frame."""
    if len(args) != 1:
        raise _misuse("carry(VALUE)", len(args))
    _local.carry = None
    if _st.tagged_total == 0 or _busy():
        return None
    ctx = current_context()
    t = None if ctx._closed else ctx._reg.get(args[0])
    if t is not None:
        _local.carry = (t, sys._getframe(1))
    return None


def derive(sources: Any, *targets: Any) -> None:
    """derive(SOURCES, *TARGETS): targets get the tags of SOURCES and of the carry."""
    if not isinstance(sources, tuple):
        raise _misuse("derive(SOURCES, *TARGETS)", 1 + len(targets))
    carried = None
    pending = getattr(_local, "carry", None)
    if pending is not None:
        if pending[1] is sys._getframe(1):
            carried = pending[0]
        _local.carry = None
    if (_st.tagged_total > 0 or carried is not None) and targets and not _busy():
        try:
            ctx = current_context()
            if not ctx._closed:
                u = _tags_of_all(ctx, sources, carried)
                if u is not None:
                    for i in range(len(targets)):
                        # Held by the target variable and this call only.
                        if _taggable(targets[i]) and sys.getrefcount(targets[i]) <= _BOUND:
                            _add(ctx, targets[i], u)
        except Exception as exc:
            _failure("derive", exc)
    return None


def _tag_items(ctx: context, c: Any, key: Optional[str], depth: int, state: Dict[str, Any]) -> None:
    if depth > DEEP_MAX_DEPTH:
        return
    if isinstance(c, dict):
        for k, (dk, dv) in enumerate(dict.items(c)):
            if k >= SCAN_MAX_ITEMS:
                break
            _tag_item(ctx, dv, dk if isinstance(dk, str) else key, depth, state)
    elif isinstance(c, (list, tuple)):
        items = list.__iter__(c) if isinstance(c, list) else tuple.__iter__(c)
        for k, item in enumerate(items):
            if k >= SCAN_MAX_ITEMS:
                break
            _tag_item(ctx, item, key, depth, state)


def _tag_item(ctx: context, v: Any, key: Optional[str], depth: int, state: Dict[str, Any]) -> None:
    state["nodes"] += 1
    if state["nodes"] > DEEP_MAX_NODES:
        return
    if _taggable(v):
        cats = state["path_cats"] | (_classify(key) if key is not None else 0)
        _add(ctx, v, Tags(cats, (Origin("request", state["path"], key, state["file"], state["line"]),)))
    _tag_items(ctx, v, key, depth + 1, state)


def source(*args: Any) -> Any:
    """source((PATH, KEY), VALUE) -> VALUE or a tagged fresh copy."""
    if len(args) != 2:
        raise _misuse("source(SITE, VALUE)", len(args))
    site, value = args
    if _busy():
        return value
    try:
        path, key, cats, path_cats = _site_source(site)
        target = _taggable_target(value)
        if target is None:
            return value
        frame = sys._getframe(1)
        ctx = current_context()
        if not ctx._closed:
            file, line = frame.f_code.co_filename, frame.f_lineno
            _add(ctx, target, Tags(cats, (Origin("request", path, key, file, line),)))
            _tag_items(ctx, target, key, 1, {"nodes": 0, "path_cats": path_cats, "path": path,
                                              "file": file, "line": line})
        return target
    except Exception as exc:
        _failure("source", exc)
        return value


def external(*args: Any) -> Sink:
    """external(ID, F, SOURCES) -> a callable that checks, then calls F."""
    if len(args) != 3:
        raise _misuse("external(ID, F, SOURCES)", len(args))
    return Sink("external", args[0], args[1], args[2])


def store(*args: Any) -> Sink:
    """store(ID, F, SOURCES) -> a callable that checks, then calls F."""
    if len(args) != 3:
        raise _misuse("store(ID, F, SOURCES)", len(args))
    return Sink("store", args[0], args[1], args[2])


# ---- the seed API (seed.c) --------------------------------------------------

def _caller(depth: int = 2) -> Tuple[Optional[str], int]:
    frame = _frame(depth)
    return (frame.f_code.co_filename, frame.f_lineno) if frame else (None, 0)


def _str_or_none(v: Any, what: str) -> None:
    if v is not None and not isinstance(v, str):
        raise TypeError(f"{what} must be a str or None, not {type(v).__name__}")


def tag_value(value: Any, categories: Any, source: Optional[str] = "manual",
              key: Optional[str] = None) -> Any:
    """tag_value(value, categories, source='manual', key=None) -> value or a tagged fresh copy"""
    _str_or_none(source, "tag_value(source=...)")
    _str_or_none(key, "tag_value(key=...)")
    cats = _parse_categories(categories)
    target = _taggable_target(value)
    if target is None:
        return value
    file, line = _caller()
    _add(current_context(), target, Tags(cats, (Origin("manual", source, key, file, line),)))
    return target


def _checked_tags(v: Any, name: Optional[str], source: Optional[str], kind: str,
                  file: Optional[str], line: int) -> Optional[Tags]:
    pt = _pattern_tags(v, name, file, line)
    cats = _classify(name) if name is not None else 0
    if not cats:
        return pt
    return _union(Tags(cats, (Origin(kind, source, name, file, line),)), pt)


def check_and_tag(value: Any, name: Optional[str] = None) -> Any:
    """check_and_tag(value, name=None) -> value (tagged with what the detectors and NAME say)"""
    _str_or_none(name, "check_and_tag(name=...)")
    target = _taggable_target(value)
    if target is None:
        return value
    file, line = _caller()
    t = _checked_tags(target, name, "check_and_tag", "manual", file, line)
    if t is None:
        return value
    _add(current_context(), target, t)
    return target


def track_external_call(service: str, data: Any, destination: Optional[str] = None,
                        sink: Optional[str] = None) -> bool:
    """track_external_call(service, data, destination=None, sink=None) -> True if an event was recorded"""
    if not isinstance(service, str):
        raise TypeError(f"track_external_call() service must be str, not {type(service).__name__}")
    _str_or_none(destination, "track_external_call(destination=...)")
    _str_or_none(sink, "track_external_call(sink=...)")
    return _sink_check("external", service if sink is None else sink, None, (data,), {}, None, "manual",
                       _frame(1), service=service, destination=destination)


def track_data_operation(operation: str, store: str, data: Any) -> Any:
    """track_data_operation(operation, store, data) -> data; 'write' records, 'read' tags"""
    if not isinstance(operation, str) or not isinstance(store, str):
        raise TypeError("track_data_operation() operation and store must be str")
    if operation == "write":
        _sink_check("store", store, None, (data,), {}, None, "manual", _frame(1), service=store)
        return data
    if operation != "read":
        raise ValueError(f"track_data_operation(): operation is 'read' or 'write', not {operation!r}")
    ctx = current_context()
    file, line = _caller()
    every: Optional[Tags] = None
    if isinstance(data, dict):
        for k, (key, val) in enumerate(dict.items(data)):
            if k >= SCAN_MAX_ITEMS:
                break
            if not _taggable(val):
                continue
            t = _checked_tags(val, key if isinstance(key, str) else None, store, "store", file, line)
            if t is None:
                continue
            _add(ctx, val, t)
            every = _union(every, t)
    target = _taggable_target(data)
    if target is None:
        return data
    own = _checked_tags(target, None, store, "store", file, line)
    u = _union(every, own)
    if u is None:
        return data
    _add(ctx, target, u)
    return target


# ---- configuration and the small public functions (config.c) -----------------

def configure(**kw: Any) -> None:
    """Changes only what is given (see sst_runtime.configure)."""
    allowed = ("audit_log", "values", "callback", "memory", "max_tags", "patterns", "detectors",
               "catalog")
    for name in kw:
        if name not in allowed:
            raise TypeError(f"configure() got an unexpected keyword argument '{name}'")
    cap = None
    if "max_tags" in kw:
        cap = int(kw["max_tags"])
        if cap < 1:
            raise ValueError("configure(max_tags=...) must be at least 1")
    callback = kw.get("callback")
    if callback is not None and not callable(callback):
        raise TypeError("configure(callback=...) takes a callable or None")
    global _detector
    if "patterns" in kw or "detectors" in kw:
        _detector = _build_detector(kw.get("patterns"), kw.get("detectors"))
    if kw.get("catalog") is not None:
        path = os.fsdecode(os.fspath(kw["catalog"]))
        try:
            with open(path, "rb") as f:
                text = f.read()
        except OSError as exc:
            raise ValueError(f"cannot open catalogue: {exc.strerror}") from None
        try:
            _catalog_data.add_text(path, text)
        except _catalog.CatalogError as exc:
            raise ValueError(str(exc)) from None
        _site_cache.clear()
    if "audit_log" in kw:
        log = kw["audit_log"]
        _writer.set_path(None if log is None else os.fsdecode(os.fspath(log)))
    if "values" in kw:
        _st.values = bool(kw["values"])
    if "callback" in kw:
        _writer.callback = callback
    if "memory" in kw:
        _writer.memory = bool(kw["memory"])
        if _writer.memory and _writer.memory_lines is None:
            _writer.memory_lines = []
        if not _writer.memory:
            _writer.memory_lines = None
    if cap is not None:
        _st.max_tags = cap
        default_context._reg.set_cap(cap)


def _build_detector(patterns: Any, kinds: Any) -> Any:
    det = _detect.Detector()
    if kinds is not None:
        bits = 0
        for name in kinds:
            if (not isinstance(name, str) or name not in _detect.KIND_NAMES
                    or (1 << _detect.KIND_NAMES.index(name)) == _detect.CUSTOM):
                raise ValueError(f"configure(detectors=...): unknown detector {name!r}")
            bits |= 1 << _detect.KIND_NAMES.index(name)
        det.set_kinds(bits)
    if patterns is not None:
        if not isinstance(patterns, dict):
            raise TypeError("configure(patterns=...) takes a dict: name -> (regex, categories)")
        for name, spec in patterns.items():
            if (not isinstance(name, str) or not isinstance(spec, tuple) or len(spec) != 2
                    or not isinstance(spec[0], str)):
                raise TypeError(f"configure(patterns=...): {name!r} must map a str to (regex, categories)")
            try:
                det.add_pattern(name, spec[0], _parse_categories(spec[1]))
            except _detect.PatternError as exc:
                raise ValueError(f"configure(patterns=...): {exc}") from None
    return det


def flush() -> None:
    """Writes every waiting event line to the audit log."""
    _writer.flush()


def memory_lines() -> List[str]:
    """The event lines kept in memory (a copy)."""
    return list(_writer.memory_lines or [])


def clear_memory() -> None:
    """Forgets the event lines kept in memory."""
    if _writer.memory_lines is not None:
        _writer.memory_lines.clear()


def tags_of(obj: Any) -> Optional[Tags]:
    """tags_of(obj) -> Tags or None, in the current context."""
    return current_context()._reg.get(obj)


def stats() -> Dict[str, int]:
    """Counters: tagged, events, failures, dropped, lost, max_tags."""
    return {"tagged": _st.tagged_total, "events": _st.events, "failures": _st.failures,
            "dropped": _st.dropped, "lost": _writer.lost, "max_tags": _st.max_tags}


def in_static_sink() -> bool:
    """True while the callee of a statically wrapped sink runs on this thread."""
    return getattr(_local, "sink_depth", 0) > 0


def _after_fork_child() -> None:
    """Forgets the parent's waiting events and counters (os.register_at_fork)."""
    _writer.forget()
    if _writer.memory_lines is not None:
        _writer.memory_lines.clear()
    _st.events = 0
    _st.failures = 0
    _st.failure_reported = False
    _writer.lost = 0


def category_names() -> Tuple[str, ...]:
    """Every data category name, in bit order."""
    return CATEGORY_NAMES


def detector_names() -> Tuple[str, ...]:
    """Every detector kind name, in bit order."""
    return tuple(_detect.KIND_NAMES)


def classify_name(name: str) -> Tuple[str, ...]:
    """Categories an identifier means (the catalogue)."""
    if not isinstance(name, str):
        raise TypeError("classify_name() takes a str")
    return _category_tuple(_classify(name))


def catalog_lookup(path: str) -> Optional[Dict[str, Any]]:
    """catalog_lookup(path) -> dict(kind, service, host, categories) or None."""
    if not isinstance(path, str):
        raise TypeError("catalog_lookup() takes a str")
    e = _catalog_data.lookup(path)
    if e is None:
        return None
    return {"kind": e.kind, "service": e.service, "host": e.host,
            "categories": _category_tuple(e.categories)}
