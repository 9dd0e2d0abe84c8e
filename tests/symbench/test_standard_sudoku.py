"""S28 Standard Sudoku: stored solutions pass, perturbed grids fail, any valid grid passes, generation is unique."""

from __future__ import annotations

import random
from pathlib import Path

from nsllm_cli.symbench.base import Instance
from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.standard_sudoku import count_solutions, random_solution
from tests.symbench._shapes import assert_reproducible, generated_batches, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("standard_sudoku")
    for inst, gold in stored_golds(task, symbench_dir, list):
        r, c = next((r, c) for r in range(9) for c in range(9) if inst.data["puzzle"][r][c] == 0)
        bad = [row[:] for row in gold]
        bad[r][c] = bad[r][c] % 9 + 1
        rejects(task, inst, bad)
        assert count_solutions(inst.data["puzzle"]) == 1, inst.id  # the stored puzzles are unique


def test_any_valid_grid_passes() -> None:
    task = get_task("standard_sudoku")
    empty = Instance("standard_sudoku", "x", "", {"puzzle": [[0] * 9 for _ in range(9)], "solution": []})
    other = random_solution(random.Random(5))
    assert task.verify(empty, other).correct
    assert task.verify_paper(empty, other).correct


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("standard_sudoku")
    blanks = []
    for complexity in range(1, 8):
        (batch,) = generated_batches(task, [complexity], n=2, seed=complexity)
        assert all(count_solutions(inst.data["puzzle"]) == 1 for inst in batch)
        blanks.append(
            min(sum(v == 0 for row in i.data["puzzle"] for v in row) for i in task.generate(2, 1, complexity))
        )
    assert blanks[:5] == sorted(blanks[:5]) and blanks[0] < blanks[3] < blanks[4]
    assert_reproducible(task, n=2, seed=3, complexity=2)


def test_parse_edge_cases() -> None:
    task = get_task("standard_sudoku")
    assert task.parse("no answer") is None
    grid = "\n".join(" ".join(str((r * 3 + r // 3 + c) % 9 + 1) for c in range(9)) for r in range(9))
    parsed = task.parse(f"<<<1>>> then <<< [[{grid}]] >>>")
    assert isinstance(parsed, list) and len(parsed) == 9 and parsed[0][0] == 1
    assert task.parse("<<<1,2,3>>>") == [1, 2, 3]
    assert not task.verify(Instance("standard_sudoku", "x", "", {"puzzle": [[0] * 9] * 9}), [1, 2, 3]).correct
