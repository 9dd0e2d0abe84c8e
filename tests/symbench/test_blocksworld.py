"""S5 Blocksworld: the BFS gold plan reaches every goal; illegal or short plans fail; lenient move parsing."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.base import Instance
from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("blocksworld")
    trivial = []
    for inst, plan in stored_golds(task, symbench_dir, list):
        if not plan:  # the goal already holds: any move breaks it
            trivial.append(inst.id)
            src, blocks = next((k, v) for k, v in inst.data["initial"].items() if v)
            dst = next(k for k in inst.data["initial"] if k != src)
            rejects(task, inst, [(blocks[-1], src, dst)])
            continue
        block, src, dst = plan[0]
        rejects(task, inst, plan[:-1], [(block, dst, src), *plan[1:]])
    assert trivial == ["2_3_2_2"]  # its initial state already equals the goal; the empty plan is right


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("blocksworld")
    sizes = []
    for instances in generated_batches(task, range(1, 7), n=3, seed=2):
        data = instances[0].data
        sizes.append((sum(len(s) for s in data["initial"].values()), len(data["initial"])))
    assert_grows(sizes)
    assert_reproducible(task, n=2, seed=4, complexity=3)


def test_rules() -> None:
    task = get_task("blocksworld")
    inst = Instance("blocksworld", "t", "", {"initial": {"stack1": ["A", "B"], "stack2": []},
                                             "goal": {"stack1": [], "stack2": ["B", "A"]}})  # fmt: skip
    assert task.verify(inst, task.parse("<<<Move B from stack1 to stack2\nMove A from stack1 to stack2>>>")).correct
    assert not task.verify(inst, task.parse("<<<Move A from 1 to 2\nMove B from 1 to 2>>>")).correct  # not on top
    assert not task.verify(inst, task.parse("<<<Move B from 1 to table\nMove A from 1 to 2>>>")).correct
    assert not task.verify(inst, task.parse("<<<Yes>>>")).correct


def test_parse_edge_cases() -> None:
    task = get_task("blocksworld")
    assert task.parse("no block") is None
    plan = [("B", "stack1", "stack2"), ("A", "stack1", "stack2")]
    assert (
        task.parse("<<<Move A from 1 to 2>>> so: <<< 1. Move B from stack1 to stack2;  'move A from 1 to 2' >>>")
        == plan
    )
    assert task.parse("<<<Move B from stack 1 to stack 2, Move A from 1 to 2>>>") == plan
    assert task.parse("<<<Move B from 1 to 2\\nMove A from 1 to 2>>>") == plan
    assert task.parse("<<<>>>") == []
