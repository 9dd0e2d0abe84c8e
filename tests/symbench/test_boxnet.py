"""S4 BoxNet: the planner's gold plan clears every grid; truncated or illegal plans fail with a partial ratio."""

from __future__ import annotations

import json
from pathlib import Path

from nsllm_cli.symbench.base import Instance
from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("boxnet")
    for inst, plan in stored_golds(task, symbench_dir, list, paper=True):
        assert plan, inst.id
        verdict = task.verify(inst, plan[:-1])
        assert not verdict.correct and verdict.score < 1, inst.id


def _inst() -> Instance:
    state = {"0.5_0.5": ["box_red", "target_blue"], "0.5_1.5": ["target_red", "box_blue"]}
    return Instance("boxnet", "t", "", {"rows": 1, "cols": 2, "state": state})


def test_rules_and_paper_mode() -> None:
    task = get_task("boxnet")
    inst = _inst()
    good = [
        {"Agent[0.5, 0.5]": "move(box_red, square[0.5, 1.5])", "Agent[0.5, 1.5]": "move(box_blue, square[0.5, 0.5])"},
        {"Agent[0.5, 0.5]": "move(box_blue, target_blue)", "Agent[0.5, 1.5]": "move(box_red, target_red)"},
    ]
    assert task.verify(inst, good).correct
    # the box that just arrived cannot be used by the same step's agent there
    chained = [{"Agent[0.5, 0.5]": "move(box_red, square[0.5, 1.5])", "Agent[0.5, 1.5]": "move(box_red, target_red)"}]
    assert not task.verify(inst, chained).correct
    far = [{"Agent[0.5, 0.5]": "move(box_red, square[1.5, 1.5])"}]
    assert not task.verify(inst, far).correct
    wrong_colour = [{"Agent[0.5, 0.5]": "move(box_red, target_blue)"}]
    assert not task.verify(inst, wrong_colour).correct
    half = [{"Agent[0.5, 0.5]": "move(box_red, square[0.5, 1.5])"}, {"Agent[0.5, 1.5]": "move(box_red, target_red)"}]
    verdict = task.verify(inst, half)
    assert not verdict.correct and verdict.score == 0.5
    noisy = [{"Agent[0.5, 0.5]": "move(box_green, square[0.5, 1.5])"}, *good]
    assert not task.verify(inst, noisy).correct
    assert task.verify_paper(inst, noisy).correct  # the original skipped the invalid action


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("boxnet")
    batches = generated_batches(task, range(1, 6), n=3, seed=11)
    assert all("<<<" in inst.question for batch in batches for inst in batch)
    assert_grows([len(batch[0].data["state"]) for batch in batches])
    assert_reproducible(task, n=2, seed=5, complexity=3)


def test_parse_edge_cases() -> None:
    task = get_task("boxnet")
    assert task.parse("no plan") is None
    step = {"Agent[0.5, 0.5]": "move(box_red, target_red)"}
    text = f"<<<[]>>> and finally <<< {json.dumps([step])} >>>"
    assert task.parse(text) == [step]
    assert task.parse("<<<[{'Agent[0.5, 0.5]': 'move(box_red, target_red)'}]>>>") == [step]
    assert task.parse(f"<<<{json.dumps(step)}>>>") == [step]
    dup = '<<<[{"Agent[0.5, 0.5]": "move(box_red, target_red)", "Agent[0.5, 0.5]": "move(box_red, target_red)"}]>>>'
    assert not task.verify(_inst(), task.parse(dup)).correct  # two actions of one agent, kept visible
    assert task.parse("<<<not json>>>") == []
