"""S2 Path Plan: no original data; generated layouts verify with their own paths, and the geometry rules hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance
from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.path_plan import gold_path, segment_hits_rect
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects


def test_load_says_there_is_no_data(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no data folder"):
        get_task("path_plan").load(tmp_path)


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("path_plan")
    batches = generated_batches(task, range(1, 8), n=5, seed=3)
    for inst in (inst for batch in batches for inst in batch):
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, list)
        assert "<<<" in inst.question
        skipped = gold_path({**inst.data, "required": inst.data["required"][1:]})  # corridors only skip one area
        rejects(task, inst, gold[:-1], skipped)  # stops short of the end point; misses a required area
    assert_grows([len(batch[0].data["required"]) + len(batch[0].data["forbidden"]) for batch in batches])
    assert_reproducible(task, n=2, seed=9, complexity=3)


def _inst() -> Instance:
    data = {"areas": {"red": [-0.2, 0.2, -0.2, 0.2], "blue": [0.5, 0.9, -1.0, -0.6]}, "start": [-1.3, -1.3],
            "end": [1.3, 1.3], "required": ["red"], "forbidden": ["blue"]}  # fmt: skip
    return Instance("path_plan", "t", "", data)


def test_rules() -> None:
    task = get_task("path_plan")
    inst = _inst()
    assert task.verify(inst, [(-1.3, -1.3), (1.3, 1.3)]).correct  # the diagonal crosses red only
    assert not task.verify(inst, [(-1.3, -1.3), (0.7, -1.3), (0.7, 1.3), (1.3, 1.3)]).correct  # through blue
    assert not task.verify(inst, [(-1.3, -1.3), (-1.3, 1.3), (1.3, 1.3)]).correct  # misses red
    assert not task.verify(inst, [(-1.3, -1.3), (-1.45, 0.0), (1.3, 1.3)]).correct  # touches a wall
    assert not task.verify(inst, [(-1.2, -1.3), (1.3, 1.3)]).correct  # wrong start
    # touching the boundary counts as entering
    assert segment_hits_rect((0.5, -1.2), (0.5, -0.5), (0.5, 0.9, -1.0, -0.6))
    assert not segment_hits_rect((0.49, -1.2), (0.49, -0.5), (0.5, 0.9, -1.0, -0.6))


def test_parse_edge_cases() -> None:
    task = get_task("path_plan")
    assert task.parse("none") is None
    text = "<<<[(0, 0)]>>> final <<< [(-1.3, -1.3), (0.0,0.0) , (1.3, 1.3)] >>>"
    assert task.parse(text) == [(-1.3, -1.3), (0.0, 0.0), (1.3, 1.3)]
    assert task.parse("<<<[[-1.3, -1.3], [1.3, 1.3]]>>>") == [(-1.3, -1.3), (1.3, 1.3)]
    assert task.parse("<<<'(-1.3, -1.3) -> (1.3, 1.3)'>>>") == [(-1.3, -1.3), (1.3, 1.3)]
    assert task.parse("<<<__import__('os')>>>") == []
