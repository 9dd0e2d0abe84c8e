"""U3 Number Multiply: stored targets equal the products and pass, perturbed ones fail, generation scales."""

from __future__ import annotations

import math
from pathlib import Path

from nsllm_cli.symbench.base import Instance
from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.number_multiply import LEVELS


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("number_multiply")
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert gold == math.prod(inst.data["input_value_list"]), inst.id
        assert task.verify(inst, gold).correct, inst.id
        assert not task.verify(inst, gold + 1).correct
        longer = int(str(gold) + "7")
        assert not task.verify(inst, longer).correct
        assert task.verify_paper(inst, longer).correct  # the original's substring bug


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("number_multiply")
    sizes = []
    for complexity in range(1, max(LEVELS) + 1):
        insts = task.generate(8, seed=5, complexity=complexity)
        for inst in insts:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
            assert [len(str(abs(v))) for v in inst.data["input_value_list"]] == list(LEVELS[complexity])
        sizes.append(sum(len(str(abs(v))) for v in insts[0].data["input_value_list"]))
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)
    assert task.generate(2, seed=9, complexity=3)[1].data == task.generate(2, seed=9, complexity=3)[1].data


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
