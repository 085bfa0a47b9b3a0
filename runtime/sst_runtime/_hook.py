"""Import-hook mode: a ``sys.meta_path`` finder that rewrites first-party
modules at import with the C rewriter core linked into ``sst_runtime._sst``
(the same bytes ``sst-rewrite`` writes for the same file, module name and
configuration), and keeps the compiled result in ``__pycache__``.

A module of a package is rewritten against its project, as ``sst-rewrite``
rewrites it: every Python file of the package's top-level directory,
analysed as a whole and linked once per process, when a module of it first
has to be rewritten (so a client made in one module resolves in another).

The cache works like pytest's assertion rewriting: one file per module,
``__pycache__/NAME.<cache tag>-sst-<rewriter version>-<config hash>.pyc``,
whose header holds the extension's identity, the hash of the source it was
made from and what it depends on in its project (a stamp of the package's
files and the digest of the project's exports); it is written to a
temporary file and renamed into place, and silently not written where the
directory is read-only or ``sys.dont_write_bytecode`` is set.
docs/import-hook.md is the user's guide.
"""
import _thread
import _imp
import _io
# The import system's own module, loaded at every start-up: importing the
# importlib package (and its warnings), importlib.util (contextlib and more)
# or types would cost more than everything else the hook does with a warm
# cache. PathFinder, SourceFileLoader and cache_from_source are the very
# objects importlib.machinery and importlib.util hand out.
import _frozen_importlib_external as _bootstrap_external
import marshal
import os
import sys
# Annotations are strings: typing is imported by type checkers only, and
# __future__ is not imported at every start-up either.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

    Patterns = Union[None, str, Iterable[str]]
    CatalogFiles = Union[None, str, os.PathLike, Iterable[Union[str, os.PathLike]]]

__all__ = ["install_import_hook", "uninstall_import_hook", "RewritingFinder"]


_PathFinder = _bootstrap_external.PathFinder
_SourceFileLoader = _bootstrap_external.SourceFileLoader
_cache_from_source = _bootstrap_external.cache_from_source
_RAW_MAGIC_NUMBER = _bootstrap_external._RAW_MAGIC_NUMBER


def _source_hash(data: bytes) -> bytes:
    """What importlib.util.source_hash gives: the hash of hash-based pycs."""
    return _imp.source_hash(_RAW_MAGIC_NUMBER, data)


CodeType = type(_source_hash.__code__)

PROFILES = ("minimal", "standard", "full")
DONT_REWRITE = "SST_DONT_REWRITE"
_MAGIC = _bootstrap_external.MAGIC_NUMBER
# magic, fingerprint, source hash, then what the code depends on beyond its
# source (16 bytes): the package stamp and the project digest; or a key of
# the module's name for a project of one module; or nothing (an opt-out)
_HEADER_SIZE = len(_MAGIC) + 8 + 8 + 16
_NO_DEPENDENCY = bytes(16)

# The one installed finder (install_import_hook replaces it).
_installed: 'Optional["RewritingFinder"]' = None
_install_lock = _thread.allocate_lock()


def package_chain(directory: str) -> "List[str]":
    """The package names DIRECTORY stands for, outermost first: it and each
    directory above it holding an __init__.py (sst-rewrite's module names)."""
    chain: "List[str]" = []
    d = os.path.realpath(directory)
    while os.path.isfile(os.path.join(d, "__init__.py")):
        parent = os.path.dirname(d)
        if parent == d:
            break
        chain.insert(0, os.path.basename(d))
        d = parent
    return chain


def _extension() -> "Any":
    """sst_runtime._sst, which holds the rewriter core; ImportError if absent."""
    try:
        from . import _sst
    except ImportError as exc:
        raise ImportError(
            "sst_runtime: the import hook needs the C extension sst_runtime._sst, which holds the "
            f"rewriter core ({exc})") from exc
    return _sst


def _pattern_list(value: "Patterns", what: str) -> "List[str]":
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    for item in items:
        if not isinstance(item, str) or not item or item.strip() != item:
            raise ValueError(f"{what}: {item!r} is not a module name or pattern")
    return items


