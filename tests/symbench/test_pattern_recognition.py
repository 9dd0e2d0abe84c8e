"""S22 Pattern Recognition: stored corners pass and match a solver, perturbed ones fail, generation verifies."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.pattern_recognition import find_square, matrix_from_question
from tests.symbench._shapes import assert_reproducible, generated_batches, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("pattern_recognition")
    for inst, gold in stored_golds(task, symbench_dir, list):
        assert find_square(matrix_from_question(inst.question)) == (inst.data["row"], inst.data["column"]), inst.id
        rejects(task, inst, [gold[0] + 1, gold[1]], [gold[1], gold[0] + 1])


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("pattern_recognition")
    areas = []
    for generated in generated_batches(task, range(1, 6), n=4, seed=4):
        for inst in generated:
            assert find_square(matrix_from_question(inst.question)) == (inst.data["row"], inst.data["column"])
        m = matrix_from_question(generated[0].question)
        areas.append(len(m) * len(m[0]))
    assert areas[0] < areas[2] < areas[4]
    assert_reproducible(task, n=2, seed=3, complexity=3)


def test_parse_edge_cases() -> None:
    task = get_task("pattern_recognition")
    assert task.parse("[1, 2]") is None
    assert task.parse("<<<[0, 0]>>> final: <<< ( 5 , 6 ) >>>") == [5, 6]
    assert task.parse("<<<5 6>>>") == [5, 6]
    assert task.parse("<<<[5]>>>") is None
