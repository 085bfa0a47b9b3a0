"""Pure-Python mirror of the runtime's value detectors (runtime/detect/).

The pure-Python fallback of sst_runtime uses it when the C extension cannot
be imported. It follows runtime/detect/scanners.c and redact.c function by
function, on the UTF-8 bytes of a value, so both give the same kinds, the same
first match (byte offsets) and the same redacted preview for every value.
Standard library only; no state outside a Detector object.

Custom patterns are where the two differ: here they run on Python's re (with
re.ASCII, like PCRE2 without UCP), so configuration should keep to the syntax
both engines share; re has no match limit; and bytes that are not UTF-8 reach
re as surrogate escapes, where PCRE2 never matches them.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional, Union

SCAN_MAX = 4096   # bytes of a value examined
PEEK = 16         # bytes past the window read to find where a match ends
REDACT_MAX = 48   # a preview (and its NUL in C) fits in this many bytes
NAME_MAX = 64     # longest custom pattern name

EMAIL = 1 << 0
PHONE = 1 << 1
CARD = 1 << 2
IBAN = 1 << 3
US_SSN = 1 << 4
UK_NINO = 1 << 5
ES_DNI = 1 << 6
NL_BSN = 1 << 7
IPV4 = 1 << 8
IPV6 = 1 << 9
BEARER = 1 << 10
API_KEY = 1 << 11
JWT = 1 << 12
PRIVATE_KEY = 1 << 13
CUSTOM = 1 << 14
BUILTIN = (1 << 14) - 1
KIND_COUNT = 15

KIND_NAMES = (
    "email", "phone", "card", "iban", "us_ssn", "uk_nino", "es_dni", "nl_bsn",
    "ipv4", "ipv6", "bearer", "api_key", "jwt", "private_key", "custom",
)

# Data categories: the SST_CAT_* bits of rewriter/include/sst/rewrite.h.
CAT_EMAIL = 1 << 0
CAT_PHONE = 1 << 1
CAT_NAME = 1 << 2
CAT_ADDRESS = 1 << 3
CAT_BIRTH_DATE = 1 << 4
CAT_GOVERNMENT_ID = 1 << 5
CAT_FINANCIAL = 1 << 6
CAT_HEALTH = 1 << 7
CAT_CREDENTIALS = 1 << 8
CAT_LOCATION = 1 << 9
CAT_NETWORK_ID = 1 << 10
CAT_USER_TEXT = 1 << 11
CAT_COUNT = 12

_KIND_CATEGORIES = (
    CAT_EMAIL, CAT_PHONE, CAT_FINANCIAL, CAT_FINANCIAL,
    CAT_GOVERNMENT_ID, CAT_GOVERNMENT_ID, CAT_GOVERNMENT_ID, CAT_GOVERNMENT_ID,
    CAT_NETWORK_ID, CAT_NETWORK_ID,
    CAT_CREDENTIALS, CAT_CREDENTIALS, CAT_CREDENTIALS, CAT_CREDENTIALS,
    0,
)

Value = Union[bytes, bytearray, memoryview, str]


class Match(NamedTuple):
    """The first match of a scan and what everything found means."""

    kind: int        # the one kind bit of the first match, 0 if none
    start: int       # byte offset of the first match in the UTF-8 value
    len: int         # its length in bytes
    pattern: int     # kind == CUSTOM: index of the custom pattern, else -1
    categories: int  # category bits of every kind found, custom ones included


class PatternError(ValueError):
    """A custom pattern that cannot be added; the message names it."""


def kind_name(index: int) -> Optional[str]:
    """'email', 'phone', ... for bit index INDEX, None past the last."""
    return KIND_NAMES[index] if 0 <= index < KIND_COUNT else None


def categories(kinds: int) -> int:
    """The category bits the built-in kinds in KINDS stand for."""
    cats = 0
    for bit in range(KIND_COUNT):
        if kinds & (1 << bit):
            cats |= _KIND_CATEGORIES[bit]
    return cats


# ---- character classes (ASCII, as in the C code) --------------------------

def _table(pred) -> tuple:
    return tuple(bool(pred(c)) for c in range(256))


_DIGIT = _table(lambda c: 48 <= c <= 57)
_UPPER = _table(lambda c: 65 <= c <= 90)
_ALPHA = _table(lambda c: 65 <= c <= 90 or 97 <= c <= 122)
_ALNUM = _table(lambda c: _DIGIT[c] or _ALPHA[c])
_WORD = _table(lambda c: _ALNUM[c] or c == 95)
_B64URL = _table(lambda c: _WORD[c] or c == 45)
_HEX = _table(lambda c: _DIGIT[c] or 97 <= c <= 102 or 65 <= c <= 70)
_LOCAL = _table(lambda c: _ALNUM[c] or c >= 0x80 or c in b"._%+-")
_DOMAIN = _table(lambda c: _ALNUM[c] or c >= 0x80 or c in b"-.")
_TOKEN = _table(lambda c: _ALNUM[c] or c in b"-._~+/")
_LOWER = tuple(c + 32 if 65 <= c <= 90 else c for c in range(256))

_PAD = b"\0" * 64   # reads past the readable end see 0, like at() in C


def _starts(s: bytes, i: int, p: bytes) -> bool:
    return s[i:i + len(p)] == p


def _digit_run(s: bytes, i: int, limit: int) -> int:
    n = 0
    while n <= limit and _DIGIT[s[i + n]]:
        n += 1
    return n


def _digits_value(s: bytes, i: int, n: int) -> int:
    return int(s[i:i + n])


def _num_left_ok(s: bytes, i: int) -> bool:
    if i == 0:
        return True
    c = s[i - 1]
    if _WORD[c] or c == 43:
        return False
    if c in b".-/:" and i >= 2 and _DIGIT[s[i - 2]]:
        return False
    return True


def _num_right_ok(s: bytes, j: int) -> bool:
    c = s[j]
    if _WORD[c]:
        return False
    if c in b".-/:" and c != 0 and _DIGIT[s[j + 1]]:
        return False
    return True


def _continues(s: bytes, j: int, seps: bytes) -> bool:
    c = s[j]
    return c != 0 and c in seps and _DIGIT[s[j + 1]]


_MAX_GROUPS = 8


def _read_groups(s: bytes, i: int, seps: bytes, limit: int):
    """Digit groups at I joined by one separator of SEPS, the same
    throughout, while the total stays within LIMIT digits: (starts, lens)."""
    starts: list = []
    lens: list = []
    digits = 0
    sep = 0
    j = i
    while True:
        n = _digit_run(s, j, limit)
        if n == 0 or digits + n > limit or len(starts) == _MAX_GROUPS:
            return starts, lens
        starts.append(j)
        lens.append(n)
        digits += n
        j += n
        c = s[j]
        if not _continues(s, j, seps) or (sep and c != sep):
            return starts, lens
        sep = c
        j += 1


def _keyword_before(s: bytes, i: int, words: tuple) -> bool:
    start = i - 32 if i > 32 else 0
    for word in words:
        n = len(word)
        for p in range(start, i - n + 1):
            if bytes(_LOWER[c] for c in s[p:p + n]) != word:
                continue
            if p > 0 and _ALPHA[s[p - 1]]:
                continue
            if _ALPHA[s[p + n]]:
                continue
            return True
    return False


# ---- e-mail ---------------------------------------------------------------

_IMAGE_SUFFIXES = (b"png", b"jpg", b"jpeg", b"gif", b"svg", b"webp", b"bmp", b"ico")


def _tld_ok(p: bytes) -> bool:
    n = len(p)
    if n < 2:
        return False
    if n >= 5 and _LOWER[p[0]] == 120 and _LOWER[p[1]] == 110 and p[2] == 45 and p[3] == 45:
        return True
    letters = all(_ALPHA[c] for c in p)
    high = all(c >= 0x80 for c in p)
    if high:
        return True
    if not letters:
        return False
    return bytes(_LOWER[c] for c in p) not in _IMAGE_SUFFIXES


def _scan_email(s: bytes, i: int):
    k = i
    n = 0
    while k > 0 and _LOCAL[s[k - 1]]:
        k -= 1
        n += 1
        if n > 64:
            return None
    while k < i and s[k] == 46:
        k += 1
    if k == i or s[i - 1] == 46:
        return None
    visible = False
    for p in range(k, i):
        if s[p] == 46 and s[p + 1] == 46:
            return None
        if _ALNUM[s[p]] or s[p] >= 0x80:
            visible = True
    if not visible:
        return None
    j = i + 1
    d = 0
    while _DOMAIN[s[j]]:
        j += 1
        d += 1
        if d > 253:
            return None
    while j > i + 1 and s[j - 1] == 46:
        j -= 1
    label = i + 1
    labels = 0
    last = 0
    for p in range(i + 1, j + 1):
        if p < j and s[p] != 46:
            continue
        length = p - label
        if length == 0 or length > 63 or s[label] == 45 or s[p - 1] == 45:
            return None
        labels += 1
        last = label
        label = p + 1
    if labels < 2 or not _tld_ok(s[last:j]) or s[j] == 95:
        return None
    return k, j


# ---- phone numbers --------------------------------------------------------

def _scan_e164(s: bytes, i: int):
    if i > 0 and (_WORD[s[i - 1]] or s[i - 1] == 43):
        return None
    j = i + 1
    digits = 0
    if not 49 <= s[j] <= 57:
        return None
    first = _digit_run(s, j, 15)
    while True:
        n = _digit_run(s, j, 15)
        digits += n
        j += n
        if digits > 15:
            return None
        c = s[j]
        if (c in (32, 45) or (c == 46 and first <= 3)) and _DIGIT[s[j + 1]]:
            j += 1
            continue
        k = j + (1 if c == 32 else 0)
        if s[k] != 40:
            break
        p = _digit_run(s, k + 1, 5)
        if p < 1 or p > 5 or s[k + 1 + p] != 41:
            break
        k += p + 2
        if s[k] in b" -" and _DIGIT[s[k + 1]]:
            k += 1
        if not _DIGIT[s[k]]:
            break
        digits += p
        if digits > 15:
            return None
        j = k
    if digits < 8 or not _num_right_ok(s, j):
        return None
    return i, j


def _nanp3(s: bytes, i: int) -> bool:
    return 50 <= s[i] <= 57 and _DIGIT[s[i + 1]] and _DIGIT[s[i + 2]] and not _DIGIT[s[i + 3]]


def _is_sep3(c: int) -> bool:
    return c in (45, 46, 32)


def _scan_nanp(s: bytes, i: int):
    if not _num_left_ok(s, i):
        return None
    j = i
    s1 = s2 = 0
    if s[j] == 49 and _is_sep3(s[j + 1]):
        s1 = s[j + 1]
        j += 2
    if s[j] == 40:
        if not _nanp3(s, j + 1) or s[j + 4] != 41:
            return None
        j += 5
        if s[j] == 32:
            j += 1
    else:
        if not _nanp3(s, j):
            return None
        s2 = s[j + 3]
        if not _is_sep3(s2) or (s1 and s2 != s1):
            return None
        j += 4
    if not _nanp3(s, j):
        return None
    s3 = s[j + 3]
    if not _is_sep3(s3) or (s2 and s3 != s2):
        return None
    j += 4
    if _digit_run(s, j, 4) != 4:
        return None
    j += 4
    if not _num_right_ok(s, j):
        return None
    spaced = 32 in (s1, s2, s3)
    if spaced and ((i >= 2 and s[i - 1] == 32 and _DIGIT[s[i - 2]]) or _continues(s, j, b" ")):
        return None
    return i, j


def _scan_trunk(s: bytes, i: int):
    if not _num_left_ok(s, i) or (i >= 2 and s[i - 1] == 32 and _DIGIT[s[i - 2]]):
        return None
    j = i
    paren = s[j] == 40
    if paren:
        j += 1
    if s[j] != 48 or not 49 <= s[j + 1] <= 57:
        return None
    area = _digit_run(s, j, 5)
    if area > 5:
        return None
    j += area
    if paren:
        if s[j] != 41:
            return None
        j += 1
        if s[j] == 32:
            j += 1
        if not _DIGIT[s[j]]:
            return None
        seps = b" -"
    else:
        c = s[j]
        if not _continues(s, j, b" -/"):
            return None
        seps = bytes((c,))
        j += 1
    starts, lens = _read_groups(s, j, seps, 12 - area)
    if not starts:
        return None
    if any(n < 2 for n in lens):
        return None
    digits = area + sum(lens)
    end = starts[-1] + lens[-1]
    if digits < 10 or digits > 12 or _continues(s, end, seps) or not _num_right_ok(s, end):
        return None
    return i, end


# ---- payment cards --------------------------------------------------------

def _lens(*lengths: int) -> frozenset:
    return frozenset(lengths)


_L14_19 = _lens(14, 15, 16, 17, 18, 19)
_L16_19 = _lens(16, 17, 18, 19)
_L13_19 = _lens(13, 14, 15, 16, 17, 18, 19)

# Issuer prefixes (IIN ranges over the first DIGITS digits) and card lengths.
_IINS = (
    (4, 4, 1, _lens(13, 16, 19)),                               # Visa
    (51, 55, 2, _lens(16)), (2221, 2720, 4, _lens(16)),         # Mastercard
    (34, 34, 2, _lens(15)), (37, 37, 2, _lens(15)),             # American Express
    (300, 305, 3, _L14_19), (36, 36, 2, _L14_19), (38, 39, 2, _L14_19),  # Diners Club
    (6011, 6011, 4, _L16_19), (644, 649, 3, _L16_19), (65, 65, 2, _L16_19),  # Discover
    (3528, 3589, 4, _L16_19),                                   # JCB
    (62, 62, 2, _L16_19),                                       # UnionPay
    (2200, 2204, 4, _L16_19),                                   # Mir
    (5018, 5018, 4, _L13_19), (5020, 5020, 4, _L13_19),         # Maestro
    (5038, 5038, 4, _L13_19), (5893, 5893, 4, _L13_19),
    (6304, 6304, 4, _L13_19), (6759, 6759, 4, _L13_19),
    (6761, 6763, 4, _L13_19),
)


def _card_ok(d: bytes) -> bool:
    n = len(d)
    if not any(lo <= int(d[:k]) <= hi and n in lens for lo, hi, k, lens in _IINS):
        return False
    total = 0
    for k in range(n):
        v = d[n - 1 - k] - 48
        if k & 1:
            v = v * 2 - 9 if v * 2 > 9 else v * 2
        total += v
    return total % 10 == 0


def _scan_card(s: bytes, i: int):
    if not _num_left_ok(s, i):
        return None
    starts, lens = _read_groups(s, i, b" -", 19)
    for k in range(len(starts), 0, -1):
        digits = sum(lens[:k])
        shape = k == 1 or all(3 <= n <= 8 for n in lens[:k]) and lens[0] == 4
        end = starts[k - 1] + lens[k - 1]
        if not shape or digits < 13 or digits > 19 or not _num_right_ok(s, end):
            continue
        d = b"".join(s[starts[q]:starts[q] + lens[q]] for q in range(k))
        if _card_ok(d):
            return i, end
    return None


# ---- IBAN -----------------------------------------------------------------

_IBAN_LENGTHS = {
    b"AD": 24, b"AE": 23, b"AL": 28, b"AT": 20, b"AZ": 28, b"BA": 20, b"BE": 16,
    b"BG": 22, b"BH": 22, b"BI": 27, b"BR": 29, b"BY": 28, b"CH": 21, b"CR": 22,
    b"CY": 28, b"CZ": 24, b"DE": 22, b"DJ": 27, b"DK": 18, b"DO": 28, b"EE": 20,
    b"EG": 29, b"ES": 24, b"FI": 18, b"FK": 18, b"FO": 18, b"FR": 27, b"GB": 22,
    b"GE": 22, b"GI": 23, b"GL": 18, b"GR": 27, b"GT": 28, b"HR": 21, b"HU": 28,
    b"IE": 22, b"IL": 23, b"IQ": 23, b"IS": 26, b"IT": 27, b"JO": 30, b"KW": 30,
    b"KZ": 20, b"LB": 28, b"LC": 32, b"LI": 21, b"LT": 20, b"LU": 20, b"LV": 21,
    b"LY": 25, b"MC": 27, b"MD": 24, b"ME": 22, b"MK": 19, b"MN": 20, b"MR": 27,
    b"MT": 31, b"MU": 30, b"NI": 28, b"NL": 18, b"NO": 15, b"OM": 23, b"PK": 24,
    b"PL": 28, b"PS": 29, b"PT": 25, b"QA": 29, b"RO": 24, b"RS": 22, b"RU": 33,
    b"SA": 24, b"SC": 31, b"SD": 18, b"SE": 24, b"SI": 19, b"SK": 24, b"SM": 27,
    b"SO": 23, b"ST": 25, b"SV": 28, b"TL": 23, b"TN": 24, b"TR": 26, b"UA": 29,
    b"VA": 22, b"VG": 24, b"XK": 20, b"YE": 30,
}


def _scan_iban(s: bytes, i: int):
    if i > 0 and _WORD[s[i - 1]]:
        return None
    if not (_UPPER[s[i]] and _UPPER[s[i + 1]] and _DIGIT[s[i + 2]] and _DIGIT[s[i + 3]]):
        return None
    length = _IBAN_LENGTHS.get(s[i:i + 2], 0)
    if length == 0:
        return None
    spaced = s[i + 4] == 32
    buf = bytearray()
    j = i
    while len(buf) < length:
        if spaced and buf and len(buf) % 4 == 0:
            if s[j] != 32:
                return None
            j += 1
        c = s[j]
        if not (_UPPER[c] or _DIGIT[c]):
            return None
        buf.append(c)
        j += 1
    if _WORD[s[j]]:
        return None
    r = 0
    for k in range(length):
        c = buf[(k + 4) % length]
        if _DIGIT[c]:
            r = (r * 10 + c - 48) % 97
        else:
            r = (r * 100 + c - 65 + 10) % 97
    if r != 1:
        return None
    return i, j


# ---- national ids ---------------------------------------------------------

_SSN_WORDS = (b"ssn", b"social security", b"social_security")
_BSN_WORDS = (b"bsn", b"burgerservicenummer", b"sofinummer", b"sofi-nummer")


def _scan_ssn(s: bytes, i: int):
    if not _num_left_ok(s, i):
        return None
    starts, lens = _read_groups(s, i, b"- ", 9)
    formatted = lens == [3, 2, 4]
    bare = lens == [9]
    if not formatted and not bare:
        return None
    end = starts[-1] + lens[-1]
    if not _num_right_ok(s, end):
        return None
    if formatted:
        area = _digits_value(s, starts[0], 3)
        group = _digits_value(s, starts[1], 2)
        serial = _digits_value(s, starts[2], 4)
    else:
        area = _digits_value(s, i, 3)
        group = _digits_value(s, i + 3, 2)
        serial = _digits_value(s, i + 5, 4)
    if area == 0 or area == 666 or area >= 900 or group == 0 or serial == 0:
        return None
    if (area, group, serial) in ((78, 5, 1120), (219, 9, 9999)):
        return None
    if bare and not _keyword_before(s, i, _SSN_WORDS):
        return None
    return i, end


_NINO_BAD = (b"BG", b"GB", b"KN", b"NK", b"NT", b"TN", b"ZZ")


def _scan_nino(s: bytes, i: int):
    if i > 0 and _WORD[s[i - 1]]:
        return None
    a, b = s[i], s[i + 1]
    if not _UPPER[a] or not _UPPER[b] or a in b"DFIQUV" or b in b"DFIOQUV":
        return None
    if s[i:i + 2] in _NINO_BAD:
        return None
    j = i + 2
    spaced = s[j] == 32
    if spaced:
        j += 1
    if spaced and _DIGIT[s[j]] and _DIGIT[s[j + 1]] and s[j + 2] == 32:
        for _ in range(3):
            if not _DIGIT[s[j]] or not _DIGIT[s[j + 1]] or s[j + 2] != 32:
                return None
            j += 3
    else:
        if _digit_run(s, j, 6) != 6:
            return None
        j += 6
        if spaced:
            if s[j] != 32:
                return None
            j += 1
    c = s[j]
    if c < 65 or c > 68 or _WORD[s[j + 1]]:
        return None
    return i, j + 1


_DNI_LETTERS = b"TRWAGMYFPDXBNJZSQVHLCKE"


def _scan_dni(s: bytes, i: int):
    c = s[i]
    j = i
    want = 8
    n = 0
    if c in b"XYZ":
        if i > 0 and _WORD[s[i - 1]]:
            return None
        n = c - 88
        j += 1
        want = 7
    elif not _num_left_ok(s, i):
        return None
    if _digit_run(s, j, want) != want:
        return None
    n = n * (10000000 if want == 7 else 1) + _digits_value(s, j, want)
    j += want
    if s[j] == 45:
        j += 1
    if s[j] != _DNI_LETTERS[n % 23] or _WORD[s[j + 1]]:
        return None
    return i, j + 1


def _scan_bsn(s: bytes, i: int):
    if not _num_left_ok(s, i) or _digit_run(s, i, 9) != 9 or not _num_right_ok(s, i + 9):
        return None
    total = sum((9 - k) * (s[i + k] - 48) for k in range(8)) - (s[i + 8] - 48)
    if total == 0 or total % 11 != 0 or not _keyword_before(s, i, _BSN_WORDS):
        return None
    return i, i + 9


# ---- IP addresses ---------------------------------------------------------

def _octet(s: bytes, i: int) -> int:
    n = _digit_run(s, i, 3)
    if n == 0 or n > 3 or (n > 1 and s[i] == 48) or _digits_value(s, i, n) > 255:
        return 0
    return n


def _ipv4_end(s: bytes, i: int) -> int:
    j = i
    for q in range(4):
        if q:
            if s[j] != 46:
                return 0
            j += 1
        n = _octet(s, j)
        if n == 0:
            return 0
        j += n
    return j


def _url_host(s: bytes, i: int) -> bool:
    # The host of a URL ("http://10.0.0.5:8080/", "//[::1]/") names the server
    # a call goes to, not a user: it is not a network id.
    if i >= 1 and s[i - 1] == 91:
        i -= 1
    return i >= 2 and s[i - 1] == 47 and s[i - 2] == 47


def _scan_ipv4(s: bytes, i: int):
    if i > 0 and (_WORD[s[i - 1]] or s[i - 1] == 46):
        return None
    if _url_host(s, i):
        return None
    if s[i] == 48:
        return None
    j = _ipv4_end(s, i)
    if j == 0 or _WORD[s[j]] or (s[j] == 46 and _DIGIT[s[j + 1]]):
        return None
    return i, j


def _scan_ipv6(s: bytes, i: int):
    if i > 0 and (_WORD[s[i - 1]] or s[i - 1] == 58 or s[i - 1] == 46):
        return None
    if _url_host(s, i):
        return None
    j = i
    widest = 0
    groups = 0
    dc = v4 = letter = digit = False
    if s[j] == 58:
        if s[j + 1] != 58:
            return None
        dc = True
        j += 2
    while True:
        n = 0
        while n < 5 and _HEX[s[j + n]]:
            n += 1
        if n == 0:
            break
        if n > 4:
            return None
        if s[j + n] == 46:
            e = _ipv4_end(s, j)
            if e == 0 or groups > 6:
                return None
            groups += 2
            v4 = True
            j = e
            break
        for k in range(n):
            if _DIGIT[s[j + k]]:
                digit = True
            else:
                letter = True
        if n > widest:
            widest = n
        groups += 1
        if groups > 8:
            return None
        j += n
        if s[j] == 58 and s[j + 1] == 58:
            if dc:
                return None
            dc = True
            j += 2
        elif s[j] == 58 and _HEX[s[j + 1]]:
            j += 1
        else:
            break
    if not dc:
        if groups != 8:
            return None
    elif groups > 7:
        return None
    elif (groups < 3) if v4 else (groups < 2 or widest < 3 or not letter or not digit):
        return None
    if _WORD[s[j]] or (s[j] == 46 and _DIGIT[s[j + 1]]):
        return None
    return i, j


# ---- secrets --------------------------------------------------------------

def _scan_bearer(s: bytes, i: int):
    if i > 0 and _WORD[s[i - 1]]:
        return None
    if bytes(_LOWER[c] for c in s[i:i + 6]) != b"bearer":
        return None
    j = i + 6
    blanks = 0
    while blanks < 4 and s[j] in (32, 9):
        j += 1
        blanks += 1
    start = j
    digit = False
    while _TOKEN[s[j]]:
        if _DIGIT[s[j]]:
            digit = True
        j += 1
    if blanks == 0 or j - start < 16 or not digit:
        return None
    while s[j] == 61:
        j += 1
    return i, j


_KEY_CLASSES = {
    "a": _ALNUM,
    "u": _table(lambda c: _UPPER[c] or _DIGIT[c]),
    "w": _WORD,
    "b": _B64URL,
    "s": _table(lambda c: _ALNUM[c] or c == 45),
}

# prefix, characters of the body, body length min and max, letter and digit
_KEY_SHAPES = (
    (b"sk_live_", "a", 16, 255, True), (b"sk_test_", "a", 16, 255, True),
    (b"rk_live_", "a", 16, 255, True), (b"rk_test_", "a", 16, 255, True),
    (b"sk-", "b", 20, 255, True),
    (b"AKIA", "u", 16, 16, False), (b"ASIA", "u", 16, 16, False),
    (b"AIza", "b", 35, 35, False),
    (b"github_pat_", "w", 22, 255, False),
    (b"ghp_", "a", 36, 255, False), (b"gho_", "a", 36, 255, False),
    (b"ghu_", "a", 36, 255, False), (b"ghs_", "a", 36, 255, False),
    (b"ghr_", "a", 36, 255, False),
    (b"xoxb-", "s", 10, 255, True), (b"xoxp-", "s", 10, 255, True),
    (b"xoxa-", "s", 10, 255, True), (b"xoxr-", "s", 10, 255, True),
    (b"xoxs-", "s", 10, 255, True), (b"xoxe-", "s", 10, 255, True),
)


def _scan_api_key(s: bytes, i: int):
    if i > 0 and _B64URL[s[i - 1]]:
        return None
    for prefix, cls, low, high, mixed in _KEY_SHAPES:
        if not _starts(s, i, prefix):
            continue
        table = _KEY_CLASSES[cls]
        j = i + len(prefix)
        n = 0
        letter = digit = False
        while n <= high and table[s[j + n]]:
            if _DIGIT[s[j + n]]:
                digit = True
            if _ALPHA[s[j + n]]:
                letter = True
            n += 1
        if n < low or n > high or (mixed and not (letter and digit)) or _B64URL[s[j + n]]:
            return None
        return i, j + n
    return None


def _scan_jwt(s: bytes, i: int):
    if i > 0 and (_B64URL[s[i - 1]] or s[i - 1] == 46):
        return None
    j = i
    for _ in range(2):
        if not _starts(s, j, b"eyJ"):
            return None
        n = 0
        while _B64URL[s[j + n]]:
            n += 1
        if n < 10 or s[j + n] != 46:
            return None
        j += n + 1
    while _B64URL[s[j]]:
        j += 1
    return i, j


def _scan_private_key(s: bytes, i: int):
    if (i > 0 and s[i - 1] == 45) or not _starts(s, i, b"-----BEGIN "):
        return None
    start = j = i + 11
    while j - start < 40 and (_UPPER[s[j]] or s[j] == 32):
        j += 1
    if not _starts(s, j, b"-----"):
        return None
    if b"PRIVATE KEY" not in s[start:j]:
        return None
    return i, j + 5


# ---- the scan -------------------------------------------------------------

_TRIGGER = re.compile(rb"[@+(\-]|:(?=:)|(?<![A-Za-z0-9])[A-Za-z0-9]")

_B_EMAIL, _B_PHONE, _B_CARD, _B_IBAN, _B_US_SSN, _B_UK_NINO, _B_ES_DNI, _B_NL_BSN, \
    _B_IPV4, _B_IPV6, _B_BEARER, _B_API_KEY, _B_JWT, _B_PRIVATE_KEY = range(14)


def _scan_builtin(data: bytes, mask: int) -> dict:
    """The leftmost match of each built-in kind in MASK: {bit: (start, end)}."""
    w = min(len(data), SCAN_MAX)
    e = min(len(data), SCAN_MAX + PEEK)
    s = bytes(data[:e]) + _PAD
    want = mask & BUILTIN
    found: dict = {}

    def attempt(bit: int, scan, i: int) -> None:
        nonlocal want
        if not want & (1 << bit):
            return
        m = scan(s, i)
        if m is None or m[1] > w:
            return
        found[bit] = m
        want &= ~(1 << bit)

    resume = 0
    for trig in _TRIGGER.finditer(s, 0, e):
        if not want:
            break
        i = trig.start()
        if i >= w:
            break
        if i < resume:
            continue
        c = s[i]
        if _ALNUM[c]:
            if _UPPER[c]:
                m = _scan_iban(s, i)
                if m is not None:
                    if want & IBAN and m[1] <= w:
                        found[_B_IBAN] = m
                        want &= ~IBAN
                    resume = m[1]
                    continue
            if _DIGIT[c]:
                attempt(_B_PHONE, _scan_nanp, i)
                if c == 48:
                    attempt(_B_PHONE, _scan_trunk, i)
                attempt(_B_CARD, _scan_card, i)
                attempt(_B_US_SSN, _scan_ssn, i)
                attempt(_B_ES_DNI, _scan_dni, i)
                attempt(_B_NL_BSN, _scan_bsn, i)
                attempt(_B_IPV4, _scan_ipv4, i)
                attempt(_B_IPV6, _scan_ipv6, i)
                continue
            if _UPPER[c]:
                attempt(_B_UK_NINO, _scan_nino, i)
                if c >= 88:
                    attempt(_B_ES_DNI, _scan_dni, i)
            if c in b"bB":
                attempt(_B_BEARER, _scan_bearer, i)
            if c in b"srgxA":
                attempt(_B_API_KEY, _scan_api_key, i)
            if c == 101:
                attempt(_B_JWT, _scan_jwt, i)
            if _HEX[c]:
                attempt(_B_IPV6, _scan_ipv6, i)
        elif c == 64:
            attempt(_B_EMAIL, _scan_email, i)
        elif c == 43:
            attempt(_B_PHONE, _scan_e164, i)
        elif c == 40:
            attempt(_B_PHONE, _scan_nanp, i)
            attempt(_B_PHONE, _scan_trunk, i)
        elif c == 58:
            attempt(_B_IPV6, _scan_ipv6, i)
        elif c == 45:
            attempt(_B_PRIVATE_KEY, _scan_private_key, i)
    return found


def _first(found: dict) -> int:
    """Bit of the first match: earliest start, then longest, then lowest bit."""
    best = -1
    for bit in sorted(found):
        start, end = found[bit]
        if best < 0:
            best = bit
            continue
        bstart, bend = found[best]
        if start < bstart or (start == bstart and end - start > bend - bstart):
            best = bit
    return best


def _utf8(value: Value) -> bytes:
    """The bytes the detectors look at: at most the window and the peek."""
    if isinstance(value, str):
        return value[:SCAN_MAX + PEEK].encode("utf-8", "surrogatepass")[:SCAN_MAX + PEEK]
    return bytes(memoryview(value)[:SCAN_MAX + PEEK])


def _name_ok(name: str) -> bool:
    return 0 < len(name) <= NAME_MAX and re.fullmatch(r"[A-Za-z0-9_.\-]+", name) is not None


class Detector:
    """A set of detectors: the built-ins plus custom patterns. Build it once,
    then scan from any number of threads (scanning only reads it)."""

    def __init__(self) -> None:
        self._kinds = BUILTIN
        self._patterns: list = []   # (name, compiled, categories)

    def set_kinds(self, kinds: int) -> None:
        """Which built-in kinds to look for (default: all)."""
        self._kinds = kinds & BUILTIN

    def add_pattern(self, name: str, regex: str, categories: int) -> None:
        """Adds a custom pattern (Python's re, ASCII classes: the common subset
        of PCRE2 and re). Raises PatternError naming the pattern."""
        if not isinstance(name, str) or not _name_ok(name):
            raise PatternError(
                'custom pattern name "%.80s": use 1 to %d characters of A-Z a-z 0-9 _ . -'
                % (name, NAME_MAX))
        if any(p[0] == name for p in self._patterns):
            raise PatternError("custom pattern '%s' is defined twice" % name)
        if categories == 0 or categories & ~((1 << CAT_COUNT) - 1):
            raise PatternError(
                "custom pattern '%s': categories 0x%x are not a non-empty set of data categories"
                % (name, categories))
        try:
            compiled = re.compile(regex, re.ASCII)
        except re.error as exc:
            raise PatternError("custom pattern '%s': %s at offset %d"
                               % (name, exc.msg, exc.pos or 0)) from None
        if compiled.search("") is not None:
            raise PatternError("custom pattern '%s': matches the empty string, "
                               "so it would match every value" % name)
        self._patterns.append((name, compiled, categories))

    def pattern_count(self) -> int:
        return len(self._patterns)

    def pattern_name(self, index: int) -> Optional[str]:
        return self._patterns[index][0] if 0 <= index < len(self._patterns) else None

    def scan(self, value: Value) -> tuple:
        """Scans the first SCAN_MAX bytes of VALUE (str or bytes-like): returns
        (kinds found, Match of the first match)."""
        data = _utf8(value)
        found = _scan_builtin(data, self._kinds) if data else {}
        kinds = 0
        for bit in found:
            kinds |= 1 << bit
        cats = categories(kinds)
        bit = _first(found)
        best_kind, best_start, best_len, best_pattern = 0, 0, 0, -1
        if bit >= 0:
            best_kind = 1 << bit
            best_start, end = found[bit]
            best_len = end - best_start
        if self._patterns and data:
            w = min(len(data), SCAN_MAX)
            while w < len(data) and w > 0 and SCAN_MAX - w < 3 and data[w] & 0xC0 == 0x80:
                w -= 1
            text = data[:w].decode("utf-8", "surrogateescape")
            for index, (_, compiled, pcats) in enumerate(self._patterns):
                m = compiled.search(text)
                if m is None:
                    continue
                kinds |= CUSTOM
                cats |= pcats
                start = len(text[:m.start()].encode("utf-8", "surrogateescape"))
                n = len(m.group(0).encode("utf-8", "surrogateescape"))
                if not best_kind or start < best_start or (start == best_start and n > best_len):
                    best_kind, best_start, best_len, best_pattern = CUSTOM, start, n, index
        return kinds, Match(best_kind, best_start, best_len, best_pattern, cats)


# ---- previews -------------------------------------------------------------

def _char_len(p: bytes, k: int, n: int) -> int:
    """Length of the valid, printable UTF-8 character at P[K:N], 0 if none."""
    if k >= n:
        return 0
    c = p[k]
    if c < 0x80:
        return 1 if 0x20 < c < 0x7F else 0
    if 0xC2 <= c <= 0xDF:
        length, cp, low = 2, c & 0x1F, 0x80
    elif 0xE0 <= c <= 0xEF:
        length, cp, low = 3, c & 0x0F, 0x800
    elif 0xF0 <= c <= 0xF4:
        length, cp, low = 4, c & 0x07, 0x10000
    else:
        return 0
    if n - k < length:
        return 0
    for q in range(1, length):
        if p[k + q] & 0xC0 != 0x80:
            return 0
        cp = cp << 6 | (p[k + q] & 0x3F)
    if cp < low or cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
        return 0
    if cp < 0xA0 or cp in (0x2028, 0x2029):
        return 0
    return length


def _first_char(p: bytes) -> bytes:
    k = 0
    while k < len(p) and p[k] in b" \t\n\r\f\v":
        k += 1
    n = _char_len(p, k, len(p))
    return p[k:k + n] + b"***"


_NUMBER_SEPARATORS = frozenset(b" -.()+/")


def _number_shaped(p: bytes) -> bool:
    """The whole of P looks like one number (digits and separators), as a
    card or phone number its detector did not match is written."""
    return bool(p) and all(48 <= c <= 57 or c in _NUMBER_SEPARATORS for c in p)


def _digits(p: bytes) -> bytes:
    digits = [c for c in p if 48 <= c <= 57]
    if len(digits) < 8:
        return b"***"
    return b"*" * min(len(digits) - 4, 15) + bytes(digits[-4:])


def _email(p: bytes) -> bytes:
    at = p.rfind(b"@")
    if at < 0:
        return _first_char(p)
    out = p[:_char_len(p, 0, at)] + b"***@"
    dom = p[at + 1:]
    out += dom[:_char_len(dom, 0, len(dom))] + b"***"
    dot = dom.rfind(b".")
    if dot < 0:
        return out
    tld = dom[dot + 1:]
    if 0 < len(tld) <= 16 and all(_ALNUM[c] or c == 45 for c in tld):
        out += b"." + tld
    return out


def redact(value: Value, kinds: int) -> str:
    """The redacted preview of VALUE, as sst_redact writes it: the first match
    of a kind in KINDS in its style (j***@e***.com, ************4242, J***),
    else the whole value in the digit style when it is number-shaped and
    KINDS has card or phone, else as J***."""
    data = _utf8(value)
    w = min(len(data), SCAN_MAX)
    found = _scan_builtin(data, kinds) if data else {}
    bit = _first(found)
    if bit >= 0:
        start, end = found[bit]
        p = data[start:end]
        kind = 1 << bit
        if kind == EMAIL:
            out = _email(p)
        elif kind in (CARD, PHONE):
            out = _digits(p)
        else:
            out = _first_char(p)
    elif kinds & (CARD | PHONE) and _number_shaped(data[:w]):
        out = _digits(data[:w])
    else:
        out = _first_char(data[:w])
    return out.decode("utf-8")
