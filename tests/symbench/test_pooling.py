"""S15 Pooling: every stored gold answer passes, perturbed ones fail, generated instances verify themselves."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("pooling")
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, list)
        assert task.verify(inst, gold).correct, inst.id
        bad = list(gold)
        bad[0] += 1
        assert not task.verify(inst, bad).correct
    fractional = [i for i in instances if i.data["pooling_type"] == "average"]
    assert fractional  # the fix: fractional averages pass with a tolerance


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("pooling")
    small = task.generate(5, seed=1, complexity=1)
    large = task.generate(5, seed=1, complexity=4)
    for inst in small + large:
        assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
    assert len(large[0].data["matrix"]) > len(small[0].data["matrix"])
    assert task.generate(3, seed=1, complexity=2)[0].data == task.generate(3, seed=1, complexity=2)[0].data
