"""U8 2048: stored gold answers pass and match the simulator, perturbed ones fail, generated instances verify."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.game2048 import _cells, simulate


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("game2048")
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, list)
        assert task.verify(inst, gold).correct, inst.id
        d = inst.data
        assert [v for row in simulate(d["grid"], tuple(d["start_pos"]), d["moves"]) for v in row] == gold, inst.id
        bad = list(gold)
        bad[0] += 2
        assert not task.verify(inst, bad).correct
        assert not task.verify(inst, gold[:-1]).correct


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("game2048")
    sizes = []
    for c in range(1, 6):
        batch = task.generate(4, seed=5, complexity=c)
        for inst in batch:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
            assert len(_cells(inst.data["solution"])) == len(inst.data["grid"]) ** 2
        sizes.append(len(batch[0].data["grid"]) + len(batch[0].data["moves"]))
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]
    assert task.generate(3, seed=1, complexity=2)[2].data == task.generate(3, seed=1, complexity=2)[2].data


def test_parse_edge_cases() -> None:
    task = get_task("game2048")
    assert task.parse("nothing") is None
    assert task.parse("<<<1>>> and <<< [[0, 2],\n [4, 8]] >>>") == [0, 2, 4, 8]
    assert task.parse('<<<"0 2\n4 8">>>') == [0, 2, 4, 8]
    assert simulate([[2, 2], [0, 0]], (0, 0), "rd") == [[0, 0], [0, 4]]
