"""U9 Permutations and Combinations: gold answers pass, perturbed ones fail, generated instances verify."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.permutations_and_combinations import parse_constraints


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("permutations_and_combinations")
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, list)
        assert task.verify(inst, gold).correct, inst.id
        assert not task.verify(inst, gold[:-1]).correct
        assert not task.verify(inst, [gold[0], *gold[:-1]]).correct
        assert task.verify_paper(inst, gold).correct
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
    sizes = []
    for c in range(1, 6):
        batch = task.generate(5, seed=13, complexity=c)
        for inst in batch:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
        sizes.append(
            len(batch[0].data["items"]) * 100 + sum(len(i.data["constraints_text"].splitlines()) for i in batch)
        )
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]
    assert task.generate(3, seed=1, complexity=4)[2].data == task.generate(3, seed=1, complexity=4)[2].data


def test_parse_edge_cases() -> None:
    task = get_task("permutations_and_combinations")
    assert task.parse("none") is None
    assert task.parse('<<<["A"]>>> then <<< [ "B",\'C\' , D ] >>>') == ["B", "C", "D"]
