"""Symbolic Checker: how much real computation a program does, read from its AST (codesteer.md §4).

The original counted substrings such as `for|while` over the source text, so words like "format" or
"modified" scored points. Here every count is an AST node count, and the report also names what the
code does: loops, search (itertools, BFS/DFS, heaps, backtracking), recursion, libraries, arithmetic over
variables, or only printing a hard-coded answer. `metric="legacy"` reproduces the original's score.

Example:
    >>> report = symbolic_check("from itertools import permutations\\nprint(list(permutations([1, 2, 3])))")
    >>> report.symbolic_enough, report.search
    (True, ['itertools.permutations'])
    >>> symbolic_check("print('<<<42>>>')").hardcoded_answer
    True
"""

from __future__ import annotations

import ast
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from nsllm_cli.steer.prompts import TOO_SIMPLE_NOTE

Metric = Literal["ast", "legacy"]

SEARCH_CALLS = {
    "itertools.permutations": "itertools.permutations",
    "itertools.product": "itertools.product",
    "itertools.combinations": "itertools.combinations",
    "itertools.combinations_with_replacement": "itertools.combinations_with_replacement",
    "heapq.heappop": "best-first search (heapq)",
    "networkx.shortest_path": "graph search (networkx)",
    "networkx.all_simple_paths": "graph search (networkx)",
}
"""Calls (resolved through imports) that enumerate or search a space."""

SOLVER_LIBRARIES = frozenset({"sympy", "z3", "pulp", "ortools", "constraint", "cvxpy", "scipy", "networkx"})
"""Top-level modules whose use counts as symbolic or solver machinery (numpy and math alone do not)."""

_PLAIN_CALLS = frozenset({"print", "str", "repr", "int", "float", "format", "len", "list", "tuple", "dict", "set"})
_LEGACY_LOOPS = re.compile(r"for|while")
_LEGACY_BRANCHES = re.compile(r"if|elif|else")
_LEGACY_TRY = re.compile(r"try|except")
_LEGACY_BINOP = re.compile(r"[+\-*/%]")


@dataclass
class CheckReport:
    """What the checker found in one program, its complexity score and its verdict."""

    valid: bool
    error: str | None = None
    score: float = 0.0
    n_loops: int = 0
    n_branches: int = 0
    n_try: int = 0
    n_binops: int = 0
    numeric_ops: int = 0
    """Arithmetic operations with at least one non-constant operand (work over variables)."""
    searching: bool = False
    symbolic: bool = False
    numerical: bool = False
    search: list[str] = field(default_factory=list)
    recursion: list[str] = field(default_factory=list)
    libraries: list[str] = field(default_factory=list)
    hardcoded_answer: bool = False
    symbolic_enough: bool = False
    metric: str = "ast"
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return asdict(self)


def _is_constant(node: ast.AST, constant_names: set[str]) -> bool:
    """Whether an expression is made only of literals (and names bound only to literals)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in constant_names
    if isinstance(node, ast.JoinedStr):
        return all(_is_constant(v, constant_names) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return _is_constant(node.value, constant_names)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return all(_is_constant(e, constant_names) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is None or _is_constant(k, constant_names) for k in node.keys) and all(
            _is_constant(v, constant_names) for v in node.values
        )
    if isinstance(node, ast.UnaryOp):
        return _is_constant(node.operand, constant_names)
    if isinstance(node, ast.BinOp):
        return _is_constant(node.left, constant_names) and _is_constant(node.right, constant_names)
    return False


class _Visitor(ast.NodeVisitor):
    """One walk over the tree collecting every count and feature."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.libraries: list[str] = []
        self.loops = self.branches = self.tries = self.binops = self.numeric = 0
        self.search: list[str] = []
        self.recursion: list[str] = []
        self.evals = False
        self.calls: list[str] = []
        self.prints: list[ast.Call] = []
        self.func_stack: list[str] = []
        self.func_has_loop: dict[str, bool] = {}
        self.popleft = self.stack_pop = False
        self.assigned: dict[str, list[ast.AST]] = {}

    def _library(self, module: str) -> None:
        top = module.split(".")[0]
        if top and top not in self.libraries:
            self.libraries.append(top)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._library(alias.name)
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.aliases[top] = top
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module:
            self._library(node.module)
            for alias in node.names:
                self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        self.generic_visit(node)

    def _resolve(self, node: ast.AST) -> str | None:
        """The dotted name a call target stands for, through import aliases (`it.product` -> itertools.product)."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self._resolve(node.value)
            return f"{base}.{node.attr}" if base else node.attr
        return None

    def _loop(self, node: ast.AST) -> None:
        self.loops += 1
        for name in self.func_stack:
            self.func_has_loop[name] = True
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        self._loop(node)

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self._loop(node)

    def visit_While(self, node: ast.While) -> None:
        self._loop(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self.loops += 1
        for name in self.func_stack:
            self.func_has_loop[name] = True
        self.branches += len(node.ifs)
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        self.branches += 1
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.branches += 1
        self.generic_visit(node)

    def visit_Try(self, node: ast.Try) -> None:
        self.tries += 1 + len(node.handlers)
        self.generic_visit(node)

    def visit_TryStar(self, node: ast.TryStar) -> None:
        self.tries += 1 + len(node.handlers)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self.binops += 1
        if not _is_constant(node, set()):
            self.numeric += 1
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.numeric += 1
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.assigned.setdefault(target.id, []).append(node.value)
        self.generic_visit(node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.func_stack.append(node.name)
        self.generic_visit(node)
        self.func_stack.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = self._resolve(node.func)
        if name:
            self.calls.append(name)
            if name == "print":
                self.prints.append(node)
            if name in {"eval", "exec"}:
                self.evals = True
            if name in SEARCH_CALLS and SEARCH_CALLS[name] not in self.search:
                self.search.append(SEARCH_CALLS[name])
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr == "popleft":
                self.popleft = True
            elif func.attr == "pop" and not node.args:
                self.stack_pop = True
            called = func.attr if isinstance(func.value, ast.Name) and func.value.id in {"self", "cls"} else None
        else:
            called = func.id if isinstance(func, ast.Name) else None
        if called and self.func_stack and called == self.func_stack[-1] and called not in self.recursion:
            self.recursion.append(called)
        self.generic_visit(node)


def _legacy_score(code: str) -> tuple[float, int, int, int, int]:
    """The original's substring counts over the source text (kept for `--complexity-metric legacy`)."""
    loops = len(_LEGACY_LOOPS.findall(code))
    branches = len(_LEGACY_BRANCHES.findall(code))
    tries = len(_LEGACY_TRY.findall(code))
    binops = len(_LEGACY_BINOP.findall(code))
    return loops + branches + tries + 0.25 * binops, loops, branches, tries, binops


