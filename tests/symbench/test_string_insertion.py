"""S23 String Insertion: stored answers pass and match the T operation, perturbed ones fail, generation verifies."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.string_insertion import apply_t, matches
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("string_insertion")
    for inst, gold in stored_golds(task, symbench_dir, str):
        assert apply_t(inst.data["original_string"]) == inst.data["modified_string"], inst.id
        rejects(task, inst, gold + "A", inst.data["original_string"])


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("string_insertion")
    batches = generated_batches(task, range(1, 6), n=4, seed=2)
    for complexity, generated in enumerate(batches, start=1):
        assert all(matches(inst.data["original_string"]) >= complexity for inst in generated)
    assert_grows([len(generated[0].data["original_string"]) for generated in batches])
    assert_reproducible(task, n=2, seed=3, complexity=3)


def test_parse_edge_cases() -> None:
    task = get_task("string_insertion")
    assert task.parse("ABCDA") is None
    assert task.parse("<<<X>>> ... <<< 'abcda' >>>") == "ABCDA"
    assert task.parse('<<<"ABC DE">>>') == "ABCDE"
