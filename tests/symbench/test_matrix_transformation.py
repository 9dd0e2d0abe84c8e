"""S19 Matrix Transformation: stored gold passes, perturbed fails, generated instances verify themselves."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task

TASK = "matrix_transformation"


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task(TASK)
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, list)
        assert task.verify(inst, gold).correct, inst.id
        assert task.verify_paper(inst, gold).correct
        spaced = task.parse("<<<" + ", ".join(f"'{c}'" for c in gold) + ">>>")
        assert task.verify(inst, spaced).correct
        assert not task.verify_paper(inst, spaced).correct
        assert not task.verify(inst, list(reversed(gold)) if gold != gold[::-1] else gold[:-1]).correct
        assert not task.verify(inst, [*gold[:-1], "?"]).correct


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task(TASK)
    sizes = []
    for c in range(1, 8):
        insts = task.generate(4, seed=1, complexity=c)
        for inst in insts:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
        sizes.append(len(insts[0].data["formatted_solution"].split(",")))
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    assert task.generate(2, seed=4, complexity=3)[1].to_dict() == task.generate(2, seed=4, complexity=3)[1].to_dict()


def test_parse_edge_cases() -> None:
    task = get_task(TASK)
    assert task.parse("A,B") is None
    assert task.parse("<<<X,Y>>> fixed: <<< [['A', 'B'], ['C', 'D']] >>>") == ["A", "B", "C", "D"]
    assert task.parse("<<<A B\nC D>>>") == ["A", "B", "C", "D"]
    assert task.parse("<<<#, $ ,%>>>") == ["#", "$", "%"]
