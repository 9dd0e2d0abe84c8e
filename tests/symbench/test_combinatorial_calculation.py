"""U6 Combinatorial Calculation: gold answers pass, perturbed ones fail, generated instances verify themselves."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("combinatorial_calculation")
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, list)
        assert task.verify(inst, gold).correct, (inst.id, gold)
        assert task.verify_paper(inst, gold).correct, inst.id
        ops = [k for k, t in enumerate(gold) if t in "+-*/"]
        bad = list(gold)
        bad[ops[0]] = {"+": "-", "-": "+", "*": "+", "/": "*"}[gold[ops[0]]]
        assert not task.verify(inst, bad).correct, inst.id
        assert not task.verify(inst, [*gold, "+", "1"]).correct


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
    sizes = []
    for c in range(1, 6):
        batch = task.generate(5, seed=11, complexity=c)
        for inst in batch:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct, inst.data
        sizes.append(len(batch[0].data["numbers"]))
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]
    assert task.generate(3, seed=1, complexity=3)[2].data == task.generate(3, seed=1, complexity=3)[2].data


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
