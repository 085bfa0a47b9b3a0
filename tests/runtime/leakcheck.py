"""Runs the runtime's test suites over and over in one process and prints,
after each round, the interpreter's allocated blocks (sys.getallocatedblocks),
the process's resident memory, the tagged values and the allocations that
tracemalloc sees. A leak of one object per test would add about 70 blocks a
round. (unittest's class clean-ups and asyncio's task reprs keep a handful of
objects per round; tracemalloc shows no growth attributed to sst_runtime.)

    SST_RUNTIME=c PYTHONPATH=build/python /usr/bin/python3 tests/runtime/leakcheck.py [ROUNDS]

test_leaks.py runs it with a few rounds and checks the figures.
"""
from __future__ import annotations

import gc
import io
import os
import sys
import tracemalloc
import unittest
from typing import List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import test_seed  # noqa: E402
import test_sinks  # noqa: E402
import test_tags  # noqa: E402
from rtsupport import rt  # noqa: E402

SUITES = (test_tags, test_sinks, test_seed)


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def one_round() -> None:
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromModule(m) for m in SUITES)
    result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)
    if not result.wasSuccessful():
        raise SystemExit(f"the suite failed: {result.failures + result.errors}")


def measure(rounds: int) -> List[Tuple[int, int, int, int]]:
    """(allocated blocks, RSS KiB, tagged values, tracemalloc bytes) after each round."""
    figures = []
    tracemalloc.start()
    for _ in range(rounds):
        one_round()
        gc.collect()
        figures.append((sys.getallocatedblocks(), rss_kib(), rt.stats()["tagged"],
                        tracemalloc.get_traced_memory()[0]))
    tracemalloc.stop()
    return figures


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    print(f"implementation {rt.IMPLEMENTATION}, {rounds} rounds of {len(SUITES)} suites")
    print(f"{'round':>5} {'blocks':>9} {'rss KiB':>9} {'tagged':>7} {'traced B':>10}")
    for i, (blocks, rss, tagged, traced) in enumerate(measure(rounds), 1):
        print(f"{i:>5} {blocks:>9} {rss:>9} {tagged:>7} {traced:>10}")


if __name__ == "__main__":
    main()
