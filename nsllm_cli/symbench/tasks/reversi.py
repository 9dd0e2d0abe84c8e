"""S27 Reversi: the board after 1-3 placements (alternating colours, black first) on an n x n Reversi-like grid.

Fix over the original: it compared the exact cell string; nsllm normalises separators (commas, spaces, newlines,
brackets, quotes) and compares the cell list. Note: the original questions print the board *after* the moves as
"the previous round", so the stored answer equals the printed board; our generated questions print the board before
the moves.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

_CELL = re.compile(r"[*01]")
_DIRECTIONS = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)]


def start_board(n: int) -> list[list[str]]:
    """The centre start: white (1) on the main diagonal of the 2 x 2 centre, black (0) on the other."""
    board = [["*"] * n for _ in range(n)]
    h = n // 2
    board[h - 1][h - 1] = board[h][h] = "1"
    board[h - 1][h] = board[h][h - 1] = "0"
    return board


def flips(board: list[list[str]], row: int, col: int, colour: str) -> list[tuple[int, int]]:
    """Opponent cells bracketed by a piece of `colour` placed at (row, col), 0-based."""
    n = len(board)
    other = "1" if colour == "0" else "0"
    out: list[tuple[int, int]] = []
    for dr, dc in _DIRECTIONS:
        run = []
        r, c = row + dr, col + dc
        while 0 <= r < n and 0 <= c < n and board[r][c] == other:
            run.append((r, c))
            r, c = r + dr, c + dc
        if run and 0 <= r < n and 0 <= c < n and board[r][c] == colour:
            out.extend(run)
    return out


def play(n: int, moves: list[list[int]], first: str = "0") -> list[list[str]]:
    """The board after `moves` (1-based (row, column)), colours alternating starting with `first`."""
    board = start_board(n)
    colour = first
    for row, col in moves:
        r, c = row - 1, col - 1
        for fr, fc in flips(board, r, c, colour):
            board[fr][fc] = colour
        board[r][c] = colour
        colour = "1" if colour == "0" else "0"
    return board


def _cells(board: list[list[str]]) -> list[str]:
    return [cell for row in board for cell in row]


def _check(inst: Instance) -> None:
    data = inst.data
    n, moves, solution = data.get("board_size"), data.get("moves"), data.get("solution")
    if not isinstance(n, int) or not isinstance(moves, list) or not isinstance(solution, str):
        raise DataError(f"{inst.source}/solution.json: needs board_size, moves and solution")
    if len(_CELL.findall(solution)) != n * n:
        raise DataError(f"{inst.source}/solution.json: solution does not have {n * n} cells")


@register
class Reversi(Task):
    name = "reversi"
    title = "Reversi"
    code = "S27"
    seen = True
    folder = "reversi_dataset"

    def load(self, data_dir: Path) -> list[Instance]:
        return load_logic_games(self, data_dir / self.folder, _check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Board 4 (c <= 2) or 6 (c >= 3); 1-3 moves, more with complexity; every move flips at least one piece."""
        rng = random.Random(seed)
        size = 4 if complexity <= 2 else 6
        count = min(max(1, complexity - (0 if size == 4 else 2)), 3)
        out = []
        for i in range(n):
            while True:
                board, moves, colour = start_board(size), [], "0"
                for _ in range(count):
                    legal = [(r, c) for r in range(size) for c in range(size)
                             if board[r][c] == "*" and flips(board, r, c, colour)]  # fmt: skip
                    if not legal:
                        break
                    r, c = rng.choice(legal)
                    for fr, fc in flips(board, r, c, colour):
                        board[fr][fc] = colour
                    board[r][c] = colour
                    moves.append([r + 1, c + 1])
                    colour = "1" if colour == "0" else "0"
                if len(moves) == count:
                    break
            start = "\n".join("".join(row) for row in start_board(size))
            rounds = "\n".join(
                f"Round {k + 1}: {'you place' if k % 2 == 0 else 'the opponent places'} a piece at ({r}, {c})"
                for k, (r, c) in enumerate(moves)
            )
            empty = ",".join("*" * (size * size))
            question = (
                f"On an {size}x{size} Reversi-like board, black is 0, white is 1 and empty cells are *. Players "
                "alternate placing one piece on an empty cell; every straight line (row, column or diagonal) of "
                "opponent pieces enclosed between the new piece and another piece of the mover's colour is flipped.\n"
                f"You play black and move first. Coordinates (a, b) mean row a, column b, counted from 1.\n"
                f"Board before the moves:\n{start}\n\n{rounds}\n\n"
                f"Give the board after these moves, cells row by row separated by commas, e.g. <<<{empty}>>> is "
                "the empty board."
            )
            data = {"board_size": size, "moves": moves, "solution": ",".join(_cells(board)),
                    "complexity": complexity}  # fmt: skip
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        if block is None:
            return None
        return _CELL.findall(block)

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, list):
            return Verdict.wrong("no answer cells")
        expected = _CELL.findall(instance.data["solution"])
        if len(answer) != len(expected):
            return Verdict.wrong(f"{len(answer)} cells, expected {len(expected)}")
        wrong = [k for k, (a, b) in enumerate(zip(answer, expected, strict=True)) if a != b]
        return Verdict.wrong(f"{len(wrong)} cells differ, first at {wrong[0] + 1}") if wrong else Verdict.ok()

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: the answer string equals the stored "c,c,...,c" string exactly (separators included)."""
        if not isinstance(answer, list):
            return Verdict.wrong("no answer cells")
        same = ",".join(answer) == instance.data["solution"]
        return Verdict.ok() if same else Verdict.wrong("differs from the stored solution")

    def gold_answer(self, instance: Instance) -> str:
        return f"<<<{instance.data['solution']}>>>"
