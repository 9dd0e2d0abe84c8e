"""S24 Letter Logic Diagram: complete a 7 x 7 Latin square over a-g whose minor diagonal holds a single letter.

Fix over the original: it demanded an exact match to the stored solution although uniqueness is not guaranteed;
nsllm checks the constraints (givens kept, each row and column a permutation of a-g, minor diagonal constant), so any
valid completion passes. `verify_paper` keeps the exact match.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

SIZE = 7
LETTERS = "abcdefg"
_LETTER = re.compile(r"[a-gA-G]")


def check_grid(grid: list[list[str]], givens: list[list[str | None]]) -> str:
    """Why `grid` is not a valid completion of `givens` ("" when it is)."""
    if len(grid) != SIZE or any(len(row) != SIZE for row in grid):
        return "not a 7 x 7 grid"
    for r in range(SIZE):
        for c in range(SIZE):
            if givens[r][c] is not None and grid[r][c] != givens[r][c]:
                return f"pre-filled cell ({r + 1}, {c + 1}) changed"
    for k in range(SIZE):
        if sorted(grid[k]) != list(LETTERS):
            return f"row {k + 1} is not a permutation of a-g"
        if sorted(grid[r][k] for r in range(SIZE)) != list(LETTERS):
            return f"column {k + 1} is not a permutation of a-g"
    if len({grid[r][SIZE - 1 - r] for r in range(SIZE)}) != 1:
        return "minor diagonal holds more than one letter"
    return ""


def random_solution(rng: random.Random) -> list[list[str]]:
    """A random valid full grid: randomised backtracking with the minor diagonal fixed to one letter."""
    diag = rng.choice(LETTERS)
    grid: list[list[str]] = [[""] * SIZE for _ in range(SIZE)]
    for r in range(SIZE):
        grid[r][SIZE - 1 - r] = diag
    cells = [(r, c) for r in range(SIZE) for c in range(SIZE) if c != SIZE - 1 - r]

    def fill(k: int) -> bool:
        if k == len(cells):
            return True
        r, c = cells[k]
        used = set(grid[r]) | {grid[i][c] for i in range(SIZE)}
        options = [x for x in LETTERS if x not in used]
        rng.shuffle(options)
        for x in options:
            grid[r][c] = x
            if fill(k + 1):
                return True
        grid[r][c] = ""
        return False

    fill(0)
    return grid


def _render(grid: list[list[str]]) -> str:
    return "\n".join(",".join(row) for row in grid)


@register
class LetterLogicDiagram(Task):
    name = "letter_logic_diagram"
    title = "Letter Logic Diagram"
    code = "S24"
    seen = True
    folder = "letter_logic_diagram"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            grid, solution = inst.data.get("grid"), inst.data.get("solution")
            shaped = all(isinstance(g, list) and len(g) == SIZE and all(isinstance(r, list) and len(r) == SIZE
                         for r in g) for g in (grid, solution))  # fmt: skip
            if not shaped:
                raise DataError(f"{inst.source}/solution.json: grid and solution must be 7 x 7")

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Blanks = min(10 + 5c, 30), as in the original generator."""
        rng = random.Random(seed)
        blanks = min(10 + 5 * complexity, 30)
        out = []
        for i in range(n):
            solution = random_solution(rng)
            hidden = set(rng.sample(range(SIZE * SIZE), blanks))
            grid = [[None if r * SIZE + c in hidden else solution[r][c] for c in range(SIZE)] for r in range(SIZE)]
            puzzle = "\n".join(",".join(x or "" for x in row) for row in grid)
            question = (
                "Fill the blank cells of this 7 x 7 grid with letters a-g so that every row and every column contains "
                "each letter exactly once, and all cells on the minor diagonal (top-right to bottom-left) hold the "
                f"same letter. Rows are on separate lines, cells separated by commas:\n\n{puzzle}\n\n"
                "Answer with the 7 completed rows, one per line, letters separated by commas:\n<<<\na,b,c,d,e,f,g\n"
                "...\n>>>"
            )
            data = {"grid": grid, "solution": solution, "complexity": complexity}
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        if block is None:
            return None
        rows = [[x.lower() for x in _LETTER.findall(line)] for line in block.splitlines()]
        rows = [row for row in rows if row]
        if len(rows) != SIZE:
            flat = [x for row in rows for x in row]
            rows = [flat[k : k + SIZE] for k in range(0, len(flat), SIZE)]
        return rows

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, list):
            return Verdict.wrong("no answer grid")
        problem = check_grid(answer, instance.data["grid"])
        return Verdict.wrong(problem) if problem else Verdict.ok()

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: exact match to the stored solution, although other valid completions may exist."""
        same = answer == instance.data["solution"]
        return Verdict.ok() if same else Verdict.wrong("differs from the stored solution")

    def gold_answer(self, instance: Instance) -> str:
        return "<<<\n" + _render(instance.data["solution"]) + "\n>>>"
