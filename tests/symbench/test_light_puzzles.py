"""S16 Light Puzzles: stored gold passes, perturbed fails, generated instances verify themselves."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds

TASK = "light_puzzles"


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task(TASK)
    for inst, gold in stored_golds(task, symbench_dir, list):
        rejects(task, inst, [*gold[:-1], gold[-1] ^ 1], gold[:-1])


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task(TASK)
    batches = generated_batches(task, range(1, 6), n=4, seed=1)
    assert_grows([(batch[-1].data["n"], len(batch[-1].data["operations"])) for batch in batches])
    assert_reproducible(task, n=2, seed=4, complexity=3)


def test_parse_edge_cases() -> None:
    task = get_task(TASK)
    assert task.parse("0,1,1,0") is None
    assert task.parse("<<<1,1,1,1>>> no: <<< [0, 1,\n 1, 0] >>>") == [0, 1, 1, 0]
    assert task.parse("<<<'0','1'>>>") == [0, 1]
