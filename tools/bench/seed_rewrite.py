#!/usr/bin/python3
"""The seed design's rewriter, kept as the baseline of the throughput benchmark:
CPython `ast.parse` + `ast.NodeTransformer` + `ast.unparse`, applying the
injections of docs/abi.md that sst-rewrite applies in profile full (prologue,
params, flow, derive/carry, external/store wraps of calls resolved through a
module's imports to a small catalogue, flask.request sources). It does not
keep lines or comments; that is the point of the comparison.

    seed_rewrite.py [-j N] SRC_ROOT OUT_ROOT     rewrite a tree (.py files only)
    seed_rewrite.py --check [-j N] ROOT          rewrite in memory and check that
        every output compiles and, with the injected forms removed, has the
        input's AST (lines not compared)
"""

from __future__ import annotations

import argparse
import ast
import multiprocessing
import os
import sys
import time
import warnings
from dataclasses import dataclass, field

RUNTIME = "__sst__"
PROLOGUE = "import sst_runtime as __sst__"

CATALOG_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "..", "rewriter", "catalog")


def load_catalog(directory: str = CATALOG_DIR) -> tuple[dict[str, str], set[str]]:
    """Reads the catalogue data sst-rewrite compiles in (rewriter/catalog/*.cat):
    ("external"|"store" by API path, source paths). Other lines are ignored."""
    sinks: dict[str, str] = {}
    sources: set[str] = set()
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".cat"):
            continue
        with open(os.path.join(directory, name), encoding="utf-8") as fh:
            for line in fh:
                words = line.split()
                if len(words) < 2 or words[0].startswith("#"):
                    continue
                if words[0] in ("external", "store"):
                    sinks[words[1]] = words[0]
                elif words[0] == "source":
                    sources.add(words[1])
    return sinks, sources


# API path -> "external" or "store"; source paths ("flask.request.form",
# "flask.request.get_json()": a call).
SINKS, SOURCES = load_catalog()
SOURCE_ATTRIBUTES = {p for p in SOURCES if not p.endswith("()")}

BUILTINS = {"print": "print", "open": "open"}
BUILTIN_NAMES = frozenset(dir(__import__("builtins")))
NEVER_WRAPPED = {"super", "locals", "globals", "vars", "eval", "exec", "__import__"}


def _runtime_call(name: str, args: list[ast.expr]) -> ast.Call:
    return ast.Call(func=ast.Attribute(value=ast.Name(RUNTIME, ast.Load()),
                                       attr=name, ctx=ast.Load()),
                    args=args, keywords=[])


def _names_tuple(names: list[str]) -> ast.Tuple:
    return ast.Tuple(elts=[ast.Name(n, ast.Load()) for n in names], ctx=ast.Load())


def unconditional_names(node: ast.AST) -> list[str]:
    """Names NODE reads that are certainly bound once it has been evaluated:
    not in a branch of a conditional expression, a right operand of and/or,
    a lambda or a comprehension."""
    found: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Name):
            if isinstance(current.ctx, ast.Load) and current.id not in found:
                found.append(current.id)
            continue
        if isinstance(current, (ast.Lambda, ast.ListComp, ast.SetComp,
                                ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(current, ast.IfExp):
            stack.append(current.test)
            continue
        if isinstance(current, ast.BoolOp):
            stack.append(current.values[0])
            continue
        if isinstance(current, ast.NamedExpr):
            stack.append(current.value)
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(current))))
    return found


