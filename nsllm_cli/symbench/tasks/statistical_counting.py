"""S18 Statistical Counting: score every run of at least k identical letters by per-letter rules.

Validation (original = fixed): integer equality with the score re-computed from the sequence and rules (each
maximal run of length >= min_consecutive adds the letter's score once).
"""

from __future__ import annotations

import itertools
import random
import re
import string
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register


def score(sequence: str, rules: list[dict[str, Any]]) -> int:
    """Total score: each maximal run meeting a rule's minimum length adds that rule's score once."""
    total = 0
    for letter, run in itertools.groupby(sequence):
        length = len(list(run))
        for rule in rules:
            if rule["letter"] == letter and length >= int(rule["min_consecutive"]):
                total += int(rule["score"])
    return total


@register
class StatisticalCounting(Task):
    name = "statistical_counting"
    title = "Statistical Counting"
    code = "S18"
    seen = True
    folder = "statistical_counting_dataset"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            try:
                score(str(inst.data["sequence"]), inst.data["rules"])
                int(inst.data["solution"])
            except (KeyError, ValueError, TypeError) as exc:
                raise DataError(f"{inst.source}: malformed Statistical Counting sample ({exc})") from exc

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Complexity c: c + 1 letters (at most 7) and a sequence of 5 + 15 (c - 1) letters."""
        rng = random.Random(seed)
        out = []
        for i in range(n):
            letters = list(string.ascii_uppercase[: min(complexity + 1, 7)])
            length = 5 + 15 * (complexity - 1)
            sequence = ""
            while len(sequence) < length:
                sequence += rng.choice(letters) * rng.choice([1, 1, 2, 2, 3, 4])
            sequence = sequence[:length]
            rules = [
                {"letter": x, "score": rng.randint(1, 5), "min_consecutive": 2 if complexity < 4 else rng.randint(2, 3)}
                for x in letters
            ]
            lines = "\n".join(
                f"{k + 1}. Each run of {r['min_consecutive']} or more consecutive {r['letter']}'s adds {r['score']}."
                for k, r in enumerate(rules)
            )
            question = (
                f"Start from a total score of 0 and scan this string of the letters {', '.join(letters)} from left "
                f"to right:\n{sequence}\n\nScoring rules (a maximal run is scored once):\n{lines}\n\n"
                "What is the total score? Answer in the format <<<number>>>, e.g. <<<5>>>."
            )
            data = {"sequence": sequence, "rules": rules, "solution": score(sequence, rules), "complexity": complexity}
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        if block is None:
            return None
        found = re.findall(r"-?\d+", block.replace(",", ""))
        return int(found[-1]) if found else None

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, int):
            return Verdict.wrong("no integer")
        want = score(str(instance.data["sequence"]), instance.data["rules"])
        return Verdict.ok() if answer == want else Verdict.wrong(f"{answer}, expected {want}")

    def gold_answer(self, instance: Instance) -> str:
        return f"<<<{instance.data['solution']}>>>"
