r"""S12 MATH Counting & Probability: every boxed target passes, a perturbed one fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsllm_cli.symbench.base import Instance, NeedsExternalData
from nsllm_cli.symbench.registry import get_task


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("math_counting_probability")
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert task.verify(inst, gold).correct, inst.id
        assert not task.verify(inst, f"({gold})+1").correct, inst.id


def test_equivalent_forms() -> None:
    task = get_task("math_counting_probability")
    inst = Instance(task.name, "x", "q", {"target": r"\dfrac{1}{29,\!322,\!216}"})
    assert task.verify(inst, task.parse("<<<1/29322216>>>")).correct
    assert not task.verify(inst, task.parse("<<<1/29322217>>>")).correct
    assert task.parse("no answer") is None


def test_generation_needs_external_data() -> None:
    with pytest.raises(NeedsExternalData):
        get_task("math_counting_probability").generate(1, seed=0, complexity=1)
