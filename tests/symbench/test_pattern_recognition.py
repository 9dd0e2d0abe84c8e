"""S22 Pattern Recognition: stored corners pass and match a solver, perturbed ones fail, generation verifies."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.pattern_recognition import find_square, matrix_from_question


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("pattern_recognition")
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, list), inst.id
        assert task.verify(inst, gold).correct, inst.id
        assert find_square(matrix_from_question(inst.question)) == (inst.data["row"], inst.data["column"]), inst.id
        assert not task.verify(inst, [gold[0] + 1, gold[1]]).correct
        assert not task.verify(inst, [gold[1], gold[0] + 1]).correct


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("pattern_recognition")
    areas = []
    for complexity in range(1, 6):
        generated = task.generate(4, seed=4, complexity=complexity)
        for inst in generated:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
            assert find_square(matrix_from_question(inst.question)) == (inst.data["row"], inst.data["column"])
        m = matrix_from_question(generated[0].question)
        areas.append(len(m) * len(m[0]))
    assert areas[0] < areas[2] < areas[4]
    assert task.generate(2, seed=3, complexity=3)[1].data == task.generate(2, seed=3, complexity=3)[1].data


def test_parse_edge_cases() -> None:
    task = get_task("pattern_recognition")
    assert task.parse("[1, 2]") is None
    assert task.parse("<<<[0, 0]>>> final: <<< ( 5 , 6 ) >>>") == [5, 6]
    assert task.parse("<<<5 6>>>") == [5, 6]
    assert task.parse("<<<[5]>>>") is None
