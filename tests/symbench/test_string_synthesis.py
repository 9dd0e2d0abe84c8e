"""S26 String Synthesis: stored counts pass and match the simulation, perturbed ones fail, 2-digit counts parse."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.string_synthesis import synthesise
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("string_synthesis")
    for inst, gold in stored_golds(task, symbench_dir, list, paper=True):
        assert task.parse(inst.data["solution_string"]) == gold
        d = inst.data
        assert synthesise(d["A_count"], d["B_count"], d["C_count"]) == d["final_counts"], inst.id
        rejects(task, inst, [gold[0] + 1, *gold[1:]])


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("string_synthesis")
    batches = generated_batches(task, range(1, 6), n=4, seed=9)
    assert_grows([sum(batch[0].data[k] for k in ("A_count", "B_count", "C_count")) for batch in batches])
    assert_reproducible(task, n=2, seed=3, complexity=3)
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
