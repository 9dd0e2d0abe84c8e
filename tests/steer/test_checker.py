"""The Symbolic Checker reads the AST, not substrings."""

from __future__ import annotations

from nsllm_cli.steer.checker import symbolic_check
from nsllm_cli.steer.prompts import TOO_SIMPLE_NOTE


def test_loops_and_branches_are_counted_from_the_ast() -> None:
    code = "total = 0\nfor i in range(10):\n    if i % 2:\n        total += i\nwhile total > 5:\n    total -= 5\n"
    r = symbolic_check(code)
    assert (r.n_loops, r.n_branches, r.n_try) == (2, 1, 0)
    assert r.searching and r.numerical
    assert r.score == 2 + 1 + 0.25 * r.n_binops
    assert "Iteration: 2 loop(s)" in r.summary


def test_recursion_is_found() -> None:
    r = symbolic_check("def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\nprint(fib(20))")
    assert r.recursion == ["fib"] and r.symbolic_enough and not r.hardcoded_answer
    assert "Recursion: fib" in r.summary


def test_itertools_search_through_an_alias() -> None:
    code = "import itertools as it\nbest = [p for p in it.permutations('abc') if p[0] != 'a']\nprint(best)"
    r = symbolic_check(code)
    assert r.search == ["itertools.permutations"] and r.searching and r.symbolic_enough
    code2 = "from itertools import product\nprint(sum(1 for a, b in product(range(3), repeat=2) if a < b))"
    assert symbolic_check(code2).search == ["itertools.product"]


def test_bfs_dfs_and_backtracking_patterns() -> None:
    bfs = "from collections import deque\nq = deque([0])\nwhile q:\n    n = q.popleft()\n    print(n)\n"
    assert any("breadth-first" in s for s in symbolic_check(bfs).search)
    dfs = "stack = [0]\nseen = set()\nwhile stack:\n    n = stack.pop()\n    seen.add(n)\n"
    assert any("depth-first" in s for s in symbolic_check(dfs).search)
    back = "def place(row, cols):\n    for c in range(4):\n        place(row + 1, cols + [c])\nplace(0, [])\n"
    assert any("backtracking" in s for s in symbolic_check(back).search)


def test_libraries_and_symbolic_solvers() -> None:
    r = symbolic_check("import sympy as sp\nimport numpy as np\nx = sp.symbols('x')\nprint(sp.solve(x**2 - 4, x))")
    assert r.libraries == ["sympy", "numpy"] and r.symbolic and r.symbolic_enough
    assert "sympy" in r.summary and TOO_SIMPLE_NOTE not in r.summary
    assert symbolic_check("from z3 import Int, Solver\ns = Solver()\nprint(s.check())").libraries == ["z3"]


def test_printing_a_hard_coded_answer_is_not_symbolic() -> None:
    for code in ("print('<<<42>>>')", "answer = [3, 1, 2]\nprint(f'<<<{answer}>>>')", "x = 7\nprint(x)"):
        r = symbolic_check(code)
        assert r.hardcoded_answer and not r.symbolic_enough, code
        assert TOO_SIMPLE_NOTE in r.summary and "hard-coded" in r.summary
    r = symbolic_check("a = 6\nb = 7\nprint(a * b)")
    assert not r.hardcoded_answer and r.numeric_ops == 1


def test_words_in_comments_and_strings_do_not_count() -> None:
    code = "# we formatted and modified the fortran info, try except\nprint('for while if else')\n"
    assert symbolic_check(code).score == 0
    legacy = symbolic_check(code, metric="legacy")
    assert legacy.score > 2 and legacy.metric == "legacy" and "legacy" in legacy.summary


def test_syntax_error_reports_invalid_python() -> None:
    r = symbolic_check("def f(:\n    pass")
    assert not r.valid and not r.symbolic_enough and r.score == 0
    assert r.error is not None and r.error.startswith("SyntaxError")
    assert "invalid Python" in r.summary and "Complexity score: 0" in r.summary


def test_report_is_json_data() -> None:
    data = symbolic_check("for i in range(3):\n    print(i)").to_dict()
    assert data["n_loops"] == 1 and isinstance(data["summary"], str)
