"""S8 Logical Deduction: every stored target passes, another option fails; letter parsing is lenient."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsllm_cli.symbench.base import NeedsExternalData
from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks._bbh import options


def test_gold_answers_pass_and_other_options_fail(symbench_dir: Path) -> None:
    task = get_task("logical_deduction")
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert task.verify(inst, gold).correct, inst.id
        assert len(options(inst.data["input"])) == 7, inst.id
        other = next(k for k in options(inst.data["input"]) if k != gold)
        assert not task.verify(inst, other).correct


def test_parse_edge_cases() -> None:
    task = get_task("logical_deduction")
    assert task.parse("nothing") is None
    assert task.parse("<<<(A)>>>\n<<<(G)>>>") == "G"
    assert task.parse('<<< "(e)" >>>') == "E"


def test_generation_needs_external_data() -> None:
    with pytest.raises(NeedsExternalData):
        get_task("logical_deduction").generate(1, seed=0, complexity=1)
