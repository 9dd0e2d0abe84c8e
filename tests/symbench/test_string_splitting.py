"""U5 String Splitting: gold answers pass and match the simulator, perturbed ones fail, generated ones verify."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.string_splitting import KEYS, initial_counts, simulate
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("string_splitting")
    for inst, gold in stored_golds(task, symbench_dir, list, paper=True):
        counts = initial_counts(inst.question)
        assert counts is not None, inst.id
        assert [simulate(*counts)[k] for k in KEYS] == gold, inst.id
        rejects(task, inst, [*gold[:3], gold[3] + 1, *gold[4:]], gold[:5])


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("string_splitting")
    batches = generated_batches(task, range(1, 6), n=5, seed=17)
    assert all(initial_counts(inst.question) is not None for batch in batches for inst in batch)
    assert_grows([sum(sum(initial_counts(i.question) or ()) for i in batch) for batch in batches])
    assert_reproducible(task, n=3, seed=1, complexity=2)


def test_parse_edge_cases() -> None:
    task = get_task("string_splitting")
    assert task.parse("nothing") is None
    assert task.parse('<<<[1]>>> <<< ["0", "0", "1", "2", "0", "3"] >>>') == [0, 0, 1, 2, 0, 3]
    assert task.parse("<<<0 0 1 2 0 3>>>") == [0, 0, 1, 2, 0, 3]
    assert task.parse('<<<"001203">>>') == [0, 0, 1, 2, 0, 3]
