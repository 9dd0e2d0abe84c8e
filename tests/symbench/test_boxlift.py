"""S3 BoxLift: the greedy gold plan lifts every box within N steps; broken plans fail with a partial ratio."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.base import Instance
from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("boxlift")
    for inst, plan in stored_golds(task, symbench_dir, list):
        dropped = [list(step) for step in plan]
        dropped[-1] = dropped[-1][1:]  # one box never lifted
        verdict = task.verify(inst, dropped)
        assert not verdict.correct and 0 < verdict.score < 1
        weak = [list(step) for step in plan]
        weak[0][0] = (weak[0][0][0], [])  # nobody lifts the heaviest box
        assert not task.verify(inst, weak).correct


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("boxlift")
    batches = generated_batches(task, range(1, 6), n=4, seed=7)
    assert all("<<<" in inst.question for batch in batches for inst in batch)
    assert_grows([len(batch[0].data["boxes"]) for batch in batches])
    assert_reproducible(task, n=2, seed=3, complexity=2)


def test_rules_and_paper_mode() -> None:
    task = get_task("boxlift")
    inst = Instance("boxlift", "t", "", {"boxes": [50, 30, 20], "lifters": [40, 30], "max_steps": 2})
    good = task.parse("<<<Step 1: [(50, [0, 1])]\nStep 2: [(30, [1]), (20, [0])]>>>")
    assert task.verify(inst, good).correct
    reused = task.parse("<<<Step 1: [(50, [0, 1]), (20, [0])]\nStep 2: [(30, [1]), (20, [0])]>>>")
    assert not task.verify(inst, reused).correct
    assert task.verify_paper(inst, reused).correct  # the original skipped the bad assignment
    too_many = task.parse("<<<Step 1: [(50, [0, 1])]\nStep 2: [(30, [1])]\nStep 3: [(20, [0])]>>>")
    verdict = task.verify(inst, too_many)
    assert not verdict.correct and verdict.score == 0.8
    assert not task.verify(inst, task.parse("<<<Step 1: [(50, [0, 5])]>>>")).correct
    assert not task.verify(inst, task.parse("<<<Step 1: __import__('os')>>>")).correct


def test_parse_edge_cases() -> None:
    task = get_task("boxlift")
    assert task.parse("nothing") is None
    text = "<<<Step 1: [(1, [0])]>>> final: <<< Step 1 : [ (50 , [0,1]) ] \n step 2: [(30, [1]),] >>>"
    assert task.parse(text) == [[(50, [0, 1])], [(30, [1])]]
    assert task.parse("<<<Step 1: [(50, [0, 1]) (30, [2])]>>>") == [[(50, [0, 1]), (30, [2])]]
