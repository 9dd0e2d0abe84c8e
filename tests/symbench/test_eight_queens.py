"""U2 Eight Queens: stored gold answers pass, perturbed ones fail, generated instances verify themselves."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.base import Instance
from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds


def _size(inst: Instance) -> int:
    data = inst.data
    return 1 + len(data["placed_queens"]) + len(data["blocked_positions"]) // 2


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("eight_queens")
    for inst, gold in stored_golds(task, symbench_dir, list, paper=True):
        r, c = gold[0]
        rejects(task, inst, [(r, (c + 1) % 8), *gold[1:]], gold[:-1])


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
    assert_grows([sum(_size(i) for i in batch) for batch in generated_batches(task, range(1, 6), n=5, seed=7)])
    assert_reproducible(task, n=3, seed=1, complexity=3)


def test_parse_edge_cases() -> None:
    task = get_task("eight_queens")
    assert task.parse("no answer here") is None
    assert task.parse("<<<0 1>>> then <<< 2 3 , 4 5 >>>") == [(2, 3), (4, 5)]
    assert task.parse("<<<[(0, 1), (2, 3)]>>>") == [(0, 1), (2, 3)]
