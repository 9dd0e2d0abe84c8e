"""S13 Logical Equation: stored gold passes, perturbed answers fail, generated instances verify themselves."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds

TASK = "logical_equation"


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task(TASK)
    for inst, gold in stored_golds(task, symbench_dir, list, paper=True):
        rejects(task, inst, [max(inst.data["numbers"]) + 1, *gold[1:]], [gold[0], *gold[:-1]])  # outside, repeated


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task(TASK)
    batches = generated_batches(task, range(1, 7), n=4, seed=3)
    assert all(len(i.data["constraints"]) >= len(i.data["letters"]) - 1 for batch in batches for i in batch)
    assert_grows([len(batch[0].data["letters"]) for batch in batches])
    assert_reproducible(task, n=2, seed=5, complexity=3)


def test_parse_edge_cases() -> None:
    task = get_task(TASK)
    assert task.parse("no block here") is None
    assert task.parse("<<<[1, 2]>>> then <<< [ 3 ,4 ] >>>") == [3, 4]
    assert task.parse("<<<'5', '6'>>>") == [5, 6]
