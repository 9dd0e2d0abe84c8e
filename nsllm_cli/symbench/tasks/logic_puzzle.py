"""S20 Logical Puzzle: select k different cells of a grid, including a given start cell, so that the selected
numbers of every row and column sum to at most 4 (`sum_le_4`) or have a positive product (`product_gt_0`).

Fixes over the original (which checked only the count and the row/column rule): the cells must be distinct, inside
the grid, and include the required start cell. The start cell may appear anywhere in the list, because the stored
solutions themselves do not always list it first. Rows and columns without selected cells are unconstrained.
"""

from __future__ import annotations

import math
import random
import re
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

_START = re.compile(r"square \((\d+),\s*(\d+)\) as the first selected")
# complexity -> (grid size, cells to select, constraint type), following the original data.
_LEVELS = {1: (2, 3, "sum_le_4"), 2: (3, 4, "sum_le_4"), 3: (4, 6, "product_gt_0"), 4: (5, 9, "product_gt_0"),
           5: (5, 10, "product_gt_0"), 6: (6, 12, "product_gt_0"), 7: (7, 16, "product_gt_0"),
           8: (8, 18, "product_gt_0"), 9: (9, 20, "product_gt_0"), 10: (10, 25, "product_gt_0")}  # fmt: skip


def lines_ok(grid: list[list[int]], cells: list[tuple[int, int]], kind: str) -> str:
    """Empty when every row and column of the selection meets the rule, else the first failing line."""
    for axis, label in ((0, "row"), (1, "column")):
        groups: dict[int, list[int]] = {}
        for cell in cells:
            groups.setdefault(cell[axis], []).append(grid[cell[0]][cell[1]])
        for index, values in sorted(groups.items()):
            if kind == "sum_le_4" and sum(values) > 4:
                return f"{label} {index} sums to {sum(values)}"
            if kind == "product_gt_0" and math.prod(values) <= 0:
                return f"{label} {index} has product {math.prod(values)}"
    return ""


def _start(instance: Instance) -> tuple[int, int] | None:
    if "start" in instance.data:
        r, c = instance.data["start"]
        return int(r), int(c)
    m = _START.search(instance.question)
    return (int(m.group(1)), int(m.group(2))) if m else None


@register
class LogicPuzzle(Task):
    name = "logic_puzzle"
    title = "Logical Puzzle"
    code = "S20"
    seen = True
    folder = "logic_puzzle_dataset"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            try:
                start = _start(inst)
                if start is None:
                    raise ValueError("no start cell in the question")
                inst.data["start"] = list(start)
                [[int(v) for v in row] for row in inst.data["grid"]]
                [(int(r), int(c)) for r, c in inst.data["solution"]]
                if inst.data["constraints"]["type"] not in ("sum_le_4", "product_gt_0"):
                    raise ValueError(f"unknown constraint type {inst.data['constraints']['type']!r}")
            except (KeyError, ValueError, TypeError) as exc:
                raise DataError(f"{inst.source}: malformed Logical Puzzle sample ({exc})") from exc

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Complexity 1-10 as in the data: grid 2x2 -> 10x10, 3 -> 25 cells; a valid selection is planted."""
        rng = random.Random(seed)
        size, k, kind = _LEVELS[max(1, min(complexity, 10))]
        out = []
        for i in range(n):
            while True:
                cells = rng.sample([(r, c) for r in range(size) for c in range(size)], k)
                if kind == "product_gt_0" or all(
                    sum(1 for x in cells if x[a] == j) <= 4 for a in (0, 1) for j in range(size)
                ):
                    break
            low, high = (1, 3) if kind == "sum_le_4" else (-5, 8)
            grid = [[rng.choice([v for v in range(low, high + 1) if v != 0]) for _ in range(size)] for _ in range(size)]
            for r, c in cells:
                grid[r][c] = 1 if kind == "sum_le_4" else rng.randint(1, high)
            if kind == "sum_le_4":
                for r, c in cells:
                    old = grid[r][c]
                    grid[r][c] = rng.randint(1, 3)
                    if lines_ok(grid, cells, kind):
                        grid[r][c] = old
            start = cells[0]
            rule = "sum to at most 4" if kind == "sum_le_4" else "have a product greater than 0"
            shown = "\n".join(", ".join(str(v) for v in row) for row in grid)
            question = (
                f"Select {k} different cells of this {size}*{size} grid (numbers between {low} and {high}) so that, "
                f"in every row and every column, the selected numbers {rule}. Rows and columns are 0-based from the "
                f"top-left cell; the cell at row {start[0]}, column {start[1]} (number {grid[start[0]][start[1]]}) "
                f"must be selected first.\n{shown}\n\n"
                "Answer with the selected positions as 'row column' pairs, e.g. <<<0 3, 1 0, 2 4>>> selects (0,3), "
                "(1,0) and (2,4)."
            )
            data = {"grid": grid, "solution": [list(x) for x in cells], "complexity": complexity,
                    "constraints": {"type": kind}, "start": list(start)}  # fmt: skip
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        if block is None:
            return None
        numbers = [int(t) for t in re.findall(r"-?\d+", block)]
        if len(numbers) % 2:
            return None
        return [(numbers[j], numbers[j + 1]) for j in range(0, len(numbers), 2)]

    def _check(self, instance: Instance, answer: Any, strict: bool) -> Verdict:
        if not isinstance(answer, list):
            return Verdict.wrong("no list of positions")
        grid = instance.data["grid"]
        want = len(instance.data["solution"])
        if len(answer) != want:
            return Verdict.wrong(f"{len(answer)} cells selected, expected {want}")
        cells = [(int(r), int(c)) for r, c in answer]
        if any(not (0 <= r < len(grid) and 0 <= c < len(grid[r])) for r, c in cells):
            return Verdict.wrong("a position lies outside the grid")
        if strict:
            if len(set(cells)) != len(cells):
                return Verdict.wrong("a cell is selected twice")
            start = _start(instance)
            if start is not None and start not in cells:
                return Verdict.wrong(f"the required cell {start} is not selected")
        failure = lines_ok(grid, cells, instance.data["constraints"]["type"])
        return Verdict.wrong(failure) if failure else Verdict.ok()

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        return self._check(instance, answer, strict=True)

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: only the count and the row/column rule (repeated cells and a missing start cell passed)."""
        return self._check(instance, answer, strict=False)

    def gold_answer(self, instance: Instance) -> str:
        return "<<<" + ", ".join(f"{r} {c}" for r, c in instance.data["solution"]) + ">>>"