def _name_matcher(patterns: "Sequence[str]") -> "Any":
    """A function telling whether a dotted module name matches one of
    PATTERNS (fnmatch globs on the whole name) or lies inside a package that
    does: "app" matches "app" and "app.views"."""
    if not patterns:
        return lambda name: False
    import re
    from fnmatch import translate
    parts = []
    for p in patterns:
        body = translate(p)
        if body.endswith(r"\Z"):
            body = body[:-2]
        parts.append(body)
    regex = re.compile(r"(?:%s)(?:\..*)?\Z" % "|".join(parts), re.S)
    return lambda name: regex.match(name) is not None


def _literal_prefixes(patterns: "Sequence[str]") -> "Tuple[str, ...]":
    """The patterns without a wildcard: the modules and packages named outright."""
    return tuple(p for p in patterns if not any(c in p for c in "*?["))


def _protected_roots() -> "Tuple[str, ...]":
    """Directories whose modules are never rewritten unless named: the
    standard library, every site-packages directory, and this package."""
    import site     # loaded at start-up, unless python -S
    roots = {os.path.dirname(os.__file__)}
    try:
        roots.update(site.getsitepackages())
    except AttributeError:  # an old virtualenv's site.py
        pass
    roots.add(site.getusersitepackages())
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
        roots.add(os.path.join(prefix, "lib", "python%d.%d" % sys.version_info[:2]))
    roots.add(os.path.dirname(os.path.abspath(__file__)))
    return tuple(sorted({os.path.normcase(os.path.abspath(r)) for r in roots if r}))


def _is_docstring_opt_out(source: bytes) -> bool:
    """Whether the module docstring contains SST_DONT_REWRITE."""
    if DONT_REWRITE.encode() not in source:
        return False
    import ast
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    doc = ast.get_docstring(tree, clean=False)
    return doc is not None and DONT_REWRITE in doc


# ---- column positions -------------------------------------------------------
#
# Lines are preserved by the rewriter, but injected text moves the columns
# after it. CPython 3.11+ keeps a column range per instruction (the carets of
# a traceback), so they are mapped back onto the original line: a column
# inside injected text goes to where that text was inserted.

def _read_varint(table: bytes, i: int) -> "Tuple[int, int]":
    b = table[i]
    i += 1
    value = b & 63
    shift = 0
    while b & 64:
        b = table[i]
        i += 1
        shift += 6
        value |= (b & 63) << shift
    return value, i


def _read_svarint(table: bytes, i: int) -> "Tuple[int, int]":
    v, i = _read_varint(table, i)
    return (-(v >> 1) if v & 1 else v >> 1), i


def _write_varint(out: bytearray, value: int) -> None:
    while value >= 64:
        out.append(64 | (value & 63))
        value >>= 6
    out.append(value)


def _write_svarint(out: bytearray, value: int) -> None:
    _write_varint(out, ((-value) << 1) | 1 if value < 0 else value << 1)


class _ColumnMap:
    """Maps (line, column in the rewritten code) to the column in the
    original line, from the insertions of one rewrite. Columns are those of
    code objects: UTF-8 bytes of the decoded line."""

    def __init__(self, source: bytes, output: bytes, insertions: "Sequence[Tuple[int, int]]",
                 encoding: str) -> None:
        import re
        self.by_line: "Dict[int, List[Tuple[int, int]]]" = {}
        line_starts = [0]
        for m in re.finditer(rb"\r\n|\r|\n", source):
            line_starts.append(m.end())
        bom = 3 if encoding == "utf-8-sig" and source.startswith(b"\xef\xbb\xbf") else 0
        plain = encoding in ("utf-8", "utf-8-sig", "ascii")
        import bisect
        inserted = 0
        for offset, length in insertions:
            line = bisect.bisect_right(line_starts, offset)
            start = line_starts[line - 1] + (bom if line == 1 else 0)
            column = offset - start
            if not plain:
                text = output[offset + inserted:offset + inserted + length]
                inserted += length
                column = len(source[start:offset].decode(encoding, "replace").encode("utf-8"))
                length = len(text.decode(encoding, "replace").encode("utf-8"))
            self.by_line.setdefault(line, []).append((column, length))

    def original(self, line: int, column: int) -> int:
        shift = 0
        for col, length in self.by_line.get(line, ()):
            start = col + shift
            if column < start:
                break
            if column < start + length:
                return col
            shift += length
        return column - shift