def _target_names(target: ast.AST) -> list[str] | None:
    """The names of an unpacking target, or None when it holds anything but
    names (an attribute or subscript target would be evaluated again)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        names: list[str] = []
        for elt in target.elts:
            sub = _target_names(elt)
            if sub is None:
                return None
            names.extend(sub)
        return names
    return None


def _scope_names(body: list[ast.stmt]) -> tuple[set[str], set[str], set[str]]:
    """(assigned, deleted, declared global/nonlocal) names of one scope,
    nested scopes left out."""
    assigned: set[str] = set()
    deleted: set[str] = set()
    declared: set[str] = set()
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            assigned.add(node.name)
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp,
                             ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                assigned.add(node.id)
            elif isinstance(node.ctx, ast.Del):
                deleted.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                assigned.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            assigned.add(node.name)
            deleted.add(node.name)      # unbound again when the handler ends
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            assigned.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            assigned.add(node.rest)
        stack.extend(ast.iter_child_nodes(node))
    return assigned, deleted, declared


@dataclass
class Scope:
    kind: str                                   # module, function, class
    body: list[ast.stmt] = field(default_factory=list)
    bindings: dict[str, str | None] = field(default_factory=dict)
    params: list[str] = field(default_factory=list)
    # Names the scope's own statements have bound so far, in order (a
    # statement nested in a block does not count).
    assigned_so_far: list[str] = field(default_factory=list)
    outer: Scope | None = None                  # the module, for a function
    outer_count: int = 0                        # len(outer.assigned_so_far) at def
    # Names bound to modules, functions and classes (import, def, class):
    # flows leave them out of their sources, as sst-rewrite does.
    static: set[str] = field(default_factory=set)
    _names: tuple[set[str], set[str], set[str]] | None = None

    def names(self) -> tuple[set[str], set[str], set[str]]:
        """(assigned, deleted, declared), computed when a sink first needs
        them: sinks are rare, most scopes never pay for the walk."""
        if self._names is None:
            self._names = _scope_names(self.body)
        return self._names

    def certainly_bound(self, name: str) -> bool:
        assigned, deleted, declared = self.names()
        if name in deleted or name in declared:
            return False
        if name in self.params or name in self.assigned_so_far:
            return True
        if self.kind == "function" and self.outer is not None and name not in assigned:
            outer_deleted = self.outer.names()[1]
            return (name not in outer_deleted
                    and name in self.outer.assigned_so_far[:self.outer_count])
        return False


class SeedRewriter(ast.NodeTransformer):
    """Instruments one module's AST in place (profile full)."""

    def __init__(self) -> None:
        self.scopes: list[Scope] = []

    # ---- scopes and resolution ----------------------------------------

    def lookup(self, name: str) -> str | None:
        for i in range(len(self.scopes) - 1, -1, -1):
            scope = self.scopes[i]
            if scope.kind == "class" and i != len(self.scopes) - 1:
                continue
            if name in scope.bindings:
                return scope.bindings[name]
        return BUILTINS.get(name)

    def resolve(self, node: ast.AST) -> str | None:
        """The API path NODE stands for, e.g. "requests.Session().post"."""
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            base = self.resolve(node.func)
            return f"{base}()" if base else None
        return None

    def bind(self, name: str, path: str | None, static: bool = False) -> None:
        scope = self.scopes[-1]
        scope.bindings[name] = path
        if static:
            scope.static.add(name)
        else:
            scope.static.discard(name)

    def data_names(self, names: list[str]) -> list[str]:
        """NAMES without those bound to a module, function or class."""
        result = []
        for name in names:
            for i in range(len(self.scopes) - 1, -1, -1):
                scope = self.scopes[i]
                if scope.kind == "class" and i != len(self.scopes) - 1:
                    continue
                if name in scope.bindings:
                    if name not in scope.static:
                        result.append(name)
                    break
            else:
                if name not in BUILTIN_NAMES:
                    result.append(name)
        return result

    def certainly_bound(self, names: list[str]) -> list[str]:
        """The NAMES certainly bound at the current point (for sink
        sources, which are evaluated before the arguments)."""
        scope = self.scopes[-1]
        if scope.kind == "class":
            return []
        return [name for name in names if scope.certainly_bound(name)]

    def _note_bound(self, stmt: ast.stmt) -> None:
        """After a statement of a scope's own body: the names it binds
        unconditionally."""
        scope = self.scopes[-1]
        names: list[str] = []
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                names.extend(_target_names(target) or [])
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            names.extend(_target_names(stmt.target) or [])
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names.extend(a.asname or a.name.split(".")[0] for a in stmt.names
                         if a.name != "*")
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(stmt.name)
        scope.assigned_so_far.extend(names)

    def _body(self, body: list[ast.stmt], own: bool) -> list[ast.stmt]:
        """Visits a statement list; OWN when it is the scope's own body."""
        result: list[ast.stmt] = []
        for stmt in body:
            new = self.visit(stmt)
            if new is None:
                continue
            if isinstance(new, list):
                result.extend(new)
            else:
                result.append(new)
            if own:
                self._note_bound(stmt)
        return result

    # ---- scopes -----------------------------------------------------------

    def visit_Module(self, node: ast.Module) -> ast.Module:
        self.scopes.append(Scope("module", body=node.body))
        node.body = self._body(node.body, own=True)
        self.scopes.pop()
        index = 0
        if (node.body and isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Constant)
                and isinstance(node.body[0].value.value, str)):
            index = 1
        while (index < len(node.body) and isinstance(node.body[index], ast.ImportFrom)
               and node.body[index].module == "__future__"):
            index += 1
        prologue = [ast.Import(names=[ast.alias(name="sst_runtime", asname=RUNTIME)]),
                    ast.Expr(_runtime_call("abi", [ast.Constant(1)]))]
        node.body[index:index] = prologue
        return node

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        node.args = self._arguments(node.args)
        in_class = bool(self.scopes) and self.scopes[-1].kind == "class"
        self.bind(node.name, None, static=True)
        module = next(s for s in self.scopes if s.kind == "module")
        args = node.args
        params = [a.arg for a in args.posonlyargs + args.args]
        if args.vararg:
            params.append(args.vararg.arg)
        params += [a.arg for a in args.kwonlyargs]
        if args.kwarg:
            params.append(args.kwarg.arg)
        static = any(isinstance(d, ast.Name) and d.id == "staticmethod"
                     for d in node.decorator_list)
        if in_class and not static and (args.posonlyargs or args.args):
            params = params[1:]
        scope = Scope("function", body=node.body, params=params, outer=module,
                      outer_count=len(module.assigned_so_far))
        for p in params:
            scope.bindings[p] = None
        self.scopes.append(scope)
        node.body = self._body(node.body, own=True)
        self.scopes.pop()
        if params:
            call = ast.Expr(_runtime_call(
                "params", [ast.Tuple([ast.Constant(p) for p in params], ast.Load())]
                + [ast.Name(p, ast.Load()) for p in params]))
            index = 1 if (isinstance(node.body[0], ast.Expr)
                          and isinstance(node.body[0].value, ast.Constant)
                          and isinstance(node.body[0].value.value, str)) else 0
            node.body.insert(index, call)
        return node

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def _arguments(self, args: ast.arguments) -> ast.arguments:
        # Defaults are expressions of the enclosing scope; annotations are
        # never touched.
        args.defaults = [self.visit(d) for d in args.defaults]
        args.kw_defaults = [self.visit(d) if d is not None else None
                            for d in args.kw_defaults]
        return args

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node.args = self._arguments(node.args)
        node.body = self.visit(node.body)
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        node.bases = [self.visit(b) for b in node.bases]
        node.keywords = [self.visit(k) for k in node.keywords]
        self.bind(node.name, None, static=True)
        self.scopes.append(Scope("class"))
        node.body = self._body(node.body, own=False)
        self.scopes.pop()
        return node

    # ---- statements -------------------------------------------------------

    def _flow(self, value: ast.expr, sources: list[str]) -> ast.expr:
        sources = self.data_names(sources)
        if (not sources or self.scopes[-1].kind == "class"
                or isinstance(value, (ast.Name, ast.Constant, ast.Yield,
                                      ast.YieldFrom))):
            return value
        return _runtime_call("flow", [value] + [ast.Name(n, ast.Load()) for n in sources])

    def visit_Import(self, node: ast.Import) -> ast.AST:
        for alias in node.names:
            if alias.asname:
                self.bind(alias.asname, alias.name, static=True)
            else:
                top = alias.name.split(".")[0]
                self.bind(top, top, static=True)
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        for alias in node.names:
            if alias.name == "*":
                continue
            path = f"{node.module}.{alias.name}" if node.module and not node.level else None
            self.bind(alias.asname or alias.name, path, static=True)
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.AST | list[ast.stmt]:
        path = self.resolve(node.value)
        sources = unconditional_names(node.value)
        node.value = self.visit(node.value)
        extra: list[ast.stmt] = []
        if all(isinstance(t, (ast.Name, ast.Attribute, ast.Subscript)) for t in node.targets):
            node.value = self._flow(node.value, sources)
        elif self.scopes[-1].kind != "class" and self.data_names(sources):
            sources = self.data_names(sources)
            names: list[str] = []
            for target in node.targets:
                names.extend(_target_names(target) or [])
            if names:
                extra.append(ast.Expr(_runtime_call(
                    "derive", [_names_tuple(sources)] + [ast.Name(n, ast.Load()) for n in names])))
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.bind(target.id, path if path and path.endswith("()") else None)
            else:
                for name in _target_names(target) or []:
                    self.bind(name, None)
        return [node] + extra if extra else node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is not None:
            sources = unconditional_names(node.value)
            node.value = self._flow(self.visit(node.value), sources)
        if isinstance(node.target, ast.Name):
            self.bind(node.target.id, None)
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST | list[ast.stmt]:
        sources = self.data_names(unconditional_names(node.value))
        node.value = self.visit(node.value)
        if (not isinstance(node.target, ast.Name) or self.scopes[-1].kind == "class"
                or not sources):
            return node
        name = node.target.id
        carry = ast.Expr(_runtime_call("carry", [ast.Name(name, ast.Load())]))
        derive = ast.Expr(_runtime_call("derive", [_names_tuple(sources),
                                                   ast.Name(name, ast.Load())]))
        self.bind(name, None)
        return [carry, node, derive]

    def visit_Return(self, node: ast.Return) -> ast.AST:
        if node.value is not None:
            sources = unconditional_names(node.value)
            node.value = self._flow(self.visit(node.value), sources)
        return node

    def visit_Delete(self, node: ast.Delete) -> ast.AST:
        return node                     # delete targets are never touched

    def _loop(self, node: ast.For | ast.AsyncFor) -> ast.AST:
        node.iter = self.visit(node.iter)
        for name in _target_names(node.target) or []:
            self.bind(name, None)
        node.body = self._body(node.body, own=False)
        node.orelse = self._body(node.orelse, own=False)
        return node

    visit_For = _loop
    visit_AsyncFor = _loop

    def _with(self, node: ast.With | ast.AsyncWith) -> ast.AST:
        for item in node.items:
            path = self.resolve(item.context_expr)
            item.context_expr = self.visit(item.context_expr)
            if isinstance(item.optional_vars, ast.Name):
                self.bind(item.optional_vars.id, path if path and path.endswith("()") else None)
        node.body = self._body(node.body, own=False)
        return node

    visit_With = _with
    visit_AsyncWith = _with

    # ---- expressions ------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return node                     # a leaf: skip the generic walk

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        return node                     # nothing inside an f-string is wrapped

    def visit_NamedExpr(self, node: ast.NamedExpr) -> ast.AST:
        node.value = self.visit(node.value)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        node.iter = self.visit(node.iter)
        node.ifs = [self.visit(i) for i in node.ifs]
        return node

    def _source(self, path: str, key: str | None, node: ast.expr) -> ast.expr:
        site = ast.Tuple([ast.Constant(path), ast.Constant(key)], ast.Load())
        return _runtime_call("source", [site, node])

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.ctx, ast.Load):
            path = self.resolve(node)
            if path in SOURCE_ATTRIBUTES:
                return self._source(path, None, node)
        node.value = self.visit(node.value)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if isinstance(node.ctx, ast.Load):
            path = self.resolve(node.value)
            if path in SOURCE_ATTRIBUTES:
                node.slice = self.visit(node.slice)
                key = node.slice.value if (isinstance(node.slice, ast.Constant)
                                           and isinstance(node.slice.value, str)) else None
                return self._source(path, key, node)
        node.value = self.visit(node.value)
        node.slice = self.visit(node.slice)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        path = self.resolve(node.func)
        # request.get_json() (a source call) or request.form.get("k") (a
        # read of a source attribute with a key).
        site = None
        if path is not None and f"{path}()" in SOURCES:
            site = f"{path}()"
        elif path is not None and path.endswith(".get") and path[:-4] in SOURCE_ATTRIBUTES:
            site = path[:-4]
        if site is not None:
            node.args = [self.visit(a) for a in node.args]
            node.keywords = [self.visit(k) for k in node.keywords]
            key = None
            if (site in SOURCE_ATTRIBUTES and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                key = node.args[0].value
            return self._source(site, key, node)
        kind = SINKS.get(path or "")
        arg_names: list[str] = []
        if kind is not None:
            for arg in node.args + [k.value for k in node.keywords]:
                arg_names.extend(n for n in unconditional_names(arg) if n not in arg_names)
        node.func = self.visit(node.func)
        node.args = [self.visit(a) for a in node.args]
        node.keywords = [self.visit(k) for k in node.keywords]
        if kind is None or (isinstance(node.func, ast.Name)
                            and node.func.id in NEVER_WRAPPED):
            return node
        sources = self.certainly_bound(arg_names)
        wrapper = _runtime_call(kind, [ast.Constant(path), node.func, _names_tuple(sources)])
        return ast.Call(func=wrapper, args=node.args, keywords=node.keywords)


def rewrite_source(data: bytes, path: str = "<seed>") -> bytes:
    """One module's bytes in, instrumented bytes out (UTF-8). A module that
    does not parse, or is already instrumented, comes back unchanged."""
    if PROLOGUE.encode() in data:
        return data
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(data, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return data
    SeedRewriter().visit(tree)
    ast.fix_missing_locations(tree)
    return (ast.unparse(tree) + "\n").encode("utf-8", "surrogatepass")


# ---- command line ------------------------------------------------------------

def _rewrite_file(job: tuple[str, str]) -> int:
    src, dst = job
    with open(src, "rb") as fh:
        data = fh.read()
    out = rewrite_source(data, src)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    tmp = dst + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(out)
    os.replace(tmp, dst)
    return len(data)


def _check_file(src: str) -> tuple[str, str]:
    """(verdict, detail): verdict is skipped (input does not compile), ok,
    compile (output does not compile) or ast (stripped AST differs)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from sstcheck.compare import compare_trees
    from sstcheck.strip import strip_tree
    with open(src, "rb") as fh:
        data = fh.read()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(data, src, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return "skipped", ""
        out = rewrite_source(data, src)
        try:
            compile(out, src, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError) as exc:
            return "compile", f"{type(exc).__name__}: {exc}"
        difference = compare_trees(ast.parse(data), strip_tree(ast.parse(out)), lines=False)
    return ("ok", "") if difference is None else ("ast", str(difference))


def list_python_files(root: str) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", ".git"))
        found.extend(os.path.join(dirpath, f) for f in sorted(filenames)
                     if f.endswith(".py") and os.path.isfile(os.path.join(dirpath, f)))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--check", action="store_true",
                        help="check the outputs instead of writing them")
    parser.add_argument("src")
    parser.add_argument("out", nargs="?")
    args = parser.parse_args(argv)
    sys.setrecursionlimit(10000)
    files = list_python_files(args.src)
    start = time.monotonic()
    if args.check:
        with multiprocessing.Pool(args.jobs) as pool:
            results = pool.map(_check_file, files, chunksize=4)
        counts: dict[str, int] = {}
        for src, (verdict, detail) in zip(files, results):
            counts[verdict] = counts.get(verdict, 0) + 1
            if verdict in ("compile", "ast"):
                print(f"{verdict.upper()}: {src}: {detail}")
        print(f"seed check: {len(files)} files, "
              + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
              + f", {time.monotonic() - start:.1f} s")
        return 1 if counts.get("compile") or counts.get("ast") else 0
    if not args.out:
        parser.error("OUT_ROOT is required unless --check")
    jobs = [(f, os.path.join(args.out, os.path.relpath(f, args.src))) for f in files]
    with multiprocessing.Pool(args.jobs) as pool:
        total = sum(pool.map(_rewrite_file, jobs, chunksize=4))
    seconds = time.monotonic() - start
    print(f"seed rewrite: {len(files)} files, {total / 1e6:.2f} MB in {seconds:.2f} s, "
          f"{total / 1e6 / seconds:.2f} MB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
