"""S20 Logical Puzzle: stored gold passes, perturbed fails, generated instances verify themselves."""

from __future__ import annotations

import math
from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import (
    assert_grows,
    assert_reproducible,
    generated_batches,
    rejects,
    stored_golds_with_errata,
)

TASK = "logic_puzzle"


def _breaks_rule(grid: list[list[int]], cells: list[tuple[int, int]], kind: str) -> bool:
    """Some row or column of the selection sums to more than 4 (`sum_le_4`) or has a product <= 0 (`product_gt_0`)."""
    lines = [[grid[r][c] for r, c in cells if (r, c)[axis] == k] for axis in (0, 1) for k in range(len(grid))]
    if kind == "sum_le_4":
        return any(sum(line) > 4 for line in lines)
    return any(line and math.prod(line) <= 0 for line in lines)


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task(TASK)
    good, bad = stored_golds_with_errata(task, symbench_dir, list)
    assert all(tuple(inst.data["start"]) in gold for inst, gold in good + bad)
    for inst, gold in good:
        assert not _breaks_rule(inst.data["grid"], gold, inst.data["constraints"]["type"]), inst.id
        rejects(task, inst, gold[:-1], [*gold[:-1], gold[0]])  # a cell short; a repeated cell
        start = tuple(inst.data["start"])
        rest = [x for x in gold if x != start]
        size = len(inst.data["grid"])
        others = [(r, c) for r in range(size) for c in range(size) if (r, c) not in gold]
        if others:
            rejects(task, inst, [*rest, others[0]])  # the start cell left out
    # the excused ones: stored solutions that break the row/column rule (e.g. sample_2: grid [[3, 1], [2, 3]], solution
    # column 0 sums to 5 although {(0,0), (0,1), (1,1)} is valid); samples 24, 33, 38 and 45 have no valid selection
    assert bad
    for inst, gold in bad:
        assert _breaks_rule(inst.data["grid"], gold, inst.data["constraints"]["type"]), inst.id
        assert len(set(gold)) == len(gold)  # distinct cells, including the start: only the rule is broken


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task(TASK)
    assert_grows([len(batch[0].data["solution"]) for batch in generated_batches(task, range(1, 11), n=3, seed=1)])
    assert_reproducible(task, n=2, seed=4, complexity=3)


def test_parse_edge_cases() -> None:
    task = get_task(TASK)
    assert task.parse("0 1, 1 0") is None
    assert task.parse("<<<0 0>>> final <<< 0 1, 1 0 , 0 0 >>>") == [(0, 1), (1, 0), (0, 0)]
    assert task.parse("<<<[(0,1), (1,0)]>>>") == [(0, 1), (1, 0)]
    assert task.parse("<<<0 1, 1>>>") is None
