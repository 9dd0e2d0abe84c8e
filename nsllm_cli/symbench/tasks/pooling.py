"""S15 Pooling: max or average pooling (stride 1) of an N x N matrix; the answer is the flattened result.

Fix over the original: average pooling has fractional results, which the original's int() compare could never
accept; nsllm compares with a tolerance.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:/\d+)?")


def pool(matrix: Sequence[Sequence[float]], window: int, kind: str) -> list[list[float]]:
    """Stride-1 pooling."""
    n = len(matrix)
    out = []
    for i in range(n - window + 1):
        row = []
        for j in range(n - window + 1):
            cells = [matrix[a][b] for a in range(i, i + window) for b in range(j, j + window)]
            row.append(max(cells) if kind == "max" else sum(cells) / len(cells))
        out.append(row)
    return out


def _number(token: str) -> float:
    if "/" in token:
        num, den = token.split("/")
        return float(num) / float(den)
    return float(token)


@register
class Pooling(Task):
    name = "pooling"
    title = "Pooling"
    code = "S15"
    seen = True
    folder = "pooling_dataset"

    def load(self, data_dir: Path) -> list[Instance]:
        return load_logic_games(self, data_dir / self.folder)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        rng = random.Random(seed)
        out = []
        for i in range(n):
            size = min(3 + complexity, 8)
            window = rng.choice([2, 3]) if size > 3 else 2
            kind = rng.choice(["max", "average"])
            matrix = [[rng.randint(-10, 20) for _ in range(size)] for _ in range(size)]
            rows = "\n".join(", ".join(str(v) for v in row) for row in matrix)
            question = (
                f'We define the "{kind} pooling" operation on an N*N matrix: an n*n window slides with stride 1 from '
                f"left to right and top to bottom, and the {kind} of each window is placed at the window's position.\n"
                f"Perform {kind} pooling with a {window}*{window} window on this matrix:\n{rows}\n"
                "Answer with the resulting matrix flattened row by row, e.g. <<<0,0,0,0>>>."
            )
            data = {"matrix": matrix, "window_size": window, "pooling_type": kind,
                    "solution": pool(matrix, window, kind), "complexity": complexity}  # fmt: skip
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        if block is None:
            return None
        return [_number(t) for t in _NUMBER.findall(block)]

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, list):
            return Verdict.wrong("no answer list")
        d = instance.data  # recomputed from the matrix, so a wrong stored solution is caught too
        expected = [float(v) for row in pool(d["matrix"], int(d["window_size"]), d["pooling_type"]) for v in row]
        if len(answer) != len(expected):
            return Verdict.wrong(f"{len(answer)} values, expected {len(expected)}")
        for k, (got, want) in enumerate(zip(answer, expected, strict=True)):
            if not math.isclose(float(got), want, rel_tol=1e-6, abs_tol=1e-2):
                return Verdict.wrong(f"value {k + 1} is {got}, expected {want}")
        return Verdict.ok()

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: `[int(x) ...] == flatten(solution)`, so fractional averages always fail."""
        try:
            got = [int(x) for x in answer]
        except (TypeError, ValueError):
            return Verdict.wrong("not all integers")
        flat = [v for row in instance.data["solution"] for v in row]
        return Verdict.ok() if got == flat else Verdict.wrong("differs from the stored solution")

    def gold_answer(self, instance: Instance) -> str:
        flat = [v for row in instance.data["solution"] for v in row]
        return "<<<" + ",".join(str(v) for v in flat) + ">>>"
