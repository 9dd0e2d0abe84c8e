"""S7 Web of Lies: every stored target passes (and agrees with a truth-chain solver), the flipped answer fails."""

from __future__ import annotations

import re
from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import assert_needs_external_data, rejects, stored_golds


def _solve(text: str) -> str:
    """Follow the chain: `A tells the truth/lies.` then `B says A lies/tells the truth.` ..."""
    truth: dict[str, bool] = {}
    first = re.search(r"(?:Question: )?(\w+) (tells the truth|lies)\.", text)
    assert first
    truth[first.group(1)] = first.group(2) == "tells the truth"
    for who, about, claim in re.findall(r"(\w+) says (\w+) (tells the truth|lies)\.", text):
        truth[who] = truth[about] == (claim == "tells the truth")
    asked = re.search(r"Does (\w+) tell the truth\?", text)
    assert asked
    return "Yes" if truth[asked.group(1)] else "No"


def test_gold_answers_pass_and_flipped_fail(symbench_dir: Path) -> None:
    task = get_task("web_of_lies")
    for inst, gold in stored_golds(task, symbench_dir):
        rejects(task, inst, "No" if gold == "Yes" else "Yes")
        assert _solve(inst.data["input"]) == gold, inst.id


def test_parse_edge_cases() -> None:
    task = get_task("web_of_lies")
    assert task.parse("Yes") is None
    assert task.parse("<<<Yes>>> ... <<<No>>>") == "No"
    assert task.parse("<<< 'yes.' >>>") == "Yes"
    assert task.parse("<<<False>>>") == "No"
    assert task.parse("<<<maybe>>>") == "maybe"


def test_generation_needs_external_data() -> None:
    assert_needs_external_data(get_task("web_of_lies"))
