"""S13 Logical Equation: stored gold passes, perturbed answers fail, generated instances verify themselves."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task

TASK = "logical_equation"


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task(TASK)
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, list)
        assert task.verify(inst, gold).correct, (inst.id, task.verify(inst, gold).reason)
        assert task.verify_paper(inst, gold).correct
        outside = [max(inst.data["numbers"]) + 1, *gold[1:]]
        assert not task.verify(inst, outside).correct, inst.id
        repeated = [gold[0], *gold[:-1]]
        assert not task.verify(inst, repeated).correct


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task(TASK)
    sizes = []
    for c in range(1, 7):
        insts = task.generate(4, seed=3, complexity=c)
        for inst in insts:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct, inst.id
            assert len(inst.data["constraints"]) >= len(inst.data["letters"]) - 1
        sizes.append(len(insts[0].data["letters"]))
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    assert task.generate(2, seed=5, complexity=3)[1].to_dict() == task.generate(2, seed=5, complexity=3)[1].to_dict()


def test_parse_edge_cases() -> None:
    task = get_task(TASK)
    assert task.parse("no block here") is None
    assert task.parse("<<<[1, 2]>>> then <<< [ 3 ,4 ] >>>") == [3, 4]
    assert task.parse("<<<'5', '6'>>>") == [5, 6]
