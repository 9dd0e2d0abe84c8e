"""U6 Combinatorial Calculation: gold answers pass, perturbed ones fail, generated instances verify themselves."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("combinatorial_calculation")
    for inst, gold in stored_golds(task, symbench_dir, list, paper=True):
        ops = [k for k, t in enumerate(gold) if t in "+-*/"]
        bad = list(gold)
        bad[ops[0]] = {"+": "-", "-": "+", "*": "+", "/": "*"}[gold[ops[0]]]
        rejects(task, inst, bad, [*gold, "+", "1"])


def test_fix_keeps_order_and_rejects_eval_tricks() -> None:
    task = get_task("combinatorial_calculation")
    inst = task.generate(1, seed=2, complexity=1)[0]
    inst.data.update(numbers=[6, 2, 7], target=10)
    assert task.verify(inst, task.parse("<<<[6, /, 2, +, 7]>>>")).correct
    assert not task.verify(inst, task.parse("<<<[7, +, 6, /, 2]>>>")).correct
    assert task.verify_paper(inst, task.parse("<<<[7, +, 6, /, 2]>>>")).correct
    assert not task.verify(inst, ["6", "/", "2", "+", "7", "**", "1"]).correct
    assert not task.verify(inst, task.parse("<<<[6, /, (, 2, +, 7>>>")).correct
    assert not task.verify(inst, task.parse("<<<[6, 2, +, 7]>>>")).correct


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("combinatorial_calculation")
    assert_grows([len(batch[0].data["numbers"]) for batch in generated_batches(task, range(1, 6), n=5, seed=11)])
    assert_reproducible(task, n=3, seed=1, complexity=3)


def test_parse_edge_cases() -> None:
    task = get_task("combinatorial_calculation")
    assert task.parse("no block") is None
    assert task.parse("<<<[1, +, 2]>>> <<< ['3', '×', '(', '4', '÷', '2', ')'] >>>") == [
        "3",
        "*",
        "(",
        "4",
        "/",
        "2",
        ")",
    ]
    assert task.parse("<<<3*(4-2)>>>") == ["3", "*", "(", "4", "-", "2", ")"]
