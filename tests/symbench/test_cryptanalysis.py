"""U4 Cryptanalysis: gold answers pass, perturbed ones fail, clue wording is reproduced, generated ones verify."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.cryptanalysis import clues, feedback


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("cryptanalysis")
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, list)
        assert task.verify(inst, gold).correct, inst.id
        assert task.verify_paper(inst, gold).correct, inst.id
        for guess, text in clues(inst.question):
            assert feedback(guess, inst.data["answer"]) == text, (inst.id, guess)
        assert not task.verify(inst, [gold[1], gold[0], *gold[2:]]).correct, inst.id
        assert not task.verify(inst, [*gold[:2], gold[3], gold[2]]).correct, inst.id
        assert not task.verify(inst, gold[:3]).correct


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("cryptanalysis")
    sizes = []
    for c in range(1, 6):
        batch = task.generate(4, seed=23, complexity=c)
        for inst in batch:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
        sizes.append(min(len(clues(i.question)) for i in batch))
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]
    assert task.generate(3, seed=1, complexity=2)[2].question == task.generate(3, seed=1, complexity=2)[2].question


def test_parse_edge_cases() -> None:
    task = get_task("cryptanalysis")
    assert task.parse("nothing") is None
    assert task.parse('<<<["1", "2", "A", "B"]>>> so <<< [ "5", \'3\', "f", "A" ] >>>') == ["5", "3", "F", "A"]
    assert task.parse("<<< 53FA >>>") == ["5", "3", "F", "A"]
    assert task.parse('<<<"53fa">>>') == ["5", "3", "F", "A"]