def _remap_table(table: bytes, first_line: int, cmap: "_ColumnMap") -> bytes:
    """The location table of a 3.11+ code object with each column range
    mapped back onto the original source (Objects/locations.md of CPython)."""
    out = bytearray()
    i, line, n = 0, first_line, len(table)
    while i < n:
        head = table[i]
        i += 1
        code = (head >> 3) & 15
        if code == 15:                      # no location
            out.append(head)
            continue
        if code == 13:                      # line only
            delta, j = _read_svarint(table, i)
            out += table[i - 1:j]
            i = j
            line += delta
            continue
        if code == 14:                      # long form
            delta, i = _read_svarint(table, i)
            end_delta, i = _read_varint(table, i)
            col, i = _read_varint(table, i)
            end_col, i = _read_varint(table, i)
            line += delta
            col, end_col = col - 1, end_col - 1
        elif code >= 10:                    # one line form
            line += code - 10
            col = table[i]
            end_col = table[i + 1]
            i += 2
            delta, end_delta = code - 10, 0
        else:                               # short form
            second = table[i]
            i += 1
            col = code * 8 + ((second >> 4) & 7)
            end_col = col + (second & 15)
            delta, end_delta = 0, 0
        new_col = cmap.original(line, col) if col >= 0 else -1
        new_end = cmap.original(line + end_delta, end_col) if end_col >= 0 else -1
        if end_delta == 0 and new_end < new_col:
            new_end = new_col
        _write_entry(out, head & 7, delta, end_delta, new_col, new_end)
    return bytes(out)


def _write_entry(out: bytearray, size: int, delta: int, end_delta: int, col: int, end_col: int) -> None:
    """One location entry in the shortest form CPython itself would use."""
    if end_delta == 0 and col >= 0 and end_col >= 0:
        if delta == 0 and col < 80 and 0 <= end_col - col < 16:
            out.append(0x80 | ((col >> 3) << 3) | size)
            out.append(((col & 7) << 4) | (end_col - col))
            return
        if 0 <= delta < 3 and col < 128 and end_col < 128:
            out.append(0x80 | ((10 + delta) << 3) | size)
            out.append(col)
            out.append(end_col)
            return
    out.append(0x80 | (14 << 3) | size)
    _write_svarint(out, delta)
    _write_varint(out, end_delta)
    _write_varint(out, col + 1)
    _write_varint(out, end_col + 1)


def _remap_columns(code: "CodeType", cmap: "_ColumnMap") -> "CodeType":
    consts = tuple(_remap_columns(c, cmap) if isinstance(c, CodeType) else c for c in code.co_consts)
    table = _remap_table(code.co_linetable, code.co_firstlineno, cmap)
    return code.replace(co_consts=consts, co_linetable=table)


# ---- the finder and its loader ----------------------------------------------

