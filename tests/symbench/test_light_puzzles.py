"""S16 Light Puzzles: stored gold passes, perturbed fails, generated instances verify themselves."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task

TASK = "light_puzzles"


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task(TASK)
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, list)
        assert task.verify(inst, gold).correct, inst.id
        bad = list(gold)
        bad[-1] ^= 1
        assert not task.verify(inst, bad).correct
        assert not task.verify(inst, gold[:-1]).correct


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task(TASK)
    sizes = []
    for c in range(1, 6):
        insts = task.generate(4, seed=1, complexity=c)
        for inst in insts:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
        sizes.append((inst.data["n"], len(inst.data["operations"])))
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    assert task.generate(2, seed=4, complexity=3)[1].to_dict() == task.generate(2, seed=4, complexity=3)[1].to_dict()


def test_parse_edge_cases() -> None:
    task = get_task(TASK)
    assert task.parse("0,1,1,0") is None
    assert task.parse("<<<1,1,1,1>>> no: <<< [0, 1,\n 1, 0] >>>") == [0, 1, 1, 0]
    assert task.parse("<<<'0','1'>>>") == [0, 1]
