"""S16 Light Puzzles: buttons toggle listed lights of an n x n grid; give the final state as n*n bits.

Validation (original = fixed): the exact bit list, here re-simulated from the initial state, buttons and presses
(1-based [row, column] cells). Parsing is lenient about separators, brackets and quotes.
"""

from __future__ import annotations

import random
import re
import string
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register


def simulate(data: dict[str, Any]) -> list[int]:
    """Final state, flattened row by row, after pressing the buttons in `operations` order."""
    grid = [[int(v) for v in row] for row in data["initial_state"]]
    for press in data["operations"]:
        for r, c in data["buttons"][press]:
            grid[int(r) - 1][int(c) - 1] ^= 1
    return [v for row in grid for v in row]


@register
class LightPuzzles(Task):
    name = "light_puzzles"
    title = "Light Puzzles"
    code = "S16"
    seen = True
    folder = "light_puzzles_dataset"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            try:
                simulate(inst.data)
                [int(v) for v in inst.data["solution"]]
            except (KeyError, ValueError, TypeError, IndexError) as exc:
                raise DataError(f"{inst.source}: malformed Light Puzzles sample ({exc})") from exc

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Complexity c: grid n = c + 1, min(c, 3) buttons (at least 2 from c = 2), c presses."""
        rng = random.Random(seed)
        out = []
        for i in range(n):
            size = complexity + 1
            count = min(max(complexity, 2 if complexity > 1 else 1), 3)
            names = list(string.ascii_uppercase[:count])
            cells = [[r, c] for r in range(1, size + 1) for c in range(1, size + 1)]
            buttons = {b: rng.sample(cells, rng.randint(1, max(1, len(cells) // 2))) for b in names}
            operations = [rng.choice(names) for _ in range(complexity)]
            initial = [[rng.randint(0, 1) for _ in range(size)] for _ in range(size)]
            data = {"n": size, "initial_state": initial, "buttons": buttons, "operations": operations}
            data["solution"] = simulate(data)
            data["complexity"] = complexity
            grid = "\n".join("".join(str(v) for v in row) for row in initial)
            controls = "\n".join(
                f"Button {b} toggles the lights at " + ", ".join(f"({r},{c})" for r, c in buttons[b]) for b in names
            )
            presses = "\n".join(f"Press {k + 1}: button {b}" for k, b in enumerate(operations))
            question = (
                f"An {size}*{size} grid of lights is given, 1 = on and 0 = off (row by row):\n{grid}\n\n"
                "Pressing a button toggles every light it controls; positions are (row, column), 1-based.\n"
                f"{controls}\n\nThe buttons are pressed in this order:\n{presses}\n\n"
                f"Give the final grid row by row as {size * size} comma-separated bits, e.g. "
                f"<<<{','.join(['0'] * size * size)}>>> for all lights off."
            )
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        if block is None:
            return None
        return [int(d) for d in re.findall(r"\d", block)]

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, list):
            return Verdict.wrong("no answer list")
        expected = simulate(instance.data)
        if len(answer) != len(expected):
            return Verdict.wrong(f"{len(answer)} lights, expected {len(expected)}")
        wrong = [k for k, (a, b) in enumerate(zip(answer, expected, strict=True)) if a != b]
        return Verdict.wrong(f"{len(wrong)} lights differ (first: {wrong[0] + 1})") if wrong else Verdict.ok()

    def gold_answer(self, instance: Instance) -> str:
        return "<<<" + ",".join(str(v) for v in instance.data["solution"]) + ">>>"
