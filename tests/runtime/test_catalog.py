"""The fallback's catalogue reader agrees with the C catalogue the extension
links (rewriter/catalog.c): the same entries and the same categories for
every identifier of a large sample (names of the standard library and
variants of every phrase of names.cat)."""
from __future__ import annotations

import importlib
import inspect
import os
import re
import unittest

from rtsupport import ROOT  # (also puts the package on sys.path)
from sst_runtime import _catalog, _fallback, _sst

MODULES = ["os", "json", "email.message", "email.utils", "http.client", "urllib.request", "logging",
           "smtplib", "sqlite3", "collections", "argparse", "difflib", "textwrap", "ssl", "socket",
           "datetime", "decimal", "csv", "configparser", "shutil", "subprocess", "tarfile", "zipfile"]


def sample_names():
    names = set()
    for mod_name in MODULES:
        mod = importlib.import_module(mod_name)
        for attr, value in vars(mod).items():
            names.add(attr)
            code = getattr(value, "__code__", None)
            if code is not None:
                names.update(code.co_varnames)
            if inspect.isclass(value):
                for member in vars(value).values():
                    code = getattr(member, "__code__", None)
                    if code is not None:
                        names.update(code.co_varnames)
    with open(os.path.join(ROOT, "rewriter", "catalog", "names.cat"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0]
            if ":" not in line:
                continue
            for phrase in line.split(":", 1)[1].split(","):
                words = phrase.split()
                if not words:
                    continue
                names.add("_".join(words))
                names.add("user_" + "_".join(words) + "_2")
                names.add(words[0] + "".join(w.capitalize() for w in words[1:]))
                names.add("".join(w.upper() for w in words))
                names.add("_".join(words) + "_template")
    return sorted(n for n in names if isinstance(n, str))


class CatalogParityTests(unittest.TestCase):
    def test_names_of_categories_and_detectors(self):
        self.assertEqual(_sst.category_names(), _fallback.category_names())
        self.assertEqual(_sst.detector_names(), _fallback.detector_names())

    def test_every_identifier_gets_the_same_categories(self):
        names = sample_names()
        self.assertGreater(len(names), 4000)
        differ = [(n, _sst.classify_name(n), _fallback.classify_name(n)) for n in names
                  if _sst.classify_name(n) != _fallback.classify_name(n)]
        self.assertEqual(differ, [])
        some = {n: _sst.classify_name(n) for n in ("userEmail", "email_template", "salary", "ip_address")}
        self.assertEqual(some, {"userEmail": ("email",), "email_template": (), "salary": ("financial",),
                                "ip_address": ("network_id",)})

    def test_every_entry_is_the_same(self):
        catalog = _catalog.load_builtin()
        self.assertGreater(len(catalog.entries), 50)
        for path in sorted(catalog.entries):
            self.assertEqual(_sst.catalog_lookup(path), _fallback.catalog_lookup(path), path)
        for path in ("requests", "requests.nothing", "", "flask.request"):
            self.assertIsNone(_sst.catalog_lookup(path))
            self.assertIsNone(_fallback.catalog_lookup(path))

    def test_the_shipped_data_is_the_compiled_data(self):
        here = os.path.join(os.path.dirname(_catalog.__file__), "catalog")
        source = os.path.join(ROOT, "rewriter", "catalog")
        shipped = sorted(f for f in os.listdir(here) if f.endswith(".cat"))
        self.assertEqual(shipped, sorted(f for f in os.listdir(source) if f.endswith(".cat")))
        for name in shipped:
            with open(os.path.join(here, name), "rb") as a, open(os.path.join(source, name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)

    def test_tokenizer_examples(self):
        words = _catalog._tokenize
        self.assertEqual(words(b"HTTPServer"), [b"http", b"server"])
        self.assertEqual(words(b"userEmail2_addr"), [b"user", b"email", b"addr"])
        self.assertEqual(words(b"__x"), [b"x"])
        self.assertTrue(re.fullmatch(rb"[a-z]{23}", words(b"a" * 40)[0]))


if __name__ == "__main__":
    unittest.main()
