"""S6 Date Understanding: every stored target passes, another option fails; letter parsing is lenient."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks._bbh import options
from tests.symbench._shapes import assert_needs_external_data, stored_golds


def test_gold_answers_pass_and_other_options_fail(symbench_dir: Path) -> None:
    task = get_task("date_understanding")
    for inst, gold in stored_golds(task, symbench_dir, str):
        others = [k for k in options(inst.data["input"]) if k != gold]
        assert others, inst.id
        assert not task.verify(inst, others[0]).correct
        # the option's text itself maps to its letter
        text = options(inst.data["input"])[gold]
        assert task.verify(inst, task.parse(f"<<<{text}>>>")).correct, inst.id


def test_parse_edge_cases() -> None:
    task = get_task("date_understanding")
    assert task.parse("no block here") is None
    assert task.parse("<<<(A)>>> then <<<(C)>>>") == "C"
    assert task.parse("<<< 'b' >>>") == "B"
    assert task.parse("<<<B) 12/25/1937>>>") == "B"
    assert task.parse("<<<Option d>>>") == "D"
    assert task.parse("<<<12/25/1937>>>") == "12/25/1937"


def test_generation_needs_external_data() -> None:
    assert_needs_external_data(get_task("date_understanding"))
