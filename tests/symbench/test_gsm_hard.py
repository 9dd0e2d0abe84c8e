"""S10 GSM-Hard: every stored target passes, a value off by more than 1e-3 fails; number parsing is lenient."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.base import Instance
from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import assert_needs_external_data, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("gsm_hard")
    for inst, gold in stored_golds(task, symbench_dir, float):
        assert not task.verify(inst, gold * 1.01 + 1).correct, inst.id
        assert not task.verify(inst, None).correct
        assert task.verify_paper(inst, None).correct  # the original's bug, kept for --paper-scoring


def test_tolerance() -> None:
    task = get_task("gsm_hard")
    inst = Instance("gsm_hard", "x", "q", {"target": 1000.0})
    assert task.verify(inst, 1000.5).correct
    assert not task.verify(inst, 1002.0).correct


def test_parse_edge_cases() -> None:
    task = get_task("gsm_hard")
    assert task.parse("the answer is 5") is None
    assert task.parse("<<<3>>> and finally <<<4>>>") == 4.0
    assert task.parse("<<< $1,234,567.50 >>>") == 1234567.5
    assert task.parse("<<<−9867630>>>") == -9867630.0
    assert task.parse("<<<x = 12 * 3 = 36>>>") == 36.0
    assert task.parse("<<<7/2>>>") == 3.5
    assert task.parse("<<<none>>>") is None


def test_generation_needs_external_data() -> None:
    assert_needs_external_data(get_task("gsm_hard"))
