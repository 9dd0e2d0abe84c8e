"""U5 String Splitting: dismantle machines A, B, C into parts X, Y, Z by five methods applied cyclically.

Spec row U5. Original: the answer string must equal `''.join(expected_answer)` exactly (so `["0", "0", ...]` with
quotes and commas, as the question asks, fails unless the extractor strips it). Fix: parse a list of 6 integers and
compare count by count (A, B, C, X, Y, Z).
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

_INT = re.compile(r"-?\d+")
_INITIAL = re.compile(r"(\d+) units? of Machine A, (\d+) units? of Machine B, and (\d+) units? of Machine C")
KEYS = ("A", "B", "C", "X", "Y", "Z")
METHODS: tuple[tuple[dict[str, int], dict[str, int]], ...] = (
    ({"A": 1}, {"X": 2, "Y": 1}),
    ({"B": 2}, {"X": 1}),
    ({"C": 2}, {"Y": 1}),
    ({"B": 1, "C": 1}, {"A": 1}),
    ({"X": 1, "Y": 1}, {"Z": 1}),
)
"""The original's five methods (its wording varies between samples, their meaning does not)."""


def simulate(a: int, b: int, c: int) -> dict[str, int]:
    """Apply methods 1-5 in turn, each at most once per pass, until a whole pass applies none."""
    state = dict.fromkeys(KEYS, 0) | {"A": a, "B": b, "C": c}
    changed = True
    while changed:
        changed = False
        for take, give in METHODS:
            if all(state[k] >= v for k, v in take.items()):
                for k, v in take.items():
                    state[k] -= v
                for k, v in give.items():
                    state[k] += v
                changed = True
    return state


def initial_counts(question: str) -> tuple[int, int, int] | None:
    """(A, B, C) from the original question text, or None."""
    m = _INITIAL.search(question)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


@register
class StringSplitting(Task):
    name = "string_splitting"
    title = "String Splitting"
    code = "U5"
    seen = False
    folder = "string_splitting"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            try:
                values = [int(v) for v in inst.data["expected_answer"]]
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{inst.source}/solution.json: malformed expected_answer ({exc})") from exc
            if len(values) != 6:
                raise DataError(f"{inst.source}/solution.json: expected_answer has {len(values)} counts, not 6")

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Initial machine counts grow with complexity: each of A, B, C in [c, 4c]."""
        rng = random.Random(seed)
        c = max(complexity, 1)
        out = []
        for i in range(n):
            a, b, cc = (rng.randint(c, 4 * c) for _ in range(3))
            final = simulate(a, b, cc)
            question = (
                "An engineer has old machines A, B and C and can take them apart into parts X, Y and Z:\n"
                "Method 1: one machine A gives two parts X and one part Y.\n"
                "Method 2: two machines B give one part X.\n"
                "Method 3: two machines C give one part Y.\n"
                "Method 4: one machine B and one machine C combine into one machine A.\n"
                "Method 5: one part X and one part Y combine into one part Z.\n"
                "He applies the methods in this order, each at most once per pass (a method that cannot run is "
                "skipped), and starts again from Method 1 after Method 5, until no method can run.\n"
                f"Initially, there are {a} units of Machine A, {b} units of Machine B, and {cc} units of Machine C. "
                "How many machines A, B, C and parts X, Y, Z are there at the end?\n"
                'Answer with six counts in the order A, B, C, X, Y, Z, e.g. <<<["1", "0", "1", "1", "1", "1"]>>>.'
            )
            data = {"expected_answer": [str(final[k]) for k in KEYS], "final_counts": final, "complexity": complexity}
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        """The integers of the last block (quotes, brackets and separators ignored); a bare run of six digits, the
        original's `''.join` form, is read digit by digit."""
        block = last_answer(text)
        if block is None:
            return None
        bare = block.strip("[]\"' ")
        if len(bare) == 6 and bare.isdigit():
            return [int(ch) for ch in bare]
        return [int(t) for t in _INT.findall(block)]

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, list):
            return Verdict.wrong("no answer list")
        expected = [int(v) for v in instance.data["expected_answer"]]
        if len(answer) != 6:
            return Verdict.wrong(f"{len(answer)} counts, expected 6")
        for key, got, want in zip(KEYS, answer, expected, strict=True):
            if got != want:
                return Verdict.wrong(f"{key} is {got}, expected {want}")
        return Verdict.ok()

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: the answer string equals `''.join(expected_answer)`; here the parsed counts joined the same way."""
        if not isinstance(answer, list):
            return Verdict.wrong("no answer list")
        got = "".join(str(v) for v in answer)
        want = "".join(str(v) for v in instance.data["expected_answer"])
        return Verdict.ok() if got == want else Verdict.wrong(f"{got!r} != {want!r}")

    def gold_answer(self, instance: Instance) -> str:
        return "<<<[" + ", ".join(f'"{v}"' for v in instance.data["expected_answer"]) + "]>>>"