class _Package:
    """The project of the modules of one top-level package: every Python
    file under its directory, as sst-rewrite walks it (VCS and cache
    directories, virtualenvs and symlinks leaving the tree are skipped),
    declared by the names sst-rewrite gives them when it is run on the
    directory that holds the package. The stamp (the files' paths, sizes
    and modification times) is taken once per process, at first need; the
    project is built once, when a module of the package first has to be
    rewritten."""

    def __init__(self, top: str, ext: "Any", flat: bool = False) -> None:
        self.top = top
        self.ext = ext
        self.flat = flat    # the top-level modules of a directory, not a package
        self.lock = _thread.allocate_lock()
        self._files: "Optional[List[str]]" = None   # paths relative to top, sorted
        self._stamp: "Optional[bytes]" = None
        self.built = False
        self.handle: "Any" = None
        self.digest = b""

    def stamp(self) -> bytes:
        if self._stamp is None:
            with self.lock:
                if self._stamp is None:
                    self._walk()
        return self._stamp  # type: ignore[return-value]

    def _walk(self) -> None:
        self._stamp, rels = self.ext.package_files(self.top, self.flat)
        self._files = rels.split("\0") if rels else []

    def modules(self) -> "List[Tuple[str, str, Optional[str], bool, bytes]]":
        """(path, name, alias, is_package, source) of every file, in the
        order and under the names sst-rewrite gives them (run on the
        directory that holds the package): the dotted name of its chain of
        directories with an __init__.py, and its path under that directory
        as an alias when it differs. The caller holds the lock."""
        if self._stamp is None:
            self._walk()
        top = self.top
        base = os.path.basename(top)
        # the package's own chain: its directory, and those above it with an __init__.py
        chain = package_chain(top)
        # per directory under the package ("" is its own): the names it gives its modules
        prefixes: "Dict[str, List[str]]" = {"": chain}

        def names_of(directory: str) -> "List[str]":
            known = prefixes.get(directory)
            if known is None:
                parent, _, last = directory.rpartition("/")
                known = (names_of(parent) + [last]
                         if os.path.isfile(os.path.join(top, directory, "__init__.py")) else [])
                prefixes[directory] = known
            return known

        out = []
        for rel in self._files or ():     # sst-rewrite's order: by path, byte by byte
            path = os.path.join(top, rel)
            directory, _, filename = rel.rpartition("/")
            stem = filename.partition(".")[0]
            is_package = stem == "__init__"
            names = names_of(directory)
            name = ".".join(names + ([] if is_package else [stem])) or "__main__"
            full_rel = base + "/" + rel
            alias = full_rel.rpartition(".")[0] if "." in full_rel.rpartition("/")[2] else full_rel
            if alias.endswith("/__init__"):
                alias = alias[:-len("/__init__")]
            alias = None if self.flat else alias.replace("/", ".")
            try:
                with open(path, "rb") as f:
                    source = f.read()
            except OSError:
                continue
            out.append((path, name, alias if alias and alias != name else None, is_package, source))
        return out


