"""S17 Mahjong: stored gold passes, perturbed fails, generated instances verify themselves."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task

TASK = "mahjong"
# Stored results that contradict the stated rules: gold 2 (Chi) in questions whose rules have no Chi (sample_2, 6,
# 104), and gold 0 although the new card forms a run with two held cards under the Chi rule (e.g. sample_38: Z with
# X, Y in hand).
KNOWN_BAD = {f"sample_{k}" for k in (2, 6, 38, 70, 73, 104, 108, 125, 156, 168, 177, 197)}


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task(TASK)
    instances = task.load(symbench_dir)
    assert instances
    bad = set()
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, int)
        assert task.verify_paper(inst, gold).correct
        if not task.verify(inst, gold).correct:
            bad.add(inst.id)
            continue
        assert not task.verify(inst, (gold + 1) % 3).correct
        assert not task.verify(inst, (gold + 2) % 3).correct
    assert bad == KNOWN_BAD & {i.id for i in instances}
    assert all(("Chi" in i.question) == (i.complexity is not None and i.complexity > 2) for i in instances)


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task(TASK)
    results = set()
    for c in range(1, 6):
        insts = task.generate(20, seed=1, complexity=c)
        for inst in insts:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
            assert len(inst.data["rounds"]) == c
            results.add(inst.data["solution"])
    assert results == {0, 1, 2}
    assert task.generate(2, seed=4, complexity=3)[1].to_dict() == task.generate(2, seed=4, complexity=3)[1].to_dict()


def test_parse_edge_cases() -> None:
    task = get_task(TASK)
    assert task.parse("1") is None
    assert task.parse("<<<0>>> no, <<< '2' >>>") == 2
    assert task.parse("<<<Peng>>>") == 1
    assert task.parse("<<<?>>>") is None
