"""S9 Navigation: every stored target passes (and agrees with a walk simulator), the flipped answer fails."""

from __future__ import annotations

import re
from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import assert_needs_external_data, rejects, stored_golds

_TURNS = {"Turn left": 1, "Turn right": -1, "Turn around": 2}
_STEP = {"forward": 0, "left": 1, "backward": 2, "right": 3}
_DIRS = [(0, 1), (-1, 0), (0, -1), (1, 0)]


def _solve(text: str) -> str:
    """Walk the instructions (facing changes only with turns) and say whether the walk ends at the start."""
    body = text.split("\nOptions:")[0].split("?", 1)[1]
    x = y = heading = 0
    for sentence in (s.strip() for s in body.split(".")):
        if not sentence or sentence == "Always face forward":
            continue
        if sentence in _TURNS:
            heading = (heading + _TURNS[sentence]) % 4
            continue
        m = re.fullmatch(r"Take (\d+) steps?(?: (forward|backward|left|right))?", sentence)
        assert m, sentence
        dx, dy = _DIRS[(heading + _STEP[m.group(2) or "forward"]) % 4]
        x, y = x + dx * int(m.group(1)), y + dy * int(m.group(1))
    return "Yes" if (x, y) == (0, 0) else "No"


def test_gold_answers_pass_and_flipped_fail(symbench_dir: Path) -> None:
    task = get_task("navigate")
    for inst, gold in stored_golds(task, symbench_dir):
        rejects(task, inst, "No" if gold == "Yes" else "Yes")
        assert _solve(inst.data["input"]) == gold, inst.id


def test_parse_edge_cases() -> None:
    task = get_task("navigate")
    assert task.parse("") is None
    assert task.parse("<<<No>>> <<< yes >>>") == "Yes"
    assert task.parse("<<<(No)>>>") == "No"


def test_generation_needs_external_data() -> None:
    assert_needs_external_data(get_task("navigate"))
