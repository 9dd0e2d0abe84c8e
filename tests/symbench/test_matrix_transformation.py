"""S19 Matrix Transformation: stored gold passes, perturbed fails, generated instances verify themselves."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds

TASK = "matrix_transformation"


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task(TASK)
    for inst, gold in stored_golds(task, symbench_dir, list, paper=True):
        spaced = task.parse("<<<" + ", ".join(f"'{c}'" for c in gold) + ">>>")
        assert task.verify(inst, spaced).correct
        assert not task.verify_paper(inst, spaced).correct
        rejects(task, inst, list(reversed(gold)) if gold != gold[::-1] else gold[:-1], [*gold[:-1], "?"])


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task(TASK)
    batches = generated_batches(task, range(1, 8), n=4, seed=1)
    assert_grows([len(batch[0].data["formatted_solution"].split(",")) for batch in batches])
    assert_reproducible(task, n=2, seed=4, complexity=3)


def test_parse_edge_cases() -> None:
    task = get_task(TASK)
    assert task.parse("A,B") is None
    assert task.parse("<<<X,Y>>> fixed: <<< [['A', 'B'], ['C', 'D']] >>>") == ["A", "B", "C", "D"]
    assert task.parse("<<<A B\nC D>>>") == ["A", "B", "C", "D"]
    assert task.parse("<<<#, $ ,%>>>") == ["#", "$", "%"]