def symbolic_check(code: str, *, metric: Metric = "ast", threshold: float = 2.0) -> CheckReport:
    """Analyse one program and say whether it does real symbolic or search work.

    Args:
        code: the program (the first Python block of an answer).
        metric: "ast" counts AST nodes (default); "legacy" counts substrings of the source like the original.
        threshold: a score at or below it is "low" (the original's 2).

    Returns:
        A report with the counts, the features found, `symbolic_enough`, and a summary for the steerer. The
        verdict is positive when the code is not a hard-coded answer and either scores above the threshold
        or searches, recurses or uses a solver library (so a three-line sympy or z3 program is not "too simple").
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        where = f" at line {line}" if line else ""
        error = f"{exc.__class__.__name__}{where}: {getattr(exc, 'msg', None) or exc}"
        summary = f"The code is invalid Python ({error}).\nComplexity score: 0\n{TOO_SIMPLE_NOTE}"
        return CheckReport(valid=False, error=error, metric=metric, summary=summary)
    v = _Visitor()
    v.visit(tree)

    search = list(v.search)
    if v.popleft:
        search.append("breadth-first search (deque.popleft)")
    if v.stack_pop and v.loops:
        search.append("stack-based depth-first search (pop in a loop)")
    backtracking = [f for f in v.recursion if v.func_has_loop.get(f)]
    if backtracking:
        search.append("backtracking (recursive " + ", ".join(backtracking) + " with a loop)")

    constant_names = {
        name for name, values in v.assigned.items() if all(_is_constant(value, set()) for value in values)
    }
    computing_calls = [c for c in v.calls if c not in _PLAIN_CALLS]
    hardcoded = (
        bool(v.prints)
        and not v.loops
        and not v.recursion
        and not search
        and v.numeric == 0
        and not computing_calls
        and all(all(_is_constant(a, constant_names) for a in p.args) for p in v.prints)
    )

    if metric == "legacy":
        score, n_loops, n_branches, n_try, n_binops = _legacy_score(code)
    else:
        n_loops, n_branches, n_try, n_binops = v.loops, v.branches, v.tries, v.binops
        score = n_loops + n_branches + n_try + 0.25 * n_binops
    libraries = v.libraries
    solvers = [lib for lib in libraries if lib in SOLVER_LIBRARIES]
    symbolic = bool(solvers) or v.evals
    enough = not hardcoded and (score > threshold or bool(search) or bool(v.recursion) or bool(solvers))
    report = CheckReport(
        valid=True,
        score=round(score, 2),
        n_loops=n_loops,
        n_branches=n_branches,
        n_try=n_try,
        n_binops=n_binops,
        numeric_ops=v.numeric,
        searching=bool(v.loops) or "itertools" in libraries or bool(search),
        symbolic=symbolic,
        numerical=v.binops > 0,
        search=search,
        recursion=list(v.recursion),
        libraries=libraries,
        hardcoded_answer=hardcoded,
        symbolic_enough=enough,
        metric=metric,
    )
    report.summary = _summary(report, solvers, threshold)
    return report


def _summary(r: CheckReport, solvers: list[str], threshold: float) -> str:
    """The readable summary the steerer sees: the approaches found with reasons, then the score."""
    lines: list[str] = []
    if r.hardcoded_answer:
        lines.append("The code only prints values written into it by hand: it computes nothing.")
    if r.n_loops:
        lines.append(f"Iteration: {r.n_loops} loop(s) or comprehension(s).")
    if r.search:
        lines.append("Search or enumeration: " + "; ".join(r.search) + ".")
    if r.recursion:
        lines.append("Recursion: " + ", ".join(r.recursion) + " call(s) itself.")
    if solvers:
        lines.append("Symbolic or solver libraries: " + ", ".join(solvers) + ".")
    other = [lib for lib in r.libraries if lib not in solvers]
    if other:
        lines.append("Other imports: " + ", ".join(other) + ".")
    if r.numeric_ops:
        lines.append(f"Numeric work: {r.numeric_ops} arithmetic operation(s) over variables.")
    if r.n_branches or r.n_try:
        lines.append(f"Control flow: {r.n_branches} branch(es), {r.n_try} try/except part(s).")
    if not lines:
        lines.append("No loops, search, recursion, libraries or arithmetic over variables were found.")
    score = f"{r.score:g}"
    lines.append(f"Complexity score: {score}" + (" (legacy substring count)" if r.metric == "legacy" else ""))
    if not r.symbolic_enough:
        reason = "it prints a hard-coded answer" if r.hardcoded_answer else f"score {score} <= {threshold:g}"
        lines.append(f"{TOO_SIMPLE_NOTE} ({reason})")
    return "\n".join(lines)
