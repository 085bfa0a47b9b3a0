"""Removes the instrumentation of docs/abi.md (ABI version 1) from the AST of
a rewritten module, giving back the AST of the original module. Only the exact
documented forms are removed; anything else is left as it is, so a form the
rewriter got wrong shows up as a difference when the ASTs are compared."""

from __future__ import annotations

import ast

RUNTIME_NAME = "__sst__"
RUNTIME_MODULE = "sst_runtime"

# Injected calls that stand as statements of their own.
STATEMENT_CALLS = frozenset({"abi", "params", "derive", "carry"})
# Injected calls that wrap a callee: __sst__.external(ID, F, SOURCES)(ARGS).
WRAPPING_CALLS = frozenset({"external", "store"})


def runtime_call_name(node: ast.AST) -> str | None:
    """The NAME of a call `__sst__.NAME(...)`, or None for any other node."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if (isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == RUNTIME_NAME
            and isinstance(func.value.ctx, ast.Load)):
        return func.attr
    return None


def is_prologue_import(node: ast.AST) -> bool:
    """True for the statement `import sst_runtime as __sst__`."""
    return (isinstance(node, ast.Import)
            and len(node.names) == 1
            and node.names[0].name == RUNTIME_MODULE
            and node.names[0].asname == RUNTIME_NAME)


def is_injected_statement(node: ast.AST) -> bool:
    """True for the prologue import and the expression statements
    `__sst__.abi(...)`, `__sst__.params(...)`, `__sst__.derive(...)` and
    `__sst__.carry(...)`."""
    if is_prologue_import(node):
        return True
    return (isinstance(node, ast.Expr)
            and runtime_call_name(node.value) in STATEMENT_CALLS)


def _plain_positional(call: ast.Call, count: int | None = None,
                      at_least: int | None = None) -> bool:
    """The call has only positional, non-starred arguments, COUNT of them
    exactly or AT_LEAST that many."""
    if call.keywords or any(isinstance(a, ast.Starred) for a in call.args):
        return False
    if count is not None and len(call.args) != count:
        return False
    if at_least is not None and len(call.args) < at_least:
        return False
    return True


class _Stripper(ast.NodeTransformer):
    """Post-order: children are stripped before their parent is examined, so
    nested forms (a flow around a wrapped call...) all come off."""

    def visit_Import(self, node: ast.Import) -> ast.AST | None:
        return None if is_prologue_import(node) else node

    def visit_Expr(self, node: ast.Expr) -> ast.AST | None:
        if runtime_call_name(node.value) in STATEMENT_CALLS:
            return None
        self.generic_visit(node)
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        # __sst__.params(...) or (X)  ->  X
        if (isinstance(node.op, ast.Or) and len(node.values) == 2
                and runtime_call_name(node.values[0]) == "params"):
            return node.values[1]
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        name = runtime_call_name(node)
        # __sst__.flow(X, *SOURCES)  ->  X
        if name == "flow" and _plain_positional(node, at_least=1):
            return node.args[0]
        # __sst__.source(SITE, X)  ->  X
        if name == "source" and _plain_positional(node, count=2):
            return node.args[1]
        # __sst__.external(ID, F, SOURCES)(ARGS)  ->  F(ARGS), same for store
        inner = node.func
        if (runtime_call_name(inner) in WRAPPING_CALLS
                and _plain_positional(inner, count=3)):
            call = ast.Call(func=inner.args[1], args=node.args,
                            keywords=node.keywords)
            return ast.copy_location(call, node)
        return node


def strip_tree(tree: ast.AST) -> ast.AST:
    """Removes the injected forms from TREE in place and returns it."""
    return _Stripper().visit(tree)


def strip_source(source: str | bytes, filename: str = "<rewritten>") -> ast.Module:
    """Parses SOURCE (bytes keep their PEP 263 cookie or BOM) and returns its
    AST without the injected forms."""
    tree = ast.parse(source, filename)
    return strip_tree(tree)
