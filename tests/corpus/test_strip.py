#!/usr/bin/python3
"""Unit tests of tools/sstcheck: removing the injected forms of docs/abi.md
from hand-instrumented snippets gives back the original AST, line numbers
included, and the comparison names the first difference exactly."""

import ast
import os
import sys
import textwrap
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tools"))

from sstcheck.compare import Difference, compare_trees, line_mapper  # noqa: E402
from sstcheck.strip import (is_injected_statement, runtime_call_name,  # noqa: E402
                            strip_source)


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


class StripCase(unittest.TestCase):
    """Helpers: ORIGINAL and INSTRUMENTED must have the same line count."""

    def assertStripsTo(self, instrumented, original, added_lines=()):
        if isinstance(original, str):
            self.assertEqual(
                original.count("\n") + len(added_lines),
                instrumented.count("\n"),
                "test data: the instrumented text must keep the line count")
        expected = ast.parse(original)
        got = strip_source(instrumented)
        self.assertEqual(ast.dump(got), ast.dump(expected))
        mapper = line_mapper(added_lines) if added_lines else None
        self.assertIsNone(compare_trees(expected, got, map_line=mapper))

    def assertFirstDifference(self, instrumented, original, difference):
        got = strip_source(instrumented)
        self.assertEqual(compare_trees(ast.parse(original), got), difference)


class TestPrologue(StripCase):
    def test_after_docstring(self):
        self.assertStripsTo(
            '"""doc"""; import sst_runtime as __sst__; __sst__.abi(1)\nx = 1\n',
            '"""doc"""\nx = 1\n')

    def test_before_first_simple_statement(self):
        self.assertStripsTo(
            "import sst_runtime as __sst__; __sst__.abi(1); import os\n",
            "import os\n")

    def test_after_future_imports(self):
        self.assertStripsTo(
            src('''
                """Doc."""
                from __future__ import annotations
                from __future__ import division; import sst_runtime as __sst__; __sst__.abi(1)
                import os
            '''),
            src('''
                """Doc."""
                from __future__ import annotations
                from __future__ import division
                import os
            '''))

    def test_on_blank_line_after_shebang_and_latin1_cookie(self):
        original = ("#!/usr/bin/env python\n# -*- coding: latin-1 -*-\n\n"
                    "name = 'caf\xe9'\nif name:\n    pass\n").encode("latin-1")
        instrumented = ("#!/usr/bin/env python\n# -*- coding: latin-1 -*-\n"
                        "import sst_runtime as __sst__; __sst__.abi(1)\n"
                        "name = 'caf\xe9'\nif name:\n    pass\n").encode("latin-1")
        got = strip_source(instrumented)
        expected = ast.parse(original)
        self.assertEqual(got.body[0].value.value, "caf\xe9")
        self.assertIsNone(compare_trees(expected, got))

    def test_added_line_is_mapped_back(self):
        original = "if x:\n    pass\n"
        instrumented = "import sst_runtime as __sst__; __sst__.abi(1)\nif x:\n    pass\n"
        self.assertStripsTo(instrumented, original, added_lines=[1])
        # Without the manifest's record, the shifted statement is a difference.
        self.assertFirstDifference(instrumented, original,
                                   Difference("body[0].lineno", "1", "2", 1))

    def test_plain_import_of_the_runtime_is_not_the_prologue(self):
        got = strip_source("import sst_runtime\nimport sst_runtime as sst\n")
        self.assertEqual(len(got.body), 2)


