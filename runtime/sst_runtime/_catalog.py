"""The catalogue for the pure-Python fallback.

Reads the same data files the C core compiles in (``rewriter/catalog/*.cat``,
shipped in ``sst_runtime/catalog/``) and answers the same two questions as
``sst_catalog_lookup`` and ``sst_catalog_classify_name``, with the same rules
(docs/catalogue.md), so the fallback and the extension agree.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

CATEGORY_NAMES: Tuple[str, ...] = (
    "email", "phone", "name", "address", "birth_date", "government_id",
    "financial", "health", "credentials", "location", "network_id", "user_text")

_MAX_TOKENS = 4
_KINDS = ("external", "store", "source", "returns")


@dataclass(frozen=True)
class Entry:
    path: str
    kind: str
    service: Optional[str]
    host: Optional[str]
    target: Optional[str]
    categories: int


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
    if not p or p[0] == ".":
        return False
    return all(c.isascii() and (c.isalnum() or c in "_.()") for c in p)


class Catalog:
    def __init__(self) -> None:
        self.entries: Dict[str, Entry] = {}
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
              host: bytes) -> Tuple[bytes, bytes]:
        text = raw.split(b"#", 1)[0]
        p = text.lstrip(b" \t\n\r\x0b\x0c")
        if not p:
            return service, host
        if p.startswith(b"names "):
            self._rules(p[6:], False, name, number)
            return service, host
        if p.startswith(b"unless "):
            self._rules(p[7:], True, name, number)
            return service, host
        words = _words(p)
        if len(words) > 8:
            raise CatalogError(f"{name}:{number}: too many words on one line")
        opt_host: Optional[bytes] = None
        cats = 0
        if words[0] == b"service":
            if len(words) < 2:
                raise CatalogError(f"{name}:{number}: 'service' needs a name")
            opt_host, cats = self._options(words[2:], name, number)
            return words[1][:63], (opt_host or b"")[:127]
        directive = words[0].decode("utf-8", "replace")
        if directive not in _KINDS:
            raise CatalogError(f"{name}:{number}: unknown directive '{directive}' "
                               "(service, external, store, source, returns, names, unless)")
        if len(words) < 2:
            raise CatalogError(f"{name}:{number}: '{directive}' needs an API path")
        if not service:
            raise CatalogError(f"{name}:{number}: '{directive}' before any 'service' line")
        target: Optional[str] = None
        first = 2
        if directive == "returns":
            if len(words) < 4 or words[2] != b"->":
                raise CatalogError(f"{name}:{number}: expected 'returns PATH -> PATH'")
            target = words[3].decode("utf-8", "replace")
            first = 4
        opt_host, cats = self._options(words[first:], name, number)
        if opt_host is None and host:
            opt_host = host
        path = words[1].decode("utf-8", "replace")
        if not _valid_path(path) or (target is not None and not _valid_path(target)):
            bad = target if _valid_path(path) else path
            raise CatalogError(f"{name}:{number}: '{bad}' is not an API path "
                               "(dotted names, '()' for a call)")
        self.entries[path] = Entry(path, directive, service.decode("utf-8", "replace"),
                                   opt_host.decode("utf-8", "replace") if opt_host else None,
                                   target, cats)
        return service, host

    def _options(self, words: List[bytes], name: str,
                 number: int) -> Tuple[Optional[bytes], int]:
        host: Optional[bytes] = None
        cats = 0
        for w in words:
            if w.startswith(b"host="):
                host = w[5:]
            elif w.startswith(b"categories="):
                for c in (x for x in w[11:].split(b",") if x):
                    bit = category_bit(c.decode("utf-8", "replace"))
                    if not bit:
                        raise CatalogError(f"{name}:{number}: unknown data category "
                                           f"'{c.decode('utf-8', 'replace')}'")
                    cats |= bit
            else:
                raise CatalogError(f"{name}:{number}: unknown option "
                                   f"'{w.decode('utf-8', 'replace')}' (host=, categories=)")
        return host, cats

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
