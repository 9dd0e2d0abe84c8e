"""S22 Pattern Recognition: the bottom-right corner [row, column] (0-based) of the unique >= 3 x 3 square of one
repeated character in a letter matrix.

Validation is the original's int row/column equality (no fix needed); parse accepts `[r, c]`, `(r, c)` or `r c`.
The matrix is stored only in question.txt, so `matrix_from_question` recovers it (tests cross-check the stored corner
with `find_square`). The top-level `pattern_recognition_dataset.json` duplicates the samples and is not loaded.
"""

from __future__ import annotations

import random
import re
import string
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

_INT = re.compile(r"-?\d+")
_ROW = re.compile(r"^[A-Za-z](?: [A-Za-z])+$")


def square_sizes(matrix: list[list[str]]) -> list[list[int]]:
    """Side of the largest one-character square whose bottom-right corner is each cell (classic DP)."""
    rows, cols = len(matrix), len(matrix[0])
    dp = [[1] * cols for _ in range(rows)]
    for r in range(1, rows):
        for c in range(1, cols):
            ch = matrix[r][c]
            if matrix[r - 1][c] == ch and matrix[r][c - 1] == ch and matrix[r - 1][c - 1] == ch:
                dp[r][c] = 1 + min(dp[r - 1][c], dp[r][c - 1], dp[r - 1][c - 1])
    return dp


def find_square(matrix: list[list[str]]) -> tuple[int, int] | None:
    """Bottom-right corner of the largest >= 3 square; None if there is none or the largest is not unique."""
    dp = square_sizes(matrix)
    best = max(max(row) for row in dp)
    corners = [(r, c) for r, row in enumerate(dp) for c, v in enumerate(row) if v == best]
    return corners[0] if best >= 3 and len(corners) == 1 else None


def matrix_from_question(question: str) -> list[list[str]]:
    """The letter matrix: the lines of single letters separated by spaces."""
    return [line.split() for line in question.splitlines() if _ROW.match(line.strip())]


@register
class PatternRecognition(Task):
    name = "pattern_recognition"
    title = "Pattern Recognition"
    code = "S22"
    seen = True
    folder = "pattern_recognition"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            if not all(isinstance(inst.data.get(k), int) for k in ("row", "column")):
                raise DataError(f"{inst.source}/solution.json: needs integer row and column")

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Matrix sides 4 + 2c .. 6 + 2c; square side 3 .. 2 + c (capped by the matrix)."""
        rng = random.Random(seed)
        out = []
        for i in range(n):
            while True:
                rows, cols = (
                    rng.randint(4 + 2 * complexity, 6 + 2 * complexity),
                    rng.randint(4 + 2 * complexity, 6 + 2 * complexity),
                )
                side = rng.randint(3, min(2 + complexity, rows, cols)) if complexity > 1 else 3
                matrix = [[rng.choice(string.ascii_uppercase) for _ in range(cols)] for _ in range(rows)]
                top, left, ch = (
                    rng.randint(0, rows - side),
                    rng.randint(0, cols - side),
                    rng.choice(string.ascii_uppercase),
                )
                for r in range(top, top + side):
                    for c in range(left, left + side):
                        matrix[r][c] = ch
                corner = (top + side - 1, left + side - 1)
                dp = square_sizes(matrix)
                others = [(r, c) for r in range(rows) for c in range(cols) if dp[r][c] >= 3
                          and not (top + 2 <= r <= corner[0] and left + 2 <= c <= corner[1])]  # fmt: skip
                if find_square(matrix) == corner and not others:
                    break
            text = "\n".join(" ".join(row) for row in matrix)
            question = (
                "In the character matrix below exactly one square of side 3 or more is made of a single repeated "
                f"character.\n\n{text}\n\nGive the row and column of that square's bottom-right corner, counting "
                "from 0, in the format <<<[row, column]>>>."
            )
            data = {"row": corner[0], "column": corner[1], "complexity": complexity}
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        if block is None:
            return None
        numbers = [int(x) for x in _INT.findall(block)]
        return numbers if len(numbers) == 2 else None

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, list) or len(answer) != 2:
            return Verdict.wrong("no [row, column] answer")
        expected = [instance.data["row"], instance.data["column"]]
        return Verdict.ok() if answer == expected else Verdict.wrong(f"{answer} != {expected}")

    def gold_answer(self, instance: Instance) -> str:
        return f"<<<[{instance.data['row']}, {instance.data['column']}]>>>"
