"""U8 2048: stored gold answers pass and match the simulator, perturbed ones fail, generated instances verify."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.game2048 import _cells, simulate
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("game2048")
    for inst, gold in stored_golds(task, symbench_dir, list):
        d = inst.data
        assert [v for row in simulate(d["grid"], tuple(d["start_pos"]), d["moves"]) for v in row] == gold, inst.id
        rejects(task, inst, [gold[0] + 2, *gold[1:]], gold[:-1])


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("game2048")
    batches = generated_batches(task, range(1, 6), n=4, seed=5)
    assert all(len(_cells(i.data["solution"])) == len(i.data["grid"]) ** 2 for batch in batches for i in batch)
    assert_grows([len(batch[0].data["grid"]) + len(batch[0].data["moves"]) for batch in batches])
    assert_reproducible(task, n=3, seed=1, complexity=2)


def test_parse_edge_cases() -> None:
    task = get_task("game2048")
    assert task.parse("nothing") is None
    assert task.parse("<<<1>>> and <<< [[0, 2],\n [4, 8]] >>>") == [0, 2, 4, 8]
    assert task.parse('<<<"0 2\n4 8">>>') == [0, 2, 4, 8]
    assert simulate([[2, 2], [0, 0]], (0, 0), "rd") == [[0, 0], [0, 4]]
