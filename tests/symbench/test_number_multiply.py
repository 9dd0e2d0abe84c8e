"""U3 Number Multiply: stored targets equal the products and pass, perturbed ones fail, generation scales."""

from __future__ import annotations

import math
from pathlib import Path

from nsllm_cli.symbench.base import Instance
from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.number_multiply import LEVELS
from tests.symbench._shapes import assert_reproducible, generated_batches, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("number_multiply")
    for inst, gold in stored_golds(task, symbench_dir, int):
        assert gold == math.prod(inst.data["input_value_list"]), inst.id
        longer = int(str(gold) + "7")
        rejects(task, inst, gold + 1, longer)
        assert task.verify_paper(inst, longer).correct  # the original's substring bug


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("number_multiply")
    sizes = []
    for complexity, insts in enumerate(generated_batches(task, range(1, max(LEVELS) + 1), n=8, seed=5), start=1):
        assert all([len(str(abs(v))) for v in i.data["input_value_list"]] == list(LEVELS[complexity]) for i in insts)
        sizes.append(sum(len(str(abs(v))) for v in insts[0].data["input_value_list"]))
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)
    assert_reproducible(task, n=2, seed=9, complexity=3)


def test_parse_edge_cases() -> None:
    task = get_task("number_multiply")
    assert task.parse("-514828") is None
    assert task.parse("<<<1>>> <<<-514,828>>>") == -514828
    assert task.parse("<<< −514 828 >>>") == -514828
    assert task.parse("<<<-4*17*7571 = -514828>>>") == -514828
    assert task.parse("<<<'1_000_000'>>>") == 1000000
    assert task.parse("<<<no idea>>>") is None
    inst = Instance("number_multiply", "x", "q", {"input_value_list": [-4, 17, 7571], "target_answer": -514828})
    assert task.verify(inst, task.parse("<<<-514,828>>>")).correct
