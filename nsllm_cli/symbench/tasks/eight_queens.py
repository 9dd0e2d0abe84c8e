"""U2 Eight Queens: complete an 8 x 8 board with eight non-attacking queens, avoiding the X cells.

Spec row U2. Original: 8 queens, none on a blocked cell, no two attacking. Fix: the pre-placed queens must also be
kept (the original accepted a board that moved them). Any valid completion passes.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

N = 8
_INT = re.compile(r"\d+")


def all_solutions() -> list[list[tuple[int, int]]]:
    """The 92 solutions of the eight-queens puzzle, as (row, column) lists."""
    out: list[list[tuple[int, int]]] = []

    def place(row: int, cols: list[int]) -> None:
        if row == N:
            out.append(list(enumerate(cols)))
            return
        for c in range(N):
            if all(c != pc and abs(c - pc) != row - pr for pr, pc in enumerate(cols)):
                place(row + 1, [*cols, c])

    place(0, [])
    return out


_SOLUTIONS = all_solutions()


def _cells(value: Any) -> set[tuple[int, int]]:
    return {(int(r), int(c)) for r, c in value}


def check_queens(
    queens: list[tuple[int, int]], blocked: set[tuple[int, int]], placed: set[tuple[int, int]] | None
) -> str:
    """Why a placement is invalid ("" when it is valid); `placed=None` skips the pre-placed check (paper rule)."""
    if len(queens) != N:
        return f"{len(queens)} queens, expected {N}"
    if len(set(queens)) != N:
        return "a cell is used twice"
    for r, c in queens:
        if not (0 <= r < N and 0 <= c < N):
            return f"queen ({r}, {c}) is off the board"
        if (r, c) in blocked:
            return f"queen ({r}, {c}) is on a blocked cell"
    for i, (r1, c1) in enumerate(queens):
        for r2, c2 in queens[i + 1 :]:
            if r1 == r2 or c1 == c2 or abs(r1 - r2) == abs(c1 - c2):
                return f"queens ({r1}, {c1}) and ({r2}, {c2}) attack each other"
    if placed is not None and not placed <= set(queens):
        return "a pre-placed queen was removed"
    return ""


def _board(placed: set[tuple[int, int]], blocked: set[tuple[int, int]]) -> list[str]:
    return ["".join("1" if (r, c) in placed else "X" if (r, c) in blocked else "0" for c in range(N)) for r in range(N)]


@register
class EightQueens(Task):
    name = "eight_queens"
    title = "Eight Queens"
    code = "U2"
    seen = False
    folder = "eight_queens_dataset"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            try:
                (
                    _cells(inst.data["solution"]),
                    _cells(inst.data["blocked_positions"]),
                    _cells(inst.data["placed_queens"]),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{inst.source}/solution.json: malformed eight-queens data ({exc})") from exc

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Complexity c = 1 + #pre-placed queens + #blocked // 2, as in the original."""
        rng = random.Random(seed)
        out = []
        for i in range(n):
            solution = rng.choice(_SOLUTIONS)
            budget = max(complexity - 1, 0)
            n_placed = rng.randint(0, min(budget, 4))
            n_blocked = 2 * (budget - n_placed)
            placed = set(rng.sample(solution, n_placed))
            free = [(r, c) for r in range(N) for c in range(N) if (r, c) not in solution]
            blocked = set(rng.sample(free, min(n_blocked, len(free))))
            board = _board(placed, blocked)
            question = (
                "Place eight queens on the 8 x 8 board below so that no two queens share a row, a column or a "
                "diagonal. Cells marked 1 already hold a queen, which must stay; cells marked X may not hold a queen; "
                "cells marked 0 are free.\n\n" + "\n".join(board) + "\n\n"
                "Give all eight queen positions as 'row column' pairs (0-based), separated by commas, in the format "
                "<<<0 3, 1 0, 2 4, ...>>>."
            )
            data = {
                "initial_board": board,
                "blocked_positions": sorted([list(p) for p in blocked]),
                "placed_queens": sorted([list(p) for p in placed]),
                "solution": [list(p) for p in solution],
                "complexity": complexity,
            }
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        """Every integer in the last block, paired up as (row, column); an odd count drops the last one."""
        block = last_answer(text)
        if block is None:
            return None
        nums = [int(t) for t in _INT.findall(block)]
        return [(nums[k], nums[k + 1]) for k in range(0, len(nums) - 1, 2)]

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, list):
            return Verdict.wrong("no answer list")
        why = check_queens(
            [tuple(q) for q in answer],
            _cells(instance.data["blocked_positions"]),
            _cells(instance.data["placed_queens"]),
        )
        return Verdict.wrong(why) if why else Verdict.ok()

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: 8 non-attacking queens off the blocked cells; the pre-placed queens are not checked."""
        if not isinstance(answer, list):
            return Verdict.wrong("no answer list")
        why = check_queens([tuple(q) for q in answer], _cells(instance.data["blocked_positions"]), None)
        return Verdict.wrong(why) if why else Verdict.ok()

    def gold_answer(self, instance: Instance) -> str:
        return "<<<" + ", ".join(f"{r} {c}" for r, c in instance.data["solution"]) + ">>>"
