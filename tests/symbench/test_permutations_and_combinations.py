"""U9 Permutations and Combinations: gold answers pass, perturbed ones fail, generated instances verify."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.permutations_and_combinations import parse_constraints
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("permutations_and_combinations")
    for inst, gold in stored_golds(task, symbench_dir, list, paper=True):
        rejects(task, inst, gold[:-1], [gold[0], *gold[:-1]])
        assert parse_constraints(inst.data["constraints_text"])


def test_fix_requires_a_permutation() -> None:
    task = get_task("permutations_and_combinations")
    inst = task.generate(1, seed=1, complexity=1)[0]
    inst.data["constraints_text"] = "1. Book A must be to the left of book B."
    answer = ["A", "B", "B", "C", "D", "E"]
    assert not task.verify(inst, answer).correct
    assert task.verify_paper(inst, answer).correct
    assert not task.verify(inst, ["B", "A", "C", "D", "E", "F"]).correct


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("permutations_and_combinations")
    assert_grows(
        [
            len(batch[0].data["items"]) * 100 + sum(len(i.data["constraints_text"].splitlines()) for i in batch)
            for batch in generated_batches(task, range(1, 6), n=5, seed=13)
        ]
    )
    assert_reproducible(task, n=3, seed=1, complexity=4)


def test_parse_edge_cases() -> None:
    task = get_task("permutations_and_combinations")
    assert task.parse("none") is None
    assert task.parse('<<<["A"]>>> then <<< [ "B",\'C\' , D ] >>>') == ["B", "C", "D"]
