r"""S12 MATH Counting & Probability: every boxed target passes, a perturbed one fails."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.base import Instance
from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import assert_needs_external_data, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("math_counting_probability")
    for inst, gold in stored_golds(task, symbench_dir):
        rejects(task, inst, f"({gold})+1")


def test_equivalent_forms() -> None:
    task = get_task("math_counting_probability")
    inst = Instance(task.name, "x", "q", {"target": r"\dfrac{1}{29,\!322,\!216}"})
    assert task.verify(inst, task.parse("<<<1/29322216>>>")).correct
    assert not task.verify(inst, task.parse("<<<1/29322217>>>")).correct
    assert task.parse("no answer") is None


def test_generation_needs_external_data() -> None:
    assert_needs_external_data(get_task("math_counting_probability"))