class TestParams(StripCase):
    def test_prefix_of_first_statement(self):
        self.assertStripsTo(
            src('''
                def f(email, *args, key=None, **kw):
                    __sst__.params(("email", "args", "key", "kw"), email, args, key, kw); x = g(email)
                    return x
            '''),
            src('''
                def f(email, *args, key=None, **kw):
                    x = g(email)
                    return x
            '''))

    def test_after_function_docstring(self):
        self.assertStripsTo(
            src('''
                def f(email):
                    """doc"""; __sst__.params(("email",), email)
                    return 1
            '''),
            src('''
                def f(email):
                    """doc"""
                    return 1
            '''))

    def test_header_wraps(self):
        cases = [
            ("if __sst__.params((\"a\",), a) or (a > 1):\n        pass",
             "if a > 1:\n        pass"),
            ("while __sst__.params((\"a\",), a) or (a):\n        a -= 1",
             "while a:\n        a -= 1"),
            ("for x in __sst__.params((\"a\",), a) or (a):\n        print(x)",
             "for x in a:\n        print(x)"),
            ("with __sst__.params((\"a\",), a) or (open(a)) as fh, lock:\n        pass",
             "with open(a) as fh, lock:\n        pass"),
            ("async with __sst__.params((\"a\",), a) or (a) as s:\n        pass",
             "async with a as s:\n        pass"),
            ("async for x in __sst__.params((\"a\",), a) or (a):\n        pass",
             "async for x in a:\n        pass"),
            ("match __sst__.params((\"a\",), a) or (a):\n        case [x]:\n            pass",
             "match a:\n        case [x]:\n            pass"),
        ]
        for instrumented, original in cases:
            with self.subTest(original=original):
                self.assertStripsTo("async def f(a):\n    " + instrumented + "\n",
                                    "async def f(a):\n    " + original + "\n")

    def test_header_wrap_keeps_an_original_or(self):
        self.assertStripsTo(
            "def f(a, b):\n    if __sst__.params((\"a\", \"b\"), a, b) or (a or b):\n        pass\n",
            "def f(a, b):\n    if a or b:\n        pass\n")

    def test_inside_try_body(self):
        self.assertStripsTo(
            src('''
                def f(a):
                    try:
                        __sst__.params(("a",), a); return a
                    except* ValueError:
                        pass
            '''),
            src('''
                def f(a):
                    try:
                        return a
                    except* ValueError:
                        pass
            '''))

    def test_after_nested_def_and_class(self):
        self.assertStripsTo(
            src('''
                class C:
                    @staticmethod
                    def m(self_less, b):
                        def inner(c):
                            __sst__.params(("c",), c); return c
                        class K:
                            pass
                        __sst__.params(("self_less", "b"), self_less, b); return inner(b)
            '''),
            src('''
                class C:
                    @staticmethod
                    def m(self_less, b):
                        def inner(c):
                            return c
                        class K:
                            pass
                        return inner(b)
            '''))


class TestFlow(StripCase):
    def test_assignment_forms(self):
        self.assertStripsTo(
            src('''
                def f(income, row, t):
                    __sst__.params(("income", "row", "t"), income, row, t); body = __sst__.flow((f"income {income}"), income)
                    total: int = __sst__.flow((income * 2), income)
                    row.value = __sst__.flow((income + 1), income)
                    row[t] = __sst__.flow((t, income), t, income)
                    return __sst__.flow((make(row)), row)
            '''),
            src('''
                def f(income, row, t):
                    body = f"income {income}"
                    total: int = income * 2
                    row.value = income + 1
                    row[t] = t, income
                    return make(row)
            '''))

    def test_flow_over_several_lines(self):
        self.assertStripsTo(
            src('''
                x = __sst__.flow((a +  # comment
                     b), a, b)
                y = __sst__.flow(((i for i in
                     a)), a)
            '''),
            src('''
                x = (a +  # comment
                     b)
                y = (i for i in
                     a)
            '''))

    def test_derive_and_carry(self):
        self.assertStripsTo(
            src('''
                first, last = split(name); __sst__.derive((name,), first, last)
                __sst__.carry(body); body += text; __sst__.derive((text,), body)
            '''),
            src('''
                first, last = split(name)
                body += text
            '''))

    def test_await_value(self):
        self.assertStripsTo(
            "async def f(u):\n    __sst__.params((\"u\",), u); x = __sst__.flow((await fetch(u)), u)\n",
            "async def f(u):\n    x = await fetch(u)\n")


