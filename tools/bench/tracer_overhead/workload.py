"""The call-heavy pure-Python workload of tools/bench/tracer-overhead, and the
worker that runs it under one configuration:

    workload.py CONFIG --passes N [--reference-dir DIR]

prints one JSON line: the best CPU time of a pass (time.process_time), the
number of Python calls a pass makes, and a digest of the results (every
configuration must compute the same). The workload: a recursive-descent
parser and evaluator of arithmetic expressions, an order model of small
classes (properties, methods, dataclasses), generators and closures, and
pure-Python standard library code (textwrap, difflib, the pure-Python JSON
encoder). None of it calls a watched function: this is the cost of the
tracer on code that is not sending anything, i.e. nearly all of a program.
"""
from __future__ import annotations

import argparse
import dataclasses
import difflib
import hashlib
import json
import json.encoder
import os
import sys
import textwrap
import time
from typing import Any, Callable, Dict, Iterator, List

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- the workload ------------------------------------------------------------


class Parser:
    """expr := term (('+'|'-') term)*; term := factor (('*'|'/') factor)*;
    factor := NUMBER | '(' expr ')' | '-' factor."""

    def __init__(self, text: str) -> None:
        self.tokens = self.tokenize(text)
        self.pos = 0

    @staticmethod
    def tokenize(text: str) -> List[str]:
        out: List[str] = []
        number = ""
        for ch in text:
            if ch.isdigit():
                number += ch
                continue
            if number:
                out.append(number)
                number = ""
            if not ch.isspace():
                out.append(ch)
        if number:
            out.append(number)
        return out

    def peek(self) -> str:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ""

    def take(self) -> str:
        token = self.peek()
        self.pos += 1
        return token

    def expr(self) -> int:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        return value

    def term(self) -> int:
        value = self.factor()
        while self.peek() in ("*", "/"):
            if self.take() == "*":
                value *= self.factor()
            else:
                value //= max(1, self.factor())
        return value

    def factor(self) -> int:
        token = self.take()
        if token == "(":
            value = self.expr()
            self.take()
            return value
        if token == "-":
            return -self.factor()
        return int(token)


def expressions(n: int) -> Iterator[str]:
    for i in range(n):
        a, b, c, d = i % 97 + 1, i % 13 + 2, i % 7 + 3, i % 5 + 1
        yield f"({a} + {b}) * {c} - ({d} * ({a} - {b}) / {c}) + -{d}"


@dataclasses.dataclass
class Item:
    sku: str
    price: int
    quantity: int

    @property
    def total(self) -> int:
        return self.price * self.quantity


class Order:
    def __init__(self, number: int) -> None:
        self.number = number
        self.items: List[Item] = []

    def add(self, sku: str, price: int, quantity: int) -> "Order":
        self.items.append(Item(sku, price, quantity))
        return self

    def subtotal(self) -> int:
        return sum(item.total for item in self.items)

    def discount(self, rate: Callable[[int], int]) -> int:
        return rate(self.subtotal())

    def summary(self) -> Dict[str, Any]:
        return {"number": self.number, "lines": len(self.items), "subtotal": self.subtotal(),
                "discount": self.discount(tiered(5, 10))}


def tiered(low: int, high: int) -> Callable[[int], int]:
    def rate(amount: int) -> int:
        return amount * (high if amount > 1000 else low) // 100
    return rate


def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


TEXT = ("Server-side tracking hands personal data to third parties from server code, where no browser "
        "privacy tool can see it. A privacy engineer wants to know which call sites can send which data. ") * 3


def one_pass() -> str:
    digest = hashlib.sha256()
    for text in expressions(2000):
        digest.update(str(Parser(text).expr()).encode())
    for n in range(1500):
        order = Order(n)
        for k in range(6):
            order.add(f"sku-{k}", 100 + n % 50 + k, 1 + (n + k) % 4)
        digest.update(repr(order.summary()).encode())
    digest.update(str(fib(20)).encode())
    for width in (30, 36, 45, 52, 60, 66, 72, 80):
        digest.update(textwrap.fill(TEXT, width=width).encode())
    words = TEXT.split()
    for i in range(80):
        a, b = " ".join(words[i:i + 25]), " ".join(words[i + 3:i + 28])
        digest.update(str(round(difflib.SequenceMatcher(None, a, b).ratio(), 6)).encode())
    encoder = json.encoder.JSONEncoder(sort_keys=True)
    encoder_iter = json.encoder._make_iterencode(  # the pure-Python encoder, not _json's
        {}, encoder.default, json.encoder.py_encode_basestring_ascii, None, float.__repr__, ": ", ", ",
        True, False, True)
    records = [{"id": i, "name": f"user {i}", "tags": ["a", "b", i % 3], "score": i * 0.5} for i in range(600)]
    digest.update("".join(encoder_iter(records, 0)).encode())
    return digest.hexdigest()


def count_calls() -> int:
    """Python function calls of one pass (a profile function counts them)."""
    calls = 0

    def counter(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(counter)
    try:
        one_pass()
    finally:
        sys.setprofile(None)
    return calls


# ---- the configurations ------------------------------------------------------


def configure(name: str, reference_dir: str) -> Callable[[], None]:
    """Starts configuration NAME on this thread; returns its stop."""
    if name == "plain":
        return lambda: None
    if name in ("c-frame", "c-profile"):
        import sst_runtime.trace as trace
        engine = name[2:]
        if not trace.start(engine=engine) or trace.engine() != engine:
            raise SystemExit(f"the C tracer did not start with the {engine} engine")
        if (sys.getprofile() is None) != (engine == "frame"):
            raise SystemExit(f"the {engine} engine: unexpected profile function {sys.getprofile()!r}")
        return trace.stop
    if name in ("py-setprofile", "py-settrace"):
        sys.path.insert(0, HERE)
        from seed_tracer import SeedTracer
        tracer = SeedTracer()
        tracer.start("profile" if name == "py-setprofile" else "trace")
        return tracer.stop
    if name in ("noop-profile", "frame-eval"):
        sys.path.insert(0, reference_dir)
        import tracer_reference as ref  # type: ignore[import-not-found]
        if name == "noop-profile":
            ref.noop_start()
            return ref.noop_stop
        ref.frame_eval_start()
        return ref.frame_eval_stop
    raise SystemExit(f"unknown configuration {name!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config")
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--reference-dir", default="")
    parser.add_argument("--count-calls", action="store_true")
    args = parser.parse_args()
    result: Dict[str, Any] = {}
    if args.count_calls:
        result["calls"] = count_calls()
    one_pass()   # warm up: specialisation, caches, imports
    stop = configure(args.config, args.reference_dir)
    best = float("inf")
    digest = ""
    try:
        for _ in range(args.passes):
            start = time.process_time()
            digest = one_pass()
            best = min(best, time.process_time() - start)
    finally:
        stop()
    result.update(best=best, digest=digest)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
