"""The C extension's fast path allocates nothing: with nothing tagged in the
current context (and nothing for the detectors to find), the injected
functions and a wrapped sink call make no Python allocation at all, as
tracemalloc's peak shows (any object made and freed would raise it).
Registered for the extension only: the fallback is Python code, whose calls
allocate by nature."""
from __future__ import annotations

import itertools
import tracemalloc
import unittest

from rtsupport import RuntimeCase, rt


class FastPathTests(RuntimeCase):
    def test_nothing_tagged_allocates_nothing(self):
        self.assertEqual(rt.IMPLEMENTATION, "c")
        names = ("note", "comment")   # names that mean nothing
        site = ("flask.request.form", "email")
        value = ("plain text without personal data" + "!")[:-1]
        data = {"k": [1, 2, value], "n": 3.5}
        sources = (value, data)
        with rt.context() as ctx:
            # Warm the caches (catalogue answers, free lists) first.
            rt.external("requests.post", len, sources)(data)
            rt.store("logging.info", len, ())(value)
            self.assertEqual(ctx.tagged, 0)
            tracemalloc.start()
            try:
                rounds = itertools.repeat(None, 2000)   # made before the window opens
                before = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
                for _ in rounds:
                    rt.flow(value, value, data)
                    rt.carry(value)
                    rt.derive(sources, value)
                    rt.params(names, value, value)
                    rt.source(site, None)
                    rt.external("requests.post", len, sources)(data)
                    rt.store("logging.info", len, ())(value)
                current, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            self.assertEqual((current, peak), (before, before))
            self.assertEqual(rt.events(), [])

    def test_untagged_calls_of_the_full_profile_allocate_nothing(self):
        with rt.context() as ctx:
            v = ("x" * 5 + "!")[:-1]
            tracemalloc.start()
            try:
                rounds = itertools.repeat(None, 2000)
                before = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
                for _ in rounds:
                    rt.params(("note",), v)          # a name that means nothing, a value that matches nothing
                    rt.flow(v, v)
                current, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            self.assertEqual((current, peak), (before, before))
            self.assertEqual(ctx.tagged, 0)


if __name__ == "__main__":
    unittest.main()
