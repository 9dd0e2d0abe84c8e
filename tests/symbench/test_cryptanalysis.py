"""U4 Cryptanalysis: gold answers pass, perturbed ones fail, clue wording is reproduced, generated ones verify."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.cryptanalysis import clues, feedback
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("cryptanalysis")
    for inst, gold in stored_golds(task, symbench_dir, list, paper=True):
        for guess, text in clues(inst.question):
            assert feedback(guess, inst.data["answer"]) == text, (inst.id, guess)
        rejects(task, inst, [gold[1], gold[0], *gold[2:]], [*gold[:2], gold[3], gold[2]], gold[:3])


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("cryptanalysis")
    batches = generated_batches(task, range(1, 6), n=4, seed=23)
    assert_grows([min(len(clues(i.question)) for i in batch) for batch in batches])
    assert_reproducible(task, n=3, seed=1, complexity=2)


def test_parse_edge_cases() -> None:
    task = get_task("cryptanalysis")
    assert task.parse("nothing") is None
    assert task.parse('<<<["1", "2", "A", "B"]>>> so <<< [ "5", \'3\', "f", "A" ] >>>') == ["5", "3", "F", "A"]
    assert task.parse("<<< 53FA >>>") == ["5", "3", "F", "A"]
    assert task.parse('<<<"53fa">>>') == ["5", "3", "F", "A"]
