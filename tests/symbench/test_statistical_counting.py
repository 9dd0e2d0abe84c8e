"""S18 Statistical Counting: stored gold passes, perturbed fails, generated instances verify themselves."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds

TASK = "statistical_counting"


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task(TASK)
    for inst, gold in stored_golds(task, symbench_dir, int):
        rejects(task, inst, gold + 1)


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task(TASK)
    assert_grows([len(batch[0].data["sequence"]) for batch in generated_batches(task, range(1, 6), n=4, seed=1)])
    assert_reproducible(task, n=2, seed=4, complexity=3)


def test_parse_edge_cases() -> None:
    task = get_task(TASK)
    assert task.parse("the score is 5") is None
    assert task.parse("<<<3>>> wait <<< '7' >>>") == 7
    assert task.parse("<<<total: 12>>>") == 12
    assert task.parse("<<<>>>") is None
