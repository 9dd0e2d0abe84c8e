"""S26 String Synthesis: combine [A] [B] [C] blocks by 6 rules, cyclically, and report the 9 final counts.

Fix over the original: it stripped brackets, commas and spaces and read **one digit per count**, which breaks as
soon as a count reaches 10; nsllm parses a list of 9 integers (a bare 9-digit run is still read digit by digit).
The original's `complexity` label is random; ours grows with the initial counts.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

BLOCKS = ["[A]", "[B]", "[C]", "{A}", "{B}", "{C}", "(A)", "(B)", "(C)"]
# (consumed, produced) as index -> amount, in the order the question lists them
METHODS: list[tuple[dict[int, int], dict[int, int]]] = [
    ({0: 1, 1: 1, 2: 1}, {3: 1}),
    ({0: 1, 1: 1}, {5: 1}),
    ({1: 1, 2: 1}, {4: 1}),
    ({2: 2}, {5: 1}),
    ({3: 1, 5: 1}, {6: 1, 7: 1}),
    ({4: 2}, {8: 1}),
]
_INT = re.compile(r"\d+")


def synthesise(a: int, b: int, c: int) -> list[int]:
    """Apply the first applicable method, from Method 1 again, until none applies (matches all stored data)."""
    counts = [a, b, c, 0, 0, 0, 0, 0, 0]
    while True:
        for used, made in METHODS:
            if all(counts[k] >= v for k, v in used.items()):
                for k, v in used.items():
                    counts[k] -= v
                for k, v in made.items():
                    counts[k] += v
                break
        else:
            return counts


def _method_text(used: dict[int, int], made: dict[int, int]) -> str:
    def part(d: dict[int, int]) -> str:
        return " and ".join(f"{v} {BLOCKS[k]}" for k, v in d.items())

    return f"{part(used)} combine into {part(made)}."


@register
class StringSynthesis(Task):
    name = "string_synthesis"
    title = "String Synthesis"
    code = "S26"
    seen = True
    folder = "string_synthesis"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            counts = inst.data.get("final_counts")
            if not (isinstance(counts, list) and len(counts) == 9 and all(isinstance(x, int) for x in counts)):
                raise DataError(f"{inst.source}/solution.json: final_counts must be 9 integers")

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Initial counts drawn from 1..3c (so c >= 4 can reach counts of 10 and more)."""
        rng = random.Random(seed)
        top = 3 * complexity
        out = []
        for i in range(n):
            a, b, c = (rng.randint(max(1, top - 3), top) for _ in range(3))
            final = synthesise(a, b, c)
            methods = "\n".join(f"{k}. {_method_text(u, m)}" for k, (u, m) in enumerate(METHODS, 1))
            question = (
                f"There are nine kinds of blocks: {', '.join(BLOCKS)}. They combine by these methods:\n{methods}\n"
                "Repeatedly apply the first method (in the order 1..6) that can be applied, starting again from "
                "Method 1 after each combination, until no method applies.\n"
                f"Starting with {a} [A], {b} [B] and {c} [C], how many blocks of each kind are left?\n"
                f"Answer with the 9 counts in the order {' '.join(BLOCKS)}, e.g. <<<1 0 0 0 0 0 0 0 0>>>."
            )
            data = {"A_count": a, "B_count": b, "C_count": c, "final_counts": final, "complexity": complexity,
                    "solution_string": "<<<" + " ".join(map(str, final)) + ">>>"}  # fmt: skip
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        if block is None:
            return None
        numbers = _INT.findall(block)
        if len(numbers) == 1 and len(numbers[0]) == 9:
            return [int(d) for d in numbers[0]]
        return [int(x) for x in numbers]

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, list):
            return Verdict.wrong("no answer counts")
        expected = instance.data["final_counts"]
        if len(answer) != 9:
            return Verdict.wrong(f"{len(answer)} counts, expected 9")
        return Verdict.ok() if answer == expected else Verdict.wrong(f"{answer} != {expected}")

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: concatenate the answer's digits and read one digit per count (fails on any count >= 10)."""
        if not isinstance(answer, list):
            return Verdict.wrong("no answer counts")
        digits = [int(ch) for ch in "".join(str(x) for x in answer)]
        expected = [int(ch) for ch in "".join(str(x) for x in instance.data["final_counts"])]
        ok = digits == expected and len(expected) == 9
        return Verdict.ok() if ok else Verdict.wrong("digit string differs (or a count has two digits)")

    def gold_answer(self, instance: Instance) -> str:
        return "<<<" + " ".join(str(x) for x in instance.data["final_counts"]) + ">>>"
