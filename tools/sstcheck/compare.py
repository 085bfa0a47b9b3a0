"""Node-by-node comparison of two Python ASTs: node types, every field, and
the line span (lineno, end_lineno) of every node that has one. Columns are
not compared: text inserted on a line moves the columns after it."""

from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass
from typing import Callable, Iterable

LINE_ATTRIBUTES = ("lineno", "end_lineno")


@dataclass(frozen=True)
class Difference:
    """The first place where two trees differ."""
    path: str        # e.g. "body[3].value.args[0].lineno"
    expected: str    # what the original tree holds there
    got: str         # what the other tree holds there
    line: int = 0    # line of the nearest enclosing node of the original

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path}: expected {self.expected}, got {self.got}"


def line_mapper(added_lines: Iterable[int]) -> Callable[[int], int]:
    """A function mapping a line of the rewritten file back to the line of the
    original, given the original lines before which a line was added (the
    manifest's "added_lines")."""
    added = sorted(added_lines)
    # The i-th added line (0-based) sits at output line added[i] + i.
    positions = [line + i for i, line in enumerate(added)]

    def original_line(line: int) -> int:
        return line - bisect.bisect_left(positions, line)

    return original_line


def _describe(value: object) -> str:
    if isinstance(value, ast.AST):
        text = ast.dump(value)
        if len(text) > 120:
            text = text[:117] + "..."
        return text
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return repr(value)


def _same_constant(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and a != a:      # a NaN equals a NaN here
        return b != b
    if isinstance(a, complex):
        return repr(a) == repr(b)
    if isinstance(a, (tuple, frozenset)):
        return repr(a) == repr(b)
    return a == b


def compare_trees(expected: ast.AST, got: ast.AST, *, lines: bool = True,
                  map_line: Callable[[int], int] | None = None
                  ) -> Difference | None:
    """Compares EXPECTED (the original) with GOT node by node and returns the
    first difference in pre-order, or None when they are equal. With LINES,
    the line span of every node is compared too, after passing GOT's lines
    through MAP_LINE when given."""
    # An explicit stack: the trees of some test modules nest deeply.
    stack: list[tuple[str, object, object, int]] = [("", expected, got, 0)]
    while stack:
        path, a, b, line = stack.pop()
        if isinstance(a, ast.AST) or isinstance(b, ast.AST):
            if type(a) is not type(b):
                return Difference(path or "<root>", _describe(a), _describe(b),
                                  getattr(a, "lineno", None) or line)
            line = getattr(a, "lineno", None) or line
            if lines:
                for attr in LINE_ATTRIBUTES:
                    la = getattr(a, attr, None)
                    lb = getattr(b, attr, None)
                    if lb is not None and map_line is not None:
                        lb = map_line(lb)
                    if la != lb:
                        where = f"{path}.{attr}" if path else attr
                        return Difference(where, repr(la), repr(lb), line)
            children = []
            for field in a._fields:
                sub = f"{path}.{field}" if path else field
                children.append((sub, getattr(a, field, None),
                                 getattr(b, field, None), line))
            stack.extend(reversed(children))
        elif isinstance(a, list) or isinstance(b, list):
            if not (isinstance(a, list) and isinstance(b, list)):
                return Difference(path, _describe(a), _describe(b), line)
            if len(a) != len(b):
                # Name the first element that differs, not just the count.
                for i, (x, y) in enumerate(zip(a, b)):
                    inner = compare_trees(x, y, lines=lines, map_line=map_line)
                    if inner is not None:
                        sub = inner.path.replace("<root>", "")
                        if sub and not sub.startswith("."):
                            sub = "." + sub
                        return Difference(f"{path}[{i}]{sub}",
                                          inner.expected, inner.got,
                                          inner.line or line)
                n = min(len(a), len(b))
                return Difference(f"{path}[{n}]",
                                  _describe(a[n]) if n < len(a) else "nothing",
                                  _describe(b[n]) if n < len(b) else "nothing",
                                  getattr(b[n] if n < len(b) else a[n], "lineno",
                                          None) or line)
            stack.extend(reversed([(f"{path}[{i}]", x, y, line)
                                   for i, (x, y) in enumerate(zip(a, b))]))
        elif not _same_constant(a, b):
            return Difference(path, _describe(a), _describe(b), line)
    return None
