"""S15 Pooling: every stored gold answer passes, perturbed ones fail, generated instances verify themselves."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import assert_reproducible, generated_batches, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("pooling")
    golds = stored_golds(task, symbench_dir, list)
    for inst, gold in golds:
        rejects(task, inst, [gold[0] + 1, *gold[1:]])
    fractional = [i for i, _ in golds if i.data["pooling_type"] == "average"]
    assert fractional  # the fix: fractional averages pass with a tolerance


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("pooling")
    small, large = generated_batches(task, (1, 4), n=5, seed=1)
    assert len(large[0].data["matrix"]) > len(small[0].data["matrix"])
    assert_reproducible(task, n=3, seed=1, complexity=2)
