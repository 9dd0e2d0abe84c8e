"""S25 String Deletion and Modification: stored answers pass and the rule engine reproduces every stored state."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.string_deletion_and_modification import RULES, run_rules
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("string_deletion_and_modification")
    for inst, gold in stored_golds(task, symbench_dir, str):
        states = run_rules(inst.data["initial_string"], inst.data["selected_rules"])
        assert states == inst.data["intermediate_states"], inst.id
        rejects(task, inst, gold + "a", inst.data["initial_string"])


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("string_deletion_and_modification")
    batches = generated_batches(task, range(1, 6), n=4, seed=5)
    for complexity, generated in enumerate(batches, start=1):
        assert all(len(inst.data["intermediate_states"]) - 1 >= 2 + complexity for inst in generated)
        assert all(set(inst.data["selected_rules"]) <= set(RULES) for inst in generated)
    assert_grows([len(generated[0].data["initial_string"]) for generated in batches])
    assert_reproducible(task, n=2, seed=3, complexity=3)


def test_parse_edge_cases() -> None:
    task = get_task("string_deletion_and_modification")
    assert task.parse("abc") is None
    assert task.parse('<<<"x">>> then <<<  "bcab"  >>>') == "bcab"
    assert task.parse("<<<'a b'>>>") == "ab"
    assert len(RULES) == 20
