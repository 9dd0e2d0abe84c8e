"""U2 Eight Queens: stored gold answers pass, perturbed ones fail, generated instances verify themselves."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.base import Instance
from nsllm_cli.symbench.registry import get_task


def _size(inst: Instance) -> int:
    data = inst.data
    return 1 + len(data["placed_queens"]) + len(data["blocked_positions"]) // 2


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("eight_queens")
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, list)
        assert task.verify(inst, gold).correct, inst.id
        assert task.verify_paper(inst, gold).correct, inst.id
        r, c = gold[0]
        bad = [(r, (c + 1) % 8), *gold[1:]]
        assert not task.verify(inst, bad).correct
        assert not task.verify(inst, gold[:-1]).correct


def test_fix_requires_pre_placed_queens() -> None:
    task = get_task("eight_queens")
    inst = task.generate(1, seed=3, complexity=3)[0]
    inst.data["placed_queens"] = [[0, 0]]
    inst.data["blocked_positions"] = []
    other = next(s for s in task.generate(20, seed=4, complexity=1) if [0, 0] not in s.data["solution"])
    answer = task.parse(task.gold_answer(other))
    assert not task.verify(inst, answer).correct
    assert task.verify_paper(inst, answer).correct


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("eight_queens")
    sizes = []
    for c in range(1, 6):
        batch = task.generate(5, seed=7, complexity=c)
        for inst in batch:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
        sizes.append(sum(_size(i) for i in batch))
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]
    assert task.generate(3, seed=1, complexity=3)[1].data == task.generate(3, seed=1, complexity=3)[1].data


def test_parse_edge_cases() -> None:
    task = get_task("eight_queens")
    assert task.parse("no answer here") is None
    assert task.parse("<<<0 1>>> then <<< 2 3 , 4 5 >>>") == [(2, 3), (4, 5)]
    assert task.parse("<<<[(0, 1), (2, 3)]>>>") == [(0, 1), (2, 3)]
