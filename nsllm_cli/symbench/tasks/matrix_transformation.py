"""S19 Matrix Transformation: rotate a matrix of symbols 90 degrees clockwise; the answer is the flat cell list.

Fix over the original: it compared `answer.split(",")` with `formatted_solution` literally, so "J, Q" or quoted
cells failed; nsllm strips whitespace, quotes and brackets before comparing (paper mode keeps the literal split).
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

_SYMBOLS = "!@#$%^&*"
_SHAPES = {1: (2, 2), 2: (2, 3), 3: (3, 3), 4: (3, 4), 5: (4, 4), 6: (4, 5), 7: (5, 5)}


class Cells(list[str]):
    """Parsed cells that remember the raw block, so paper mode can repeat the original's literal split."""

    raw: str = ""


def rotate(matrix: Sequence[Sequence[str]]) -> list[list[str]]:
    """90 degrees clockwise."""
    return [list(row) for row in zip(*reversed([list(r) for r in matrix]), strict=True)]


@register
class MatrixTransformation(Task):
    name = "matrix_transformation"
    title = "Matrix Transformation"
    code = "S19"
    seen = True
    folder = "matrix_transformation_dataset"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            try:
                rotate(inst.data["matrix"])
                str(inst.data["formatted_solution"])
            except (KeyError, ValueError, TypeError) as exc:
                raise DataError(f"{inst.source}: malformed Matrix Transformation sample ({exc})") from exc

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Complexity c: shape 2x2, 2x3, 3x3, 3x4, 4x4, 4x5, 5x5 (c = 1 ... 7); letters, digits, mixed or symbols."""
        rng = random.Random(seed)
        out = []
        for i in range(n):
            rows, cols = _SHAPES[max(1, min(complexity, 7))]
            alphabet = rng.choice(
                [string.ascii_uppercase, string.digits, string.ascii_uppercase + string.digits, _SYMBOLS]
            )
            matrix = [[rng.choice(alphabet) for _ in range(cols)] for _ in range(rows)]
            solution = rotate(matrix)
            shown = "\n".join(" ".join(row) for row in matrix)
            question = (
                f"Rotate this {rows}x{cols} matrix of symbols 90 degrees clockwise:\n{shown}\n\n"
                "Answer with the rotated matrix read row by row as comma-separated cells, e.g. <<<A,B,C,D>>> for "
                "a 2x2 result whose first row is A B."
            )
            flat = ",".join(c for row in solution for c in row)
            data = {"matrix": matrix, "solution": solution, "formatted_solution": flat, "complexity": complexity}
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        if block is None:
            return None
        body = block.replace("[", " ").replace("]", " ").replace('"', " ").replace("'", " ")
        parts = body.split(",") if "," in body else body.split()
        cells = Cells(p.strip() for p in parts if p.strip())
        cells.raw = block
        return cells

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, list):
            return Verdict.wrong("no answer list")
        expected = [c for row in rotate(instance.data["matrix"]) for c in row]
        got = [str(c).strip() for c in answer]
        if len(got) != len(expected):
            return Verdict.wrong(f"{len(got)} cells, expected {len(expected)}")
        wrong = [k for k, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b]
        return Verdict.wrong(f"{len(wrong)} cells differ (first: {wrong[0] + 1})") if wrong else Verdict.ok()

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: the block split on "," must equal `formatted_solution` split on "," (no stripping)."""
        raw = getattr(answer, "raw", None)
        got = raw.split(",") if isinstance(raw, str) else list(answer or [])
        ok = got == str(instance.data["formatted_solution"]).split(",")
        return Verdict.ok() if ok else Verdict.wrong("differs literally from formatted_solution")

    def gold_answer(self, instance: Instance) -> str:
        return f"<<<{instance.data['formatted_solution']}>>>"
