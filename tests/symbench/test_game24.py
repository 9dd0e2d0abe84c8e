"""S1 Game 24: gold expressions verify exactly (known float-only stored solutions in errata.json), perturbed fail."""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from nsllm_cli.symbench.base import Instance
from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import assert_needs_external_data, rejects, stored_golds_with_errata

_OPS: dict[type, Callable[[Fraction, Fraction], Fraction]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def _exact(node: ast.AST) -> Fraction:
    """An arithmetic expression of integers and + - * / over Fraction, independent of the task's evaluator."""
    if isinstance(node, ast.Expression):
        return _exact(node.body)
    if isinstance(node, ast.BinOp):
        return _OPS[type(node.op)](_exact(node.left), _exact(node.right))
    assert isinstance(node, ast.Constant) and isinstance(node.value, int), ast.dump(node)
    return Fraction(node.value)


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("game24")
    good, bad = stored_golds_with_errata(task, symbench_dir, str)
    assert len([i for i, _ in good if i.id.startswith("24/")]) > 1000
    for inst, gold in good:
        rejects(task, inst, re.sub(r"\d+", lambda m: str(int(m.group()) + 1), gold, count=1))
    # the excused ones: stored solutions of the scaling variants that only approximate the target (e.g.
    # 41 + 56/(63*...) - 17 = 24.0000009); neither the exact rule nor the original's float `==` accepts them
    assert bad and all(not i.id.startswith("24/") for i, _ in bad)
    for inst, gold in bad:
        value = _exact(ast.parse(inst.data["solution"].split("=")[0], mode="eval"))
        target = inst.data["target"]
        assert value != target and abs(value - target) < Fraction(1, 10**5), (inst.id, value)
        assert not task.verify_paper(inst, gold).correct


def _inst(numbers: list[int], target: int = 24) -> Instance:
    return Instance("game24", "t", "", {"numbers": numbers, "target": target})


def test_exact_evaluation_and_rules() -> None:
    task = get_task("game24")
    inst = _inst([3, 3, 8, 8])
    assert task.verify(inst, task.parse("<<<8/(3-8/3)>>>")).correct  # exact where float eval gives 23.999...
    assert not task.verify_paper(inst, task.parse("<<<8/(3-8/3)>>>")).correct
    assert task.verify(inst, task.parse(r"<<<\frac{8}{3-\frac{8}{3}} = 24>>>")).correct
    assert task.verify(inst, task.parse("<<< 8 ÷ (3 − 8 ÷ 3) >>>")).correct
    assert not task.verify(inst, "8/(3-8/3) = 25").correct
    assert not task.verify(inst, "8*3").correct  # numbers missing
    assert not task.verify(inst, "__import__('os')").correct
    assert not task.verify(inst, "8/(3-3)+8").correct  # division by zero
    assert not task.verify(_inst([1, 1, 4, 6]), "-(1-1-4*6)").correct  # unary minus is not an allowed operation
    assert task.verify(_inst([1, 1, 4, 6]), "(1*1)*(4*6)").correct


def test_parse_edge_cases() -> None:
    task = get_task("game24")
    assert task.parse("no answer here") is None
    assert task.parse("<<<1+1>>> then <<<(4*6) = 24>>>") == "(4*6) = 24"
    assert task.parse("<<<  '4 × 6'  >>>") == "4 * 6"
    assert task.parse("<<<[4*(5+1)]>>>") == "(4*(5+1))"


def test_no_generator() -> None:
    assert_needs_external_data(get_task("game24"))
