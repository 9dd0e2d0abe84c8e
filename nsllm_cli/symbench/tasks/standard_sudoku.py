"""S28 Standard Sudoku: fill a 9 x 9 sudoku (0 = blank in the stored puzzle).

Validation (original and nsllm alike): the givens are kept and every row, column and 3 x 3 box holds 1-9, so any
valid grid passes. Parse reads the digits of the last `<<<...>>>` block in order (81 of them), whatever the
separators or brackets. Generated puzzles have a unique solution (checked with a small bitmask solver).
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

_DIGIT = re.compile(r"\d")
_FULL = 0x3FE  # bits 1..9


def check_grid(grid: list[list[int]], puzzle: list[list[int]]) -> str:
    """Why `grid` is not a valid completion of `puzzle` ("" when it is)."""
    if len(grid) != 9 or any(len(row) != 9 for row in grid):
        return "not a 9 x 9 grid"
    for r in range(9):
        for c in range(9):
            if puzzle[r][c] and grid[r][c] != puzzle[r][c]:
                return f"given cell ({r + 1}, {c + 1}) changed"
    digits = list(range(1, 10))
    for k in range(9):
        if sorted(grid[k]) != digits:
            return f"row {k + 1} invalid"
        if sorted(grid[r][k] for r in range(9)) != digits:
            return f"column {k + 1} invalid"
        br, bc = 3 * (k // 3), 3 * (k % 3)
        if sorted(grid[br + i][bc + j] for i in range(3) for j in range(3)) != digits:
            return f"box {k + 1} invalid"
    return ""


def count_solutions(puzzle: list[list[int]], limit: int = 2) -> int:
    """Solutions of `puzzle`, counted up to `limit` (most-constrained-cell backtracking over bitmasks)."""
    rows, cols, boxes = [0] * 9, [0] * 9, [0] * 9
    empty = []
    for r in range(9):
        for c in range(9):
            v = puzzle[r][c]
            if v:
                bit = 1 << v
                if rows[r] & bit or cols[c] & bit or boxes[r // 3 * 3 + c // 3] & bit:
                    return 0
                rows[r] |= bit
                cols[c] |= bit
                boxes[r // 3 * 3 + c // 3] |= bit
            else:
                empty.append((r, c))

    def search(left: list[tuple[int, int]]) -> int:
        if not left:
            return 1
        best, best_free, best_n = 0, 0, 10
        for k, (r, c) in enumerate(left):
            free = _FULL & ~(rows[r] | cols[c] | boxes[r // 3 * 3 + c // 3])
            n = bin(free).count("1")
            if n < best_n:
                best, best_free, best_n = k, free, n
                if n <= 1:
                    break
        if best_n == 0:
            return 0
        r, c = left[best]
        rest = left[:best] + left[best + 1 :]
        b = r // 3 * 3 + c // 3
        total = 0
        for v in range(1, 10):
            bit = 1 << v
            if best_free & bit:
                rows[r] |= bit
                cols[c] |= bit
                boxes[b] |= bit
                total += search(rest)
                rows[r] &= ~bit
                cols[c] &= ~bit
                boxes[b] &= ~bit
                if total >= limit:
                    break
        return total

    return search(empty)


def random_solution(rng: random.Random) -> list[list[int]]:
    """A random full grid: the canonical pattern under random digit, row, column, band and stack permutations."""
    digits = rng.sample(range(1, 10), 9)
    bands, stacks = rng.sample(range(3), 3), rng.sample(range(3), 3)
    row_order = [3 * b + r for b in bands for r in rng.sample(range(3), 3)]
    col_order = [3 * s + c for s in stacks for c in rng.sample(range(3), 3)]
    return [[digits[(3 * (r % 3) + r // 3 + c) % 9] for c in col_order] for r in row_order]


def blanks_for(complexity: int, rng: random.Random) -> int:
    """Complexity 1-4 removes 30-50 cells (30-34, 35-39, 40-44, 45-50), 5 and above 51-55, as in the original."""
    if complexity >= 5:
        return rng.randint(51, 55)
    low = 30 + 5 * (max(complexity, 1) - 1)
    return rng.randint(low, 50 if complexity == 4 else low + 4)


@register
class StandardSudoku(Task):
    name = "standard_sudoku"
    title = "Standard Sudoku"
    code = "S28"
    seen = True
    folder = "standard_sudoku"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            shaped = all(
                isinstance(g, list) and len(g) == 9 and all(isinstance(row, list) and len(row) == 9 for row in g)
                for g in (inst.data.get("puzzle"), inst.data.get("solution"))
            )
            if not shaped:
                raise DataError(f"{inst.source}/solution.json: puzzle and solution must be 9 x 9")

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Remove `blanks_for(complexity)` cells one by one, keeping the solution unique (restart if stuck)."""
        rng = random.Random(seed)
        out = []
        for i in range(n):
            target = blanks_for(complexity, rng)
            while True:
                solution = random_solution(rng)
                puzzle = [row[:] for row in solution]
                removed = 0
                for cell in rng.sample(range(81), 81):
                    r, c = divmod(cell, 9)
                    keep, puzzle[r][c] = puzzle[r][c], 0
                    if count_solutions(puzzle) == 1:
                        removed += 1
                        if removed == target:
                            break
                    else:
                        puzzle[r][c] = keep
                if removed == target:
                    break
            text = "\n".join(",".join(str(v) if v else " " for v in row) for row in puzzle)
            question = (
                "Complete this 9 x 9 Sudoku: every row, column and 3 x 3 box must contain the digits 1-9 exactly once. "
                f"Blank cells are shown as spaces:\n{text}\n\n"
                "Answer with the full grid, one row per line, digits separated by commas, inside <<< and >>>."
            )
            data = {"puzzle": puzzle, "solution": solution, "complexity": complexity}
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        if block is None:
            return None
        digits = [int(d) for d in _DIGIT.findall(block)]
        if len(digits) != 81:
            return digits
        return [digits[k : k + 9] for k in range(0, 81, 9)]

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, list) or len(answer) != 9 or not all(isinstance(row, list) for row in answer):
            return Verdict.wrong("no 9 x 9 answer grid")
        problem = check_grid(answer, instance.data["puzzle"])
        return Verdict.wrong(problem) if problem else Verdict.ok()

    def gold_answer(self, instance: Instance) -> str:
        return "<<<\n" + "\n".join(",".join(map(str, row)) for row in instance.data["solution"]) + "\n>>>"
