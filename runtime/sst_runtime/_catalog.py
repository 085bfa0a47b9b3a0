"""The catalogue for the pure-Python fallback.

Reads the same data files the C core compiles in (``rewriter/catalog/*.cat``,
shipped in ``sst_runtime/catalog/``) and answers the same two questions as
``sst_catalog_lookup`` and ``sst_catalog_classify_name``, with the same rules
(docs/catalogue.md), so the fallback and the extension agree.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

CATEGORY_NAMES: Tuple[str, ...] = (
    "email", "phone", "name", "address", "birth_date", "government_id",
    "financial", "health", "credentials", "location", "network_id", "user_text")

_MAX_TOKENS = 4
_MAX_WORDS = 10
_KINDS = ("external", "store", "log", "config", "source", "returns")
_DIRECTIVES = "service, external, store, log, config, source, returns, names, unless"
_OPTIONS = "host=, categories=, args=, when="
# the options each directive takes, and which directives take each option
_TAKES = {"service": ("host",), "external": ("host", "args"), "store": ("args",),
          "log": ("args",), "config": ("host", "when"), "source": ("categories",),
          "returns": ("when",)}
_TAKEN_BY = {"host": "service, external, config", "categories": "source",
             "args": "external, store, log", "when": "returns, config"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\(\))*(\.[A-Za-z_][A-Za-z0-9_]*(\(\))*)*\Z")
_SERVICE = re.compile(r"[A-Za-z0-9_.-]+\Z")
_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*\Z")
_WHEN_USAGE = "expected ARG:GLOB (ARG is N, keyword or N|keyword)"


@dataclass(frozen=True)
class Entry:
    path: str
    kind: str
    service: Optional[str]
    host: Optional[str]
    target: Optional[str]
    categories: int
    args: Optional[str] = None
    when_index: int = 0
    when_keyword: Optional[str] = None
    when_glob: Optional[str] = None
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class _Rule:
    category: int
    exclude: bool
    tokens: Tuple[bytes, ...]


class CatalogError(ValueError):
    """A catalogue line that cannot be read (the message names file and line)."""


def category_bit(name: str) -> int:
    try:
        return 1 << CATEGORY_NAMES.index(name)
    except ValueError:
        return 0


def _is_space(b: int) -> bool:
    return b in b" \t\n\r\x0b\x0c"


def _words(text: bytes) -> List[bytes]:
    return [w for w in text.replace(b"\t", b" ").replace(b"\r", b" ").replace(b"\x0b", b" ")
            .replace(b"\x0c", b" ").replace(b"\n", b" ").split(b" ") if w]


def _lower(word: bytes) -> bytes:
    return bytes(b + 32 if 65 <= b <= 90 else b for b in word)


def _valid_path(p: str) -> bool:
    return _PATH.match(p) is not None


def _position(s: str) -> int:
    """A positive decimal without a leading zero (at most 3 digits), else 0."""
    if not s or len(s) > 3 or s[0] == "0" or not all("0" <= c <= "9" for c in s):
        return 0
    return int(s)


class Catalog:
    def __init__(self) -> None:
        self.entries: Dict[str, Entry] = {}             # path -> its first entry
        self.chains: Dict[str, List[Entry]] = {}        # path -> every entry, in chain order
        self.rules: List[_Rule] = []
        self._by_first: Dict[bytes, List[_Rule]] = {}   # rules by their first word
        self._answers: Dict[str, int] = {}              # classify_name results

    # ---- loading --------------------------------------------------------
    def add_text(self, name: str, text: bytes) -> None:
        service = b""
        host = b""
        for number, raw in enumerate(text.split(b"\n"), start=1):
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if len(raw) >= 1024:
                raise CatalogError(f"{name}:{number}: line longer than 1023 bytes")
            service, host = self._line(raw, name, number, service, host)

    def _line(self, raw: bytes, name: str, number: int, service: bytes,
              service_host: bytes) -> Tuple[bytes, bytes]:
        if b"\0" in raw:
            raise CatalogError(f"{name}:{number}: a NUL byte in the line")
        text = raw.split(b"#", 1)[0]
        p = text.lstrip(b" \t\n\r\x0b\x0c")
        if not p:
            return service, service_host
        if p.startswith(b"names "):
            self._rules(p[6:], False, name, number)
            return service, service_host
        if p.startswith(b"unless "):
            self._rules(p[7:], True, name, number)
            return service, service_host
        words = _words(p)
        where = f"{name}:{number}"
        if len(words) > _MAX_WORDS:
            raise CatalogError(f"{where}: too many words on one line")
        if words[0] == b"service":
            if len(words) < 2:
                raise CatalogError(f"{where}: 'service' needs a name")
            svc = words[1].decode("utf-8", "replace")
            if not _SERVICE.match(svc):
                raise CatalogError(f"{where}: '{svc}' is not a service name (letters, digits, '_', '-', '.')")
            opts = self._options(words[2:], "service", where)
            if len(words[1]) >= 64:
                raise CatalogError(f"{where}: service name longer than 63 bytes")
            opt_host = opts.get("host")
            if opt_host is not None and len(opt_host.encode()) >= 128:
                raise CatalogError(f"{where}: host longer than 127 bytes")
            return words[1], (opt_host or "").encode()
        directive = words[0].decode("utf-8", "replace")
        if directive not in _KINDS:
            raise CatalogError(f"{where}: unknown directive '{directive}' ({_DIRECTIVES})")
        if len(words) < 2:
            raise CatalogError(f"{where}: '{directive}' needs an API path")
        if not service:
            raise CatalogError(f"{where}: '{directive}' before any 'service' line")
        path = words[1].decode("utf-8", "replace")
        target: Optional[str] = None
        first = 2
        if directive == "returns":
            if len(words) < 4 or words[2] != b"->":
                raise CatalogError(f"{where}: expected 'returns PATH -> PATH'")
            target = words[3].decode("utf-8", "replace")
            first = 4
        if not _valid_path(path) or (target is not None and not _valid_path(target)):
            bad = target if _valid_path(path) else path
            raise CatalogError(f"{where}: '{bad}' is not an API path (dotted names, '()' for a call)")
        if directive == "returns" and path == target:
            raise CatalogError(f"{where}: '{path}' returns itself")
        if directive == "returns" and not path.endswith(")"):
            raise CatalogError(f"{where}: 'returns {path}': the path of a returns rule ends in '()'")
        opts = self._options(words[first:], directive, where)
        host = opts.get("host")
        if host is None and service_host and "host" in _TAKES[directive]:
            host = service_host.decode("utf-8", "replace")
        index, keyword, glob = opts.get("when", (0, None, None))
        self._add(Entry(path, directive, service.decode("utf-8", "replace"), host, target,
                        opts.get("categories", 0), opts.get("args"), index, keyword, glob,
                        name, number))
        return service, service_host

    def _add(self, entry: Entry) -> None:
        """Chains ENTRY after the conditional entries of its path (or last if
        unconditional); the same path and condition replaces in place."""
        chain = self.chains.setdefault(entry.path, [])
        cond = (entry.when_index, entry.when_keyword, entry.when_glob)
        for i, old in enumerate(chain):
            if (old.when_index, old.when_keyword, old.when_glob) == cond:
                chain[i] = entry
                break
        else:
            if entry.when_glob is None:
                chain.append(entry)
            else:
                at = 0
                while at < len(chain) and chain[at].when_glob is not None:
                    at += 1
                chain.insert(at, entry)
        self.entries[entry.path] = chain[0]

    def _options(self, words: List[bytes], directive: str, where: str) -> Dict[str, object]:
        opts: Dict[str, object] = {}
        for raw in words:
            w = raw.decode("utf-8", "replace")
            key = next((k for k in ("host", "categories", "args", "when") if w.startswith(k + "=")), None)
            if key is None:
                raise CatalogError(f"{where}: unknown option '{w}' ({_OPTIONS})")
            if key not in _TAKES[directive]:
                raise CatalogError(f"{where}: '{directive}' takes no '{key}=' (it is for: {_TAKEN_BY[key]})")
            if key in opts:
                raise CatalogError(f"{where}: '{key}=' is given twice")
            value = w[len(key) + 1:]
            if key == "host":
                if not _HOST.match(value):
                    raise CatalogError(f"{where}: '{value}' is not a host name")
                opts[key] = value
            elif key == "categories":
                if not value:
                    raise CatalogError(f"{where}: 'categories=' needs a list of data categories")
                cats = 0
                for c in (x for x in value.split(",") if x):
                    bit = category_bit(c)
                    if not bit:
                        raise CatalogError(f"{where}: unknown data category '{c}'")
                    cats |= bit
                opts[key] = cats
            elif key == "args":
                opts[key] = self._args(value, where)
            else:
                opts[key] = self._when(value, where)
        return opts

    @staticmethod
    def _args(spec: str, where: str) -> str:
        if not spec:
            raise CatalogError(f"{where}: 'args=' needs a list of positions and keywords")
        seen: List[str] = []
        for item in spec.split(","):
            if not item or len(item.encode()) >= 128:
                raise CatalogError(f"{where}: 'args={spec}': an empty or overlong item")
            if not _position(item) and not _IDENT.match(item):
                raise CatalogError(f"{where}: 'args={spec}': '{item}' is neither a position (1, 2...) "
                                   "nor a keyword")
            if item in seen:
                raise CatalogError(f"{where}: 'args={spec}': '{item}' is listed twice")
            seen.append(item)
        return spec

    @staticmethod
    def _when(spec: str, where: str) -> Tuple[int, Optional[str], str]:
        if ":" not in spec:
            raise CatalogError(f"{where}: 'when={spec}': {_WHEN_USAGE}")
        arg, glob = spec.split(":", 1)
        keyword: Optional[str]
        if "|" in arg:
            number, keyword = arg.split("|", 1)
            index = _position(number)
            ok = bool(index) and _IDENT.match(keyword) is not None
        elif _position(arg):
            index, keyword, ok = _position(arg), None, True
        else:
            index, keyword = 0, arg
            ok = _IDENT.match(arg) is not None
        if not ok:
            raise CatalogError(f"{where}: 'when={arg}:{glob}': {_WHEN_USAGE}")
        if not glob:
            raise CatalogError(f"{where}: 'when={arg}:': the pattern is empty")
        i = 0
        while i < len(glob):     # every '[' has its ']' (fnmatch would take it literally)
            if glob[i] == "[":
                q = i + 1
                if q < len(glob) and glob[q] in "!^":
                    q += 1
                if q < len(glob) and glob[q] == "]":
                    q += 1
                while q < len(glob) and glob[q] != "]":
                    q += 1
                if q >= len(glob):
                    raise CatalogError(f"{where}: 'when={arg}:{glob}': '[' without its ']'")
                i = q
            i += 1
        return index, keyword, glob

    def _rules(self, spec: bytes, exclude: bool, name: str, number: int) -> None:
        if b":" not in spec:
            raise CatalogError(f"{name}:{number}: expected 'CATEGORY: phrase, phrase...'")
        head, phrases = spec.split(b":", 1)
        cat = head.strip(b" \t\n\r\x0b\x0c").decode("utf-8", "replace")
        bit = category_bit(cat)
        if not bit:
            raise CatalogError(f"{name}:{number}: unknown data category '{cat}'")
        for phrase in (x for x in phrases.split(b",") if x):
            words = _words(phrase)
            if len(words) > _MAX_TOKENS or (exclude and len(words) > 1):
                raise CatalogError(f"{name}:{number}: " + (
                    "an 'unless' entry is a single word" if exclude
                    else f"a phrase has at most {_MAX_TOKENS} words"))
            if words:
                rule = _Rule(bit, exclude, tuple(_lower(w) for w in words))
                self.rules.append(rule)
                self._by_first.setdefault(rule.tokens[0], []).append(rule)
                self._answers.clear()

    # ---- queries --------------------------------------------------------
    def lookup(self, path: str) -> Optional[Entry]:
        return self.entries.get(path)

    def classify_name(self, name: str) -> int:
        got = self._answers.get(name)
        if got is not None:
            return got
        words = _tokenize(name.encode("utf-8", "surrogatepass"))
        found = vetoed = 0
        candidates = {id(r): r for w in words for r in self._by_first.get(w, ())}
        for rule in candidates.values():
            n = len(rule.tokens)
            for start in range(len(words) - n + 1):
                if tuple(words[start:start + n]) == rule.tokens:
                    if rule.exclude:
                        vetoed |= rule.category
                    else:
                        found |= rule.category
                    break
        result = found & ~vetoed
        if len(self._answers) >= 4096:
            self._answers.clear()
        self._answers[name] = result
        return result


def _is_upper(b: int) -> bool:
    return 65 <= b <= 90


def _is_digit(b: int) -> bool:
    return 48 <= b <= 57


def _tokenize(name: bytes) -> List[bytes]:
    """Lower-case words of an identifier, split like the C core does."""
    words: List[bytes] = []
    i, n = 0, len(name)
    while i < n and len(words) < 8:
        while i < n and (name[i] == 95 or _is_digit(name[i])):
            i += 1
        if i >= n:
            break
        upper_run = _is_upper(name[i])
        word = bytearray(_lower(name[i:i + 1]))
        i += 1
        while i < n and name[i] != 95 and not _is_digit(name[i]):
            up = _is_upper(name[i])
            if up and not upper_run:
                break
            if not up and upper_run and len(word) > 1:
                word.pop()
                i -= 1
                break
            if not up:
                upper_run = False
            if len(word) + 1 < 24:
                word += _lower(name[i:i + 1])
            i += 1
        words.append(bytes(word))
    return words


def load_builtin() -> Catalog:
    """The catalogue data shipped with the package, in file-name order."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "catalog")
    catalog = Catalog()
    for name in sorted(os.listdir(here)) if os.path.isdir(here) else []:
        if name.endswith(".cat"):
            with open(os.path.join(here, name), "rb") as f:
                catalog.add_text(name, f.read())
    return catalog
