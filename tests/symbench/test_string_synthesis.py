"""S26 String Synthesis: stored counts pass and match the simulation, perturbed ones fail, 2-digit counts parse."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.string_synthesis import synthesise


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("string_synthesis")
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, list), inst.id
        assert task.verify(inst, gold).correct, inst.id
        assert task.verify_paper(inst, gold).correct, inst.id
        assert task.parse(inst.data["solution_string"]) == gold
        d = inst.data
        assert synthesise(d["A_count"], d["B_count"], d["C_count"]) == d["final_counts"], inst.id
        bad = list(gold)
        bad[0] += 1
        assert not task.verify(inst, bad).correct


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("string_synthesis")
    totals = []
    for complexity in range(1, 6):
        generated = task.generate(4, seed=9, complexity=complexity)
        for inst in generated:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
        d = generated[0].data
        totals.append(d["A_count"] + d["B_count"] + d["C_count"])
    assert totals == sorted(totals) and totals[0] < totals[-1]
    assert task.generate(2, seed=3, complexity=3)[1].data == task.generate(2, seed=3, complexity=3)[1].data
    big = next(i for i in task.generate(20, seed=1, complexity=5) if max(i.data["final_counts"]) >= 10)
    gold = task.parse(task.gold_answer(big))
    assert task.verify(big, gold).correct
    assert not task.verify_paper(big, gold).correct  # the original's one-digit-per-count reading


def test_parse_edge_cases() -> None:
    task = get_task("string_synthesis")
    assert task.parse("1 0 0") is None
    assert task.parse("<<<1>>> <<<[2, 0, 1, 1, 0, 0, 0, 0, 0]>>>") == [2, 0, 1, 1, 0, 0, 0, 0, 0]
    assert task.parse("<<< 201100000 >>>") == [2, 0, 1, 1, 0, 0, 0, 0, 0]
    assert task.parse("<<<12, 0, 1, 1, 0, 0, 0, 0, 0>>>") == [12, 0, 1, 1, 0, 0, 0, 0, 0]
