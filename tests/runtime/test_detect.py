"""Tests of the pure-Python mirror of the value detectors (sst_runtime._detect).

The mirror is checked against the same case table as the C detectors
(tests/detect_cases.json), then against the C code itself: when SST_DETECT_DUMP
names the detect-dump tool (CMake sets it for this test), tens of thousands of
generated values go through both and every answer must be identical.

Run: /usr/bin/python3 tests/runtime/test_detect.py
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import subprocess
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "tests" / "detect_cases.json"


def _load_mirror():
    """The mirror from the source tree, without importing the whole package."""
    path = ROOT / "runtime" / "sst_runtime" / "_detect.py"
    spec = importlib.util.spec_from_file_location("sst_runtime_detect_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


D = _load_mirror()
CATEGORY_NAMES = ("email", "phone", "name", "address", "birth_date", "government_id",
                  "financial", "health", "credentials", "location", "network_id", "user_text")


def kind_bits(names) -> int:
    bits = 0
    for name in names:
        bits |= 1 << D.KIND_NAMES.index(name)
    return bits


def category_bits(names) -> int:
    bits = 0
    for name in names:
        bits |= 1 << CATEGORY_NAMES.index(name)
    return bits


def case_value(case: dict) -> bytes:
    pad = case.get("pad", 0) * case.get("pad_with", " ")
    return (pad + case["input"]).encode("utf-8")


def load_table() -> dict:
    with open(TABLE, encoding="utf-8") as f:
        return json.load(f)


class TableTest(unittest.TestCase):
    """Every case of the shared table, exactly as the CUnit suite checks it."""

    table = load_table()

    def check_scan(self, detector, cases, section: str) -> None:
        for index, case in enumerate(cases):
            with self.subTest(section=section, index=index, input=case["input"][-60:]):
                value = case_value(case)
                kinds, m = detector.scan(value)
                self.assertEqual(kinds, kind_bits(case["kinds"]))
                first = case.get("first")
                self.assertEqual(m.kind, kind_bits([first]) if first else 0)
                if "match" in case:
                    self.assertEqual(value[m.start:m.start + m.len], case["match"].encode("utf-8"))
                if "pattern" in case:
                    self.assertEqual(detector.pattern_name(m.pattern), case["pattern"])
                elif m.kind != D.CUSTOM:
                    self.assertEqual(m.pattern, -1)
                if "categories" in case:
                    self.assertEqual(m.categories, category_bits(case["categories"]))
                else:
                    self.assertEqual(m.categories, D.categories(kinds))
                self.assertEqual(D.redact(value, kinds), case["redacted"])
                # A str value gives the same answers as its UTF-8 bytes.
                text = value.decode("utf-8")
                self.assertEqual(detector.scan(text), (kinds, m))
                self.assertEqual(D.redact(text, kinds), case["redacted"])

    def test_scan_cases(self) -> None:
        self.check_scan(D.Detector(), self.table["scan"], "scan")

    def test_redact_cases(self) -> None:
        for index, case in enumerate(self.table["redact"]):
            with self.subTest(index=index, input=case["input"]):
                self.assertEqual(D.redact(case_value(case), kind_bits(case["kinds"])),
                                 case["redacted"])

    def test_custom_cases(self) -> None:
        detector = D.Detector()
        custom = self.table["custom"]
        for p in custom["patterns"]:
            detector.add_pattern(p["name"], p["regex"], category_bits(p["categories"]))
        self.assertEqual(detector.pattern_count(), len(custom["patterns"]))
        self.check_scan(detector, custom["scan"], "custom")


class ApiTest(unittest.TestCase):

    def test_kind_names(self) -> None:
        self.assertEqual(D.kind_name(0), "email")
        self.assertEqual(D.kind_name(2), "card")
        self.assertEqual(D.kind_name(7), "nl_bsn")
        self.assertEqual(D.kind_name(13), "private_key")
        self.assertEqual(D.kind_name(14), "custom")
        self.assertIsNone(D.kind_name(15))

    def test_categories(self) -> None:
        self.assertEqual(D.categories(D.EMAIL), D.CAT_EMAIL)
        self.assertEqual(D.categories(D.PHONE), D.CAT_PHONE)
        self.assertEqual(D.categories(D.CARD | D.IBAN), D.CAT_FINANCIAL)
        self.assertEqual(D.categories(D.US_SSN | D.UK_NINO | D.ES_DNI | D.NL_BSN),
                         D.CAT_GOVERNMENT_ID)
        self.assertEqual(D.categories(D.IPV4 | D.IPV6), D.CAT_NETWORK_ID)
        self.assertEqual(D.categories(D.BEARER | D.API_KEY | D.JWT | D.PRIVATE_KEY),
                         D.CAT_CREDENTIALS)
        self.assertEqual(D.categories(D.CUSTOM), 0)
        self.assertEqual(D.categories(D.EMAIL | D.CARD | D.IPV6),
                         D.CAT_EMAIL | D.CAT_FINANCIAL | D.CAT_NETWORK_ID)

    def test_pattern_errors(self) -> None:
        d = D.Detector()
        with self.assertRaises(D.PatternError) as cm:
            d.add_pattern("order_ref", r"ORD-(\d{4}", D.CAT_USER_TEXT)
        self.assertEqual(str(cm.exception), "custom pattern 'order_ref': "
                         "missing ), unterminated subpattern at offset 4")
        with self.assertRaises(D.PatternError) as cm:
            d.add_pattern("any", "x*", D.CAT_USER_TEXT)
        self.assertEqual(str(cm.exception), "custom pattern 'any': "
                         "matches the empty string, so it would match every value")
        with self.assertRaises(D.PatternError) as cm:
            d.add_pattern("has space", "abc", D.CAT_USER_TEXT)
        self.assertEqual(str(cm.exception), 'custom pattern name "has space": '
                         'use 1 to 64 characters of A-Z a-z 0-9 _ . -')
        with self.assertRaises(D.PatternError):
            d.add_pattern("", "abc", D.CAT_USER_TEXT)
        with self.assertRaises(D.PatternError) as cm:
            d.add_pattern("nocat", "abc", 0)
        self.assertEqual(str(cm.exception), "custom pattern 'nocat': "
                         "categories 0x0 are not a non-empty set of data categories")
        with self.assertRaises(D.PatternError):
            d.add_pattern("badcat", "abc", 1 << D.CAT_COUNT)
        d.add_pattern("dup", "abc", D.CAT_USER_TEXT)
        with self.assertRaises(D.PatternError) as cm:
            d.add_pattern("dup", "def", D.CAT_USER_TEXT)
        self.assertEqual(str(cm.exception), "custom pattern 'dup' is defined twice")
        self.assertEqual(d.pattern_count(), 1)
        self.assertEqual(d.pattern_name(0), "dup")
        self.assertIsNone(d.pattern_name(1))
        kinds, m = d.scan("xx def abc")
        self.assertEqual((kinds, m.start, m.pattern), (D.CUSTOM, 7, 0))

    def test_set_kinds(self) -> None:
        d = D.Detector()
        v = "ip 203.0.113.7 mail a@b.io"
        kinds, m = d.scan(v)
        self.assertEqual((kinds, m.kind), (D.IPV4 | D.EMAIL, D.IPV4))
        d.set_kinds(D.BUILTIN & ~D.IPV4)
        self.assertEqual(d.scan(v), (D.EMAIL, D.Match(D.EMAIL, 20, 6, -1, D.CAT_EMAIL)))
        d.set_kinds(0)
        self.assertEqual(d.scan(v), (0, D.Match(0, 0, 0, -1, 0)))

    def test_hostile_input(self) -> None:
        d = D.Detector()
        d.add_pattern("ticket", "TCK-[0-9]+", D.CAT_USER_TEXT)
        n = 10 << 20
        self.assertEqual(d.scan(b"7" * n)[0], 0)
        self.assertEqual(D.redact(b"7" * n, D.CARD), "***************7777")
        self.assertEqual(d.scan(b"@" * n)[0], 0)
        kinds, m = d.scan(b"a@b.co " * (n // 7))
        self.assertEqual((kinds, m.start, m.len), (D.EMAIL, 0, 6))
        self.assertEqual(d.scan(b"1 " * (n // 2))[0], 0)
        self.assertEqual(d.scan(b":" * n)[0], 0)
        self.assertEqual(d.scan("7" * n)[0], 0)
        big = bytearray(b" " * n)
        big[4090:4096] = b"TCK-12"
        kinds, m = d.scan(big)
        self.assertEqual((kinds, m.start, m.len), (D.CUSTOM, 4090, 6))
        big = bytearray(b" " * n)
        big[4091:4097] = b"TCK-12"
        kinds, m = d.scan(big)
        self.assertEqual((kinds, m.start, m.len), (D.CUSTOM, 4091, 5))
        big = bytearray(b" " * n)
        big[4093:4099] = b"TCK-12"
        self.assertEqual(d.scan(big)[0], 0)

    def test_first_match_ties(self) -> None:
        d = D.Detector()
        d.add_pattern("short", "ab", D.CAT_NAME)
        d.add_pattern("long", "ab@cd", D.CAT_ADDRESS)
        d.add_pattern("mail", r"ab@cd\.io", D.CAT_HEALTH)
        kinds, m = d.scan("ab@cd.io")
        self.assertEqual(kinds, D.EMAIL | D.CUSTOM)
        self.assertEqual(m, D.Match(D.EMAIL, 0, 8, -1,
                                    D.CAT_EMAIL | D.CAT_NAME | D.CAT_ADDRESS | D.CAT_HEALTH))
        kinds, m = d.scan("ab@cd.io_")
        self.assertEqual((kinds, m.pattern, m.len), (D.CUSTOM, 2, 8))
        kinds, m = d.scan("ab@cd")
        self.assertEqual((kinds, m.pattern, m.categories),
                         (D.CUSTOM, 1, D.CAT_NAME | D.CAT_ADDRESS))

    def test_pattern_utf8(self) -> None:
        d = D.Detector()
        d.add_pattern("kunde", r"Kundennr\.? ?\d{3}.\d", D.CAT_USER_TEXT)
        kinds, m = d.scan("Größe: Kundennr 123ü4")
        self.assertEqual((kinds, m.start, m.len), (D.CUSTOM, 9, 15))

    def test_redact_random_bytes(self) -> None:
        pieces = [b"a@b.io", "ü".encode(), b"\xff", b"\xc3", b"4242 4242 4242 4242", b" ",
                  b"+49 151 1234567", b"@", b".", "\u2028".encode(), b"\x01",
                  b"DE89370400440532013000", b"Bearer abcdef0123456789", "😀".encode()]
        rng = random.Random(12345)
        for _ in range(3000):
            value = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
            kinds = rng.getrandbits(15)
            out = D.redact(value, kinds)
            self.assertLess(len(out.encode("utf-8")), D.REDACT_MAX)


def _generate(rng: random.Random, fragments: list) -> bytes:
    """A value built from table inputs, their pieces and noise."""
    noise = [b" ", b"-", b".", b"/", b":", b"::", b"(", b")", b"+", b"@", b"_", b"0", b"1", b"9",
             b"4242", b"0151", b"(0)", b" 12", b"A", b"X", b"ssn ", b"BSN ", b"Bearer ", b"eyJ",
             b"\xff", b"\xc3", "ü".encode(), b"\n", b"sk-", b"a", b"e", b"DE89", b"x", b".com",
             b"EMP-123456", b"TCK1234"]
    parts = []
    for _ in range(rng.randint(1, 6)):
        r = rng.random()
        if r < 0.45:
            frag = rng.choice(fragments)
            if rng.random() < 0.5 and len(frag) > 2:
                a = rng.randrange(len(frag))
                b = rng.randrange(a, len(frag) + 1)
                frag = frag[a:b]
            if rng.random() < 0.3:
                frag = bytearray(frag)
                for _ in range(rng.randint(1, 3)):
                    if frag:
                        k = rng.randrange(len(frag))
                        frag[k] = rng.choice(b"0123456789 -.:@+AZaz")
                frag = bytes(frag)
            parts.append(frag)
        elif r < 0.9:
            parts.append(rng.choice(noise))
        else:
            parts.append(bytes(rng.randrange(256) for _ in range(rng.randint(1, 6))))
    value = b"".join(parts)
    if rng.random() < 0.05:
        value = b" " * rng.randint(4060, 4100) + value
    return value


@unittest.skipUnless(os.environ.get("SST_DETECT_DUMP"),
                     "set SST_DETECT_DUMP to the detect-dump tool to compare with the C code")
class DifferentialTest(unittest.TestCase):
    """The mirror and the C detectors give identical answers."""

    ROUNDS = 20000

    def test_same_answers_as_c(self) -> None:
        table = load_table()
        fragments = [case_value(c) for c in table["scan"]]
        fragments += [case_value(c) for c in table["redact"]]
        fragments += [case_value(c) for c in table["custom"]["scan"]]
        detector = D.Detector()
        requests = []
        for p in table["custom"]["patterns"]:
            detector.add_pattern(p["name"], p["regex"], category_bits(p["categories"]))
            requests.append("P %s %d %s" % (p["name"], category_bits(p["categories"]),
                                            p["regex"].encode("utf-8").hex()))
        rng = random.Random(20240611)
        values = [_generate(rng, fragments) for _ in range(self.ROUNDS)]
        values += fragments
        explicit = [(rng.getrandbits(15), rng.choice(values)) for _ in range(self.ROUNDS // 4)]
        for v in values:
            requests.append("S " + (v.hex() or "-"))
        for kinds, v in explicit:
            requests.append("R %d %s" % (kinds, v.hex() or "-"))
        result = subprocess.run([os.environ["SST_DETECT_DUMP"]], input="\n".join(requests) + "\n",
                                capture_output=True, text=True, check=True)
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), len(requests))
        answers = iter(lines)
        for _ in table["custom"]["patterns"]:
            self.assertEqual(next(answers), "ok")
        mismatches = []
        for v in values:
            kinds, m = detector.scan(v)
            preview = D.redact(v, kinds).encode("utf-8").hex() or "-"
            mine = "%d %d %d %d %d %d %s" % (kinds, m.kind, m.start, m.len, m.pattern,
                                             m.categories, preview)
            theirs = next(answers)
            if mine != theirs:
                mismatches.append((v, mine, theirs))
        for kinds, v in explicit:
            mine = D.redact(v, kinds).encode("utf-8").hex() or "-"
            theirs = next(answers)
            if mine != theirs:
                mismatches.append((v, "R %d %s" % (kinds, mine), theirs))
        self.assertEqual(mismatches[:5], [])
        self.assertEqual(len(mismatches), 0)


if __name__ == "__main__":
    unittest.main()