class TestSinksAndSources(StripCase):
    def test_external_and_store(self):
        self.assertStripsTo(
            src('''
                __sst__.external("requests.post", requests.post, (url, p))(url, json=p)
                __sst__.store("flask_sqlalchemy.SQLAlchemy().session.add", db.session.add, (row,))(row)
                __sst__.external("smtplib.SMTP().sendmail", s.sendmail, ())(*a, **k)
            '''),
            src('''
                requests.post(url, json=p)
                db.session.add(row)
                s.sendmail(*a, **k)
            '''))

    def test_multi_line_call_with_comments_and_trailing_comma(self):
        self.assertStripsTo(
            src('''
                r = __sst__.flow((__sst__.external("requests.post", requests.post, (url, p))(
                    url,  # where
                    json=p,
                )), url, p)
            '''),
            src('''
                r = requests.post(
                    url,  # where
                    json=p,
                )
            '''))

    def test_bare_generator_argument(self):
        self.assertStripsTo(
            '__sst__.store("builtins.print", print, (xs,))(x for x in xs)\n',
            "print(x for x in xs)\n")

    def test_nested_wraps(self):
        self.assertStripsTo(
            'return_value = __sst__.flow((__sst__.external("requests.get", '
            'requests.get, (url,))(url).json()), url)\n',
            "return_value = requests.get(url).json()\n")

    def test_source(self):
        self.assertStripsTo(
            src('''
                amount = __sst__.source(("flask.request.form", "amount"), request.form["amount"])
                data = __sst__.source(("flask.request.get_json", None), request.get_json())
                __sst__.external("requests.post", requests.post, ())(u, json=__sst__.source(("flask.request.args", "q"), request.args.get("q")))
            '''),
            src('''
                amount = request.form["amount"]
                data = request.get_json()
                requests.post(u, json=request.args.get("q"))
            '''))


class TestOnlyExactFormsAreRemoved(StripCase):
    def test_flow_with_keyword_stays(self):
        self.assertFirstDifference(
            "x = __sst__.flow(a, k=1)\n", "x = a\n",
            Difference("body[0].value",
                       "Name(id='a', ctx=Load())",
                       # Long dumps are cut at 120 characters.
                       "Call(func=Attribute(value=Name(id='__sst__', ctx=Load()), "
                       "attr='flow', ctx=Load()), args=[Name(id='a', ctx=Load())], ...", 1))

    def test_unparenthesised_params_or_stays(self):
        got = strip_source("def f(a, b):\n    if __sst__.params(('a',), a) or a or b:\n        pass\n")
        test = got.body[0].body[0].test
        self.assertIsInstance(test, ast.BoolOp)
        self.assertEqual(len(test.values), 3)

    def test_other_receivers_stay(self):
        got = strip_source("x = sst.flow(a)\nsst.params(('a',), a)\n__sst__.other(a)\n")
        self.assertEqual(len(got.body), 3)
        self.assertEqual(runtime_call_name(got.body[2].value), "other")
        self.assertFalse(is_injected_statement(got.body[2]))

    def test_source_with_one_argument_stays(self):
        got = strip_source("x = __sst__.source(a)\n")
        self.assertEqual(runtime_call_name(got.body[0].value), "source")


class TestCompare(unittest.TestCase):
    def test_moved_statement(self):
        self.assertEqual(
            compare_trees(ast.parse("a = 1\nb = 2\n"), ast.parse("a = 1\n\nb = 2\n")),
            Difference("body[1].lineno", "2", "3", 2))

    def test_moved_end_line(self):
        self.assertEqual(
            compare_trees(ast.parse("f(a,\n  b)\n"), ast.parse("f(a,\n\n  b)\n")),
            Difference("body[0].end_lineno", "2", "3", 1))

    def test_columns_are_ignored(self):
        self.assertIsNone(compare_trees(ast.parse("x = a + b\n"),
                                        ast.parse("x   =   (a+b)\n")))

    def test_changed_constant(self):
        self.assertEqual(
            compare_trees(ast.parse("x = 1\n"), ast.parse("x = 1.0\n")),
            Difference("body[0].value.value", "1", "1.0", 1))

    def test_extra_statement(self):
        self.assertEqual(
            compare_trees(ast.parse("a\n"), ast.parse("a; b\n")),
            Difference("body[1]", "nothing", "Expr(value=Name(id='b', ctx=Load()))", 1))

    def test_lines_off(self):
        self.assertIsNone(compare_trees(ast.parse("a = 1\nb = 2\n"),
                                        ast.parse("a = 1\n\n\nb = 2\n"), lines=False))

    def test_difference_names_the_line(self):
        difference = compare_trees(ast.parse("x = 1\ny = f(a,\n      b)\n"),
                                   ast.parse("x = 1\ny = f(a,\n      c)\n"))
        self.assertEqual(str(difference),
                         "line 3: body[1].value.args[1].id: expected 'b', got 'c'")

    def test_line_mapper(self):
        # Lines were added before original lines 1 and 4.
        original_line = line_mapper([1, 4])
        self.assertEqual([original_line(n) for n in (2, 3, 4, 6, 7)],
                         [1, 2, 3, 4, 5])


if __name__ == "__main__":
    unittest.main()
