"""S23 String Insertion: apply the insertion operation T once, scanning the string left to right.

T inserts a fixed letter after every occurrence of ABCD, BCDE, CDEA, DEAB or EABC in the *original* string.
Validation is the original's exact string compare; nsllm's parse strips whitespace, quotes and brackets first.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

RULES = {"ABCD": "A", "BCDE": "B", "CDEA": "C", "DEAB": "D", "EABC": "E"}


def apply_t(text: str) -> str:
    """One T operation: after each 4-letter match in the original string, insert the rule's letter."""
    out = []
    for i, ch in enumerate(text):
        out.append(ch)
        if i >= 3 and text[i - 3 : i + 1] in RULES:
            out.append(RULES[text[i - 3 : i + 1]])
    return "".join(out)


def matches(text: str) -> int:
    """How many insertions T makes (the task's second difficulty knob)."""
    return sum(text[i : i + 4] in RULES for i in range(len(text) - 3))


def _normalise(block: str) -> str:
    return re.sub(r"[\s'\"`\[\]()]", "", block).upper()


@register
class StringInsertion(Task):
    name = "string_insertion"
    title = "String Insertion"
    code = "S23"
    seen = True
    folder = "string_insertion"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            if not all(isinstance(inst.data.get(k), str) for k in ("original_string", "modified_string")):
                raise DataError(f"{inst.source}/solution.json: needs original_string and modified_string")

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Length 5 + 5c, with at least c pattern occurrences planted."""
        rng = random.Random(seed)
        length = 5 + 5 * complexity
        out = []
        for i in range(n):
            while True:
                chars = [rng.choice("ABCDE") for _ in range(length)]
                for _ in range(complexity):
                    pattern = rng.choice(sorted(RULES))
                    at = rng.randrange(length - 3)
                    chars[at : at + 4] = pattern
                original = "".join(chars)
                if matches(original) >= complexity:
                    break
            rules = "\n".join(
                f"{k}. If the substring {pat} occurs, insert {letter} right after it."
                for k, (pat, letter) in enumerate(RULES.items(), 1)
            )
            question = (
                "Strings are made of the letters A, B, C, D and E. The operation T is:\n"
                f"{rules}\n"
                "T looks at every position of the original string from left to right and makes all its insertions "
                f"in one pass.\nWhat does the string {original} become after applying T once?\n"
                "Answer with the resulting string, e.g. <<<ABCDE>>>."
            )
            data = {"original_string": original, "modified_string": apply_t(original), "complexity": complexity}
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        return None if block is None else _normalise(block)

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, str):
            return Verdict.wrong("no answer string")
        expected = instance.data["modified_string"]
        return Verdict.ok() if answer == expected else Verdict.wrong(f"{answer!r} != {expected!r}")

    def gold_answer(self, instance: Instance) -> str:
        return f"<<<{instance.data['modified_string']}>>>"
