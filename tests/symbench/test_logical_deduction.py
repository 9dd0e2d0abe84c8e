"""S8 Logical Deduction: every stored target passes, another option fails; letter parsing is lenient."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks._bbh import options
from tests.symbench._shapes import assert_needs_external_data, rejects, stored_golds


def test_gold_answers_pass_and_other_options_fail(symbench_dir: Path) -> None:
    task = get_task("logical_deduction")
    for inst, gold in stored_golds(task, symbench_dir):
        assert len(options(inst.data["input"])) == 7, inst.id
        rejects(task, inst, next(k for k in options(inst.data["input"]) if k != gold))


def test_parse_edge_cases() -> None:
    task = get_task("logical_deduction")
    assert task.parse("nothing") is None
    assert task.parse("<<<(A)>>>\n<<<(G)>>>") == "G"
    assert task.parse('<<< "(e)" >>>') == "E"


def test_generation_needs_external_data() -> None:
    assert_needs_external_data(get_task("logical_deduction"))