class RewritingFinder:
    """The ``sys.meta_path`` finder of import-hook mode.

    It answers for pure-Python source modules it should rewrite (by name
    and by location, see ``wants``) with a spec whose loader runs their
    rewritten code, and leaves every other import to the next finder.
    """

    def __init__(self, include: "Patterns" = None, exclude: "Patterns" = None, profile: str = "standard",
                 catalog: "CatalogFiles" = None) -> None:
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}")
        ext = _extension()
        self.include = _pattern_list(include, "include")
        self.exclude = _pattern_list(exclude, "exclude")
        self.profile = profile
        if catalog is None:
            files: "List[str]" = []
        elif isinstance(catalog, (str, os.PathLike)):
            files = [os.fspath(catalog)]
        else:
            files = [os.fspath(f) for f in catalog]
        self.catalog_files = [os.path.abspath(f) for f in files]
        self._ext = ext
        # The catalogue is needed only to rewrite (a warm cache never does):
        # built on first use, or now to check the files the caller named.
        self._catalog = ext.rewriter_catalog(self.catalog_files) if self.catalog_files else None
        self._included = _name_matcher(self.include)
        self._excluded = _name_matcher(self.exclude)
        self._asked = _literal_prefixes(self.include)
        self._roots = _protected_roots()
        self._protected: "Dict[str, bool]" = {}
        self._stdlib = frozenset(getattr(sys, "stdlib_module_names", ()))
        self._busy: "set" = set()   # idents of the threads inside the hook's own work
        self._lock = _thread.allocate_lock()
        self._warned: set = set()
        self._stats = {"rewrites": 0, "cache_hits": 0, "cache_writes": 0, "opted_out": 0, "failures": 0,
                       "projects": 0}
        # by the package's directory; "\0" + a directory: its top-level modules (None: none)
        self._packages: "Dict[str, Optional[_Package]]" = {}
        self.version = ext.rewriter_version()
        self.config_hash, self._fingerprint = self._identity(ext)
        self.cache_suffix = f"-sst-{self.version}-{self.config_hash}.pyc"
        self._tag = sys.implementation.cache_tag

    # -- identity of what the cache holds

    def _identity(self, ext: "Any") -> "Tuple[str, bytes]":
        """The configuration hash (in the cache file name) and the header
        fingerprint: the configuration plus the identity of the extension
        binary, so that a rebuilt rewriter never reuses an old entry."""
        config = bytearray(f"abi={ext.ABI}\nprofile={self.profile}\n".encode())
        for path in self.catalog_files:
            with open(path, "rb") as f:
                data = f.read()
            config += b"catalog %d\n" % len(data) + data
        config_hash = _source_hash(bytes(config))
        identity = bytearray(config_hash + self.version.encode())
        binary = getattr(ext, "__file__", None)
        if binary:
            st = os.stat(binary)
            identity += f"\0{os.path.abspath(binary)}\0{st.st_size}\0{st.st_mtime_ns}".encode()
        return config_hash.hex(), _source_hash(bytes(identity))

    # -- statistics

    def _count(self, key: str) -> None:
        with self._lock:
            self._stats[key] += 1

    def stats(self) -> "Dict[str, int]":
        """Counters since installation: ``rewrites`` (modules the rewriter
        core was run on), ``cache_hits`` (modules loaded from the cache),
        ``cache_writes``, ``opted_out`` (SST_DONT_REWRITE), ``failures``
        (modules imported unchanged because the rewrite failed),
        ``projects`` (packages analysed as a whole)."""
        with self._lock:
            return dict(self._stats)

    # -- which modules

    def _is_protected(self, directory: str) -> bool:
        """Whether modules in DIRECTORY (a path entry as given, or a
        module's directory) are only rewritten when asked for."""
        known = self._protected.get(directory)
        if known is None:
            d = os.path.normcase(os.path.abspath(directory))
            parts = d.split(os.sep)
            known = ("site-packages" in parts or "dist-packages" in parts
                     or any(d == r or d.startswith(r + os.sep) for r in self._roots))
            self._protected[directory] = known
        return known

    def _asked_for(self, fullname: str) -> bool:
        if not self._asked:
            return False
        return any(fullname == p or fullname.startswith(p + ".") for p in self._asked)

    def _by_name(self, fullname: str) -> int:
        """0: not to be rewritten; 1: to be rewritten if its file is not in
        a protected directory; 2: to be rewritten wherever it is (asked for)."""
        if fullname.startswith("sst_runtime") and (len(fullname) == 11 or fullname[11] == "."):
            return 0
        if self._excluded(fullname) or (self.include and not self._included(fullname)):
            return 0
        if self._asked_for(fullname):
            return 2
        return 0 if fullname.partition(".")[0] in self._stdlib else 1

    def wants(self, fullname: str, origin: "Optional[str]" = None) -> bool:
        """Whether FULLNAME (found at ORIGIN, if known) is to be rewritten:
        not sst_runtime, not excluded, included (every module when include
        is empty), and not in the standard library or a site-packages
        directory unless an include entry names it or its package outright."""
        verdict = self._by_name(fullname)
        if verdict != 1 or origin is None:
            return verdict != 0
        return not self._is_protected(os.path.dirname(origin))

    def find_spec(self, fullname: str, path: "Optional[Sequence[str]]" = None, target: "Any" = None) -> "Any":
        busy = self._busy
        if busy and _thread.get_ident() in busy:
            return None     # an import made by the hook itself
        verdict = self._by_name(fullname)
        if not verdict:
            return None
        if path is not None and verdict == 1:
            # a submodule: nothing to find when its package lies only in protected places
            try:
                for entry in path:
                    if not self._is_protected(entry):
                        break
                else:
                    return None
            except TypeError:
                pass
        ident = _thread.get_ident()
        busy.add(ident)
        try:
            spec = _PathFinder.find_spec(fullname, path, target)
        finally:
            busy.discard(ident)
        if spec is None or type(spec.loader) is not _SourceFileLoader or not spec.origin:
            return None
        # the directory by str methods, not os.path.dirname: this runs for every module
        if verdict == 1 and self._is_protected(spec.origin.rpartition(os.sep)[0] or os.sep):
            return None
        spec.loader = RewritingLoader(fullname, spec.origin, self, spec.submodule_search_locations is not None)
        return spec

    def invalidate_caches(self) -> None:
        self._protected.clear()

    # -- projects

    def package_of(self, path: str, module: str, is_package: bool = False) -> "Optional[_Package]":
        """The project of the module MODULE at PATH: its top-level package
        (the directory that many levels above PATH); for a top-level module,
        the top-level modules of its directory; None: a project of one
        module (a file not laid out as its name says)."""
        depth = module.count(".") - (0 if is_package else 1)
        # str methods, not os.path: this runs for every module, cached or not
        sep = os.sep
        top = path.rpartition(sep)[0]
        if depth < 0:
            return self._flat_of(top, path, module)
        for _ in range(depth):
            top = top.rpartition(sep)[0]
        if top.rpartition(sep)[2] != module.partition(".")[0]:
            return None     # not laid out as its name says: a project of one
        package = self._packages.get(top)
        if package is None:
            with self._lock:
                package = self._packages.setdefault(top, _Package(top, self._ext))
        return package

    def _flat_of(self, top: str, path: str, module: str) -> "Optional[_Package]":
        """The project of a top-level module: the top-level modules of its
        directory (app.py beside clients.py and models.py), named as
        sst-rewrite names them when run on that directory; None (a project
        of one) when the directory is itself a package or the file is not
        named as the module."""
        if path.rpartition(os.sep)[2].partition(".")[0] != module:
            return None
        key = "\0" + top     # never a package's directory
        try:
            return self._packages[key]
        except KeyError:
            pass
        flat = None if os.path.isfile(os.path.join(top or os.sep, "__init__.py")) else \
            _Package(top or os.sep, self._ext, flat=True)
        with self._lock:
            return self._packages.setdefault(key, flat)

    def _project(self, package: "_Package") -> "Any":
        """PACKAGE's project handle, built at the first call (None if it
        cannot be built: its modules are then rewritten one by one)."""
        if not package.built:
            with package.lock:
                if not package.built:
                    modules = package.modules()
                    try:
                        package.handle, digest = self._ext.rewriter_project(self.catalog(), self.profile, modules)
                        package.digest = digest.to_bytes(8, "little")
                        self._count("projects")
                    except (ValueError, OSError, RuntimeError, MemoryError) as exc:
                        self._warn(package.top, f"{package.top}: cannot analyse the package ({exc}); its modules "
                                                f"are rewritten one by one, not cached, and")
                    package.built = True
        return package.handle

    # -- code

    def cache_path(self, source_path: str) -> str:
        """Where the rewritten code of SOURCE_PATH is cached: where Python
        caches its bytecode, with the hook's suffix."""
        if sys.pycache_prefix is None and not sys.flags.optimize and self._tag:
            head, sep, tail = source_path.rpartition(os.sep)
            stem = tail.rpartition(".")[0] or tail
            return f"{head}{sep}__pycache__{os.sep}{stem}.{self._tag}{self.cache_suffix}"
        plain = _cache_from_source(source_path)
        return plain[:-len(".pyc")] + self.cache_suffix

    def _read_cache(self, cache: str, source_hash: bytes) -> "Optional[bytes]":
        """The cache file's bytes when it was made by this extension and
        configuration from this very source (what it depends on beyond its
        source is for the caller to check), else None."""
        try:
            with _io.FileIO(cache, "r") as f:
                data = f.readall()
        except OSError:
            return None
        if (len(data) <= _HEADER_SIZE or data[:4] != _MAGIC or data[4:12] != self._fingerprint
                or data[12:20] != source_hash):
            return None
        return data

    @staticmethod
    def _code_of(data: bytes) -> "Optional[CodeType]":
        try:
            code = marshal.loads(memoryview(data)[_HEADER_SIZE:])
        except (EOFError, ValueError, TypeError):
            return None
        return code if isinstance(code, CodeType) else None

    def _write_cache(self, cache: str, source_path: str, data: bytes) -> None:
        if sys.dont_write_bytecode:
            return
        tmp = f"{cache}.{os.getpid()}.{_thread.get_ident()}.tmp"
        try:
            # the source's permission bits, writable by its owner, as Python's own bytecode
            mode = (os.stat(source_path).st_mode & 0o777) | 0o200
            os.makedirs(os.path.dirname(cache), exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            with open(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, cache)
        except FileExistsError:
            return      # another writer's temporary file of the same name: leave it
        except OSError:
            # a read-only directory, a full disk: run without a cache
            try:
                os.unlink(tmp)
            except OSError:
                pass
            return
        self._count("cache_writes")

    def _warn(self, path: str, message: str) -> None:
        if path not in self._warned:
            self._warned.add(path)
            sys.stderr.write(f"sst_runtime: import hook: {message}; imported unchanged\n")

    def rewrite(self, source: bytes, path: str, module: str, is_package: bool = False) -> "Tuple[str, bytes]":
        """(status, bytes): what the hook compiles for the module MODULE whose
        file PATH holds SOURCE. status is the rewriter's ("instrumented",
        "unchanged", "already", "unparseable") or "opted-out"
        (SST_DONT_REWRITE); the bytes are sst-rewrite's output for the same
        file, module name, profile and catalogue (sst-rewrite run on the
        directory holding the module's top-level package), or SOURCE.
        Raises ValueError for a file the rewriter refuses (an undecodable one)."""
        if _is_docstring_opt_out(source):
            return "opted-out", source
        package = self.package_of(path, module, is_package)
        project = self._project(package) if package is not None else None
        return self._ext.rewrite_source(self.catalog(), source, path, module, is_package, self.profile,
                                        project)[:2]

    def catalog(self) -> "Any":
        """The rewriter's catalogue handle: the built-in one and the hook's files."""
        if self._catalog is None:
            with self._lock:
                if self._catalog is None:
                    self._catalog = self._ext.rewriter_catalog(self.catalog_files)
        return self._catalog

    def _dependency(self, module: str, is_package: bool, package: "Optional[_Package]") -> "Optional[bytes]":
        """The header's 16 bytes of what a rewritten module depends on beyond
        its source: the package's stamp and the project's digest, or for a
        project of one module a key of its name; None: not to be cached."""
        if package is None:
            return _source_hash(b"module %s %d" % (module.encode(), is_package)) + bytes(8)
        if package.handle is None:
            return None     # the project could not be built: rewritten alone, not cached
        return package.stamp() + package.digest

    def _compile(self, source: bytes, path: str, module: str, is_package: bool,
                 package: "Optional[_Package]") -> "Tuple[CodeType, Optional[bytes]]":
        """The code object of SOURCE rewritten (or original, when the module
        opts out or cannot be rewritten), and the header's dependency bytes
        if it may be cached: a failed rewrite is not, so that it is reported
        on every run."""
        if _is_docstring_opt_out(source):
            self._count("opted_out")
            return compile(source, path, "exec", dont_inherit=True), _NO_DEPENDENCY
        project = self._project(package) if package is not None else None
        self._count("rewrites")
        try:
            status, output, _nsites, insertions, line, problem, encoding = self._ext.rewrite_source(
                self.catalog(), source, path, module, is_package, self.profile, project)
        except (ValueError, OSError, RuntimeError, MemoryError) as exc:
            code = compile(source, path, "exec", dont_inherit=True)   # Python's own error, if any
            self._count("failures")
            self._warn(path, f"{exc}")   # "path:line: message"
            return code, None
        if status == "unparseable":
            code = compile(source, path, "exec", dont_inherit=True)   # Python's own SyntaxError, if any
            self._count("failures")
            self._warn(path, f"{path}:{line}: cannot parse ({problem})")
            return code, None
        dependency = self._dependency(module, is_package, package)
        if status != "instrumented":
            return compile(source, path, "exec", dont_inherit=True), dependency
        try:
            code = compile(output, path, "exec", dont_inherit=True)
        except SyntaxError as exc:
            original = compile(source, path, "exec", dont_inherit=True)   # the user's error, if any
            self._count("failures")
            self._warn(path, f"{path}:{exc.lineno}: the rewritten code does not compile ({exc.msg})")
            return original, None
        if sys.version_info >= (3, 11) and insertions:
            try:
                code = _remap_columns(code, _ColumnMap(source, output, insertions, encoding))
            except (LookupError, ValueError, IndexError):
                pass    # an unknown table layout: the columns stay as compiled
        return code, dependency

    def code_for(self, source: bytes, path: str, module: str, is_package: bool = False) -> "CodeType":
        """The code to run for the module MODULE whose file PATH holds
        SOURCE: from the cache when it is valid, else rewritten (and cached).

        A cache entry is valid when it was made from this source and what it
        depends on is unchanged: for a module of a package, the stamp of the
        package's files (their paths, sizes and modification times); when
        the stamp differs, the digest of what the project's modules export
        (the project is built then, once), and an entry that passes is
        written again with the new stamp."""
        source_hash = _source_hash(source)
        cache = self.cache_path(path)
        package = self.package_of(path, module, is_package)
        data = self._read_cache(cache, source_hash)
        if data is not None:
            dependency = data[20:36]
            if (dependency == _NO_DEPENDENCY
                    or (dependency[:8] == (package._stamp or package.stamp()) if package is not None
                        else dependency == self._dependency(module, is_package, None))):
                code = self._code_of(data)
                if code is not None:
                    self._count("cache_hits")
                    return code
        # the rewrite may import (ast, the codec of the file): those imports
        # are the hook's own, not the program's
        busy, ident = self._busy, _thread.get_ident()
        outer = ident in busy
        busy.add(ident)
        try:
            if data is not None and package is not None and self._project(package) is not None:
                fresh = package.stamp() + package.digest
                if data[28:36] == package.digest and data[20:28] != bytes(8):
                    # other files changed, not what this module can see of them
                    code = self._code_of(data)
                    if code is not None:
                        self._count("cache_hits")
                        self._write_cache(cache, path, data[:20] + fresh + data[_HEADER_SIZE:])
                        return code
            code, dependency = self._compile(source, path, module, is_package, package)
            if dependency is not None:
                self._write_cache(cache, path, _MAGIC + self._fingerprint + source_hash + dependency
                                  + marshal.dumps(code))
            return code
        finally:
            if not outer:
                busy.discard(ident)


class RewritingLoader(_SourceFileLoader):
    """Loads a source module with its code rewritten by the finder; the rest
    (get_source, resources, is_package) is the standard source loader's."""

    def __init__(self, fullname: str, path: str, finder: "RewritingFinder", is_package: bool = False) -> None:
        super().__init__(fullname, path)
        self.finder = finder
        self._package = is_package

    def get_code(self, fullname: str) -> "CodeType":
        path = self.path if fullname == self.name else self.get_filename(fullname)   # the latter raises
        return self.finder.code_for(self.get_data(path), path, fullname, self._package)


def install_import_hook(include: "Patterns" = None, exclude: "Patterns" = None, profile: str = "standard",
                        catalog: "CatalogFiles" = None) -> "RewritingFinder":
    """Rewrites matching modules as they are imported from now on.

    include: module names or globs (``"app"``, ``"app.*"``, ``"*_views"``);
    a name also takes the package's submodules. None: every module that is
    not in the standard library, a site-packages directory or sst_runtime.
    A module there is rewritten only when an include entry without
    wildcards names it or its package. exclude: names or globs never
    rewritten. profile: ``"minimal"``, ``"standard"`` or ``"full"``, as
    ``sst-rewrite --profile``. catalog: a catalogue file or a list of them,
    added to the built-in catalogue (and to the runtime's). Modules already
    imported stay as they are. Installing again replaces the hook. Returns
    the finder (``finder.stats()`` counts rewrites and cache hits).
    """
    global _installed
    finder = RewritingFinder(include, exclude, profile, catalog)
    if finder.catalog_files:
        from . import configure
        for path in finder.catalog_files:
            configure(catalog=path)
    with _install_lock:
        if _installed is not None and _installed in sys.meta_path:
            sys.meta_path.remove(_installed)
        sys.meta_path.insert(0, finder)
        _installed = finder
    return finder


def uninstall_import_hook() -> bool:
    """Removes the hook installed by install_import_hook. Modules it has
    rewritten stay loaded as they are. Returns whether a hook was installed."""
    global _installed
    with _install_lock:
        finder, _installed = _installed, None
        if finder is not None and finder in sys.meta_path:
            sys.meta_path.remove(finder)
            return True
    return False


def installed_hook() -> "Optional[RewritingFinder]":
    """The finder install_import_hook installed, or None."""
    return _installed
