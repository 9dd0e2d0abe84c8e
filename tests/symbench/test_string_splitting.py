"""U5 String Splitting: gold answers pass and match the simulator, perturbed ones fail, generated ones verify."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.string_splitting import KEYS, initial_counts, simulate


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("string_splitting")
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, list)
        assert task.verify(inst, gold).correct, inst.id
        assert task.verify_paper(inst, gold).correct, inst.id
        counts = initial_counts(inst.question)
        assert counts is not None, inst.id
        assert [simulate(*counts)[k] for k in KEYS] == gold, inst.id
        bad = list(gold)
        bad[3] += 1
        assert not task.verify(inst, bad).correct
        assert not task.verify(inst, gold[:5]).correct


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("string_splitting")
    sizes = []
    for c in range(1, 6):
        batch = task.generate(5, seed=17, complexity=c)
        for inst in batch:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
            assert initial_counts(inst.question) is not None
        sizes.append(sum(sum(initial_counts(i.question) or ()) for i in batch))
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]
    assert task.generate(3, seed=1, complexity=2)[2].data == task.generate(3, seed=1, complexity=2)[2].data


def test_parse_edge_cases() -> None:
    task = get_task("string_splitting")
    assert task.parse("nothing") is None
    assert task.parse('<<<[1]>>> <<< ["0", "0", "1", "2", "0", "3"] >>>') == [0, 0, 1, 2, 0, 3]
    assert task.parse("<<<0 0 1 2 0 3>>>") == [0, 0, 1, 2, 0, 3]
    assert task.parse('<<<"001203">>>') == [0, 0, 1, 2, 0, 3]
