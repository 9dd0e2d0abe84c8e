"""U8 2048: move one tile along a move string (u/d/l/r), merging with an equal neighbour; give the grid.

Spec row U8. Original: the answer text must equal the stored cell list exactly. Fix: normalise whitespace, commas and
brackets, comparing the list of integers cell by cell.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

_INT = re.compile(r"-?\d+")
_STEP = {"u": (-1, 0), "d": (1, 0), "l": (0, -1), "r": (0, 1)}


def simulate(grid: list[list[int]], start: tuple[int, int], moves: str) -> list[list[int]]:
    """Move the tile at `start` one cell per move: into an empty cell, or merging into an equal tile; else it stays."""
    g = [list(row) for row in grid]
    r, c = start
    for m in moves:
        dr, dc = _STEP[m]
        nr, nc = r + dr, c + dc
        if not (0 <= nr < len(g) and 0 <= nc < len(g[0])) or g[r][c] == 0:
            continue
        if g[nr][nc] == 0:
            g[nr][nc], g[r][c] = g[r][c], 0
        elif g[nr][nc] == g[r][c]:
            g[nr][nc], g[r][c] = 2 * g[r][c], 0
        else:
            continue
        r, c = nr, nc
    return g


def _cells(solution: Any) -> list[int]:
    if isinstance(solution, str):
        return [int(t) for t in _INT.findall(solution)]
    return [int(v) for row in solution for v in row]


def _render(grid: list[list[int]]) -> str:
    return "\n".join(", ".join(str(v) for v in row) for row in grid)


@register
class Game2048(Task):
    name = "game2048"
    title = "2048"
    code = "U8"
    seen = False
    folder = "2048_dataset"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            try:
                _cells(inst.data["solution"]), inst.data["grid"], inst.data["moves"]
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{inst.source}/solution.json: malformed 2048 data ({exc})") from exc

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Grid side 1 + complexity (2-6 for 1-5) and as many moves; the moved tile always starts non-empty."""
        rng = random.Random(seed)
        out = []
        size = 1 + max(complexity, 1)
        for i in range(n):
            grid = [[rng.choice([0, 0, 2, 4, 8, 16, 32]) for _ in range(size)] for _ in range(size)]
            start = (rng.randrange(size), rng.randrange(size))
            if grid[start[0]][start[1]] == 0:
                grid[start[0]][start[1]] = rng.choice([2, 4, 8])
            moves = "".join(rng.choice("udlr") for _ in range(size))
            question = (
                f"A {size}x{size} grid holds powers of 2 (0 is an empty cell). One tile moves one cell per step "
                "along a move string (u = up, d = down, l = left, r = right). It moves into an empty cell; "
                "if the next cell holds the same number the two merge into their sum (2+2 -> 4); if it holds "
                "a different number, or the step would leave the grid, the tile stays where it is.\n\n"
                f"Move the tile at position ({start[0] + 1}, {start[1] + 1}) (row, column, 1-based) of this grid along "
                f"'{moves}':\n{_render(grid)}\n\n"
                "Give the grid after the moves, rows separated by new lines and cells by commas, in the format "
                "<<<0, 2\n4, 8>>>."
            )
            data = {"grid": grid, "moves": moves, "start_pos": list(start),
                    "solution": _render(simulate(grid, start, moves)), "complexity": complexity}  # fmt: skip
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        """The integers of the last block, row by row (any separators, brackets or quotes)."""
        block = last_answer(text)
        if block is None:
            return None
        return [int(t) for t in _INT.findall(block)]

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, list):
            return Verdict.wrong("no answer grid")
        expected = _cells(instance.data["solution"])
        if len(answer) != len(expected):
            return Verdict.wrong(f"{len(answer)} cells, expected {len(expected)}")
        for k, (got, want) in enumerate(zip(answer, expected, strict=True)):
            if got != want:
                return Verdict.wrong(f"cell {k + 1} is {got}, expected {want}")
        return Verdict.ok()

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: exact cell list; with the separators normalised away the integer lists are the same test."""
        return self.verify(instance, answer)

    def gold_answer(self, instance: Instance) -> str:
        solution = instance.data["solution"]
        text = solution if isinstance(solution, str) else _render(solution)
        return f"<<<{text}>>>"
