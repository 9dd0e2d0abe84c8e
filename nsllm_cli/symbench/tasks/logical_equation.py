"""S13 Logical Equation: assign the given numbers to letters A, B, ... so that the listed (in)equalities hold.

The stored solution is a bare list (folders `sample_{letters}_{constraints}_{i}`), so the letters, numbers and
constraints are parsed from question.txt into `data`. Any valid assignment passes. Fix over the original: the
original only checked that every value came from the given set; nsllm also requires a bijection letter <-> number.
"""

from __future__ import annotations

import random
import re
import string
from fractions import Fraction
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_each, read_json, register, sample_dirs

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_HEADER = re.compile(r"There are (\d+) letters ([A-Z, ]+?), each representing one of the numbers ([\d, ]+?)\.\s")
_LINE = re.compile(r"^\s*\d+\.\s+(.+?)\s*$", re.M)
_SUM = re.compile(r"^([A-Z]) ([+-]) ([A-Z]) = (-?\d+(?:\.\d+)?)$")
_RATIO = re.compile(r"^([A-Z]) = (-?\d+(?:\.\d+)?)\*?([A-Z])$")
_ORDER = re.compile(r"^([A-Z]) ([<>]) ([A-Z])$")


def holds(constraint: str, values: dict[str, Fraction]) -> bool:
    """Whether one constraint line ("A + B = 5", "H = 3.0F", "A > B") holds; unknown forms raise ValueError."""
    if m := _SUM.match(constraint):
        a, op, b, rhs = m.groups()
        got = values[a] + values[b] if op == "+" else values[a] - values[b]
        return got == Fraction(rhs)
    if m := _RATIO.match(constraint):
        a, k, b = m.groups()
        return values[a] == Fraction(k) * values[b]
    if m := _ORDER.match(constraint):
        a, op, b = m.groups()
        return values[a] > values[b] if op == ">" else values[a] < values[b]
    raise ValueError(f"unknown constraint {constraint!r}")


def parse_question(question: str) -> dict[str, Any]:
    """Letters, numbers and constraint lines from the stored prompt."""
    head = _HEADER.search(question)
    if not head:
        raise ValueError("no 'There are N letters ...' header")
    letters = [t.strip() for t in head.group(2).split(",")]
    numbers = [int(t) for t in head.group(3).replace(" ", "").split(",")]
    if len(letters) != int(head.group(1)) or len(numbers) != len(letters):
        raise ValueError("letter and number counts disagree")
    constraints = [c for c in _LINE.findall(question) if "=" in c or "<" in c or ">" in c]
    for c in constraints:
        holds(c, dict.fromkeys(letters, Fraction(1)))  # raises on an unknown form
    return {"letters": letters, "numbers": numbers, "constraints": constraints}


def _render(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(float(value))


@register
class LogicalEquation(Task):
    name = "logical_equation"
    title = "Logical Equation"
    code = "S13"
    seen = True
    folder = "logical_equation"

    def load(self, data_dir: Path) -> list[Instance]:

        def fill(inst: Instance, sample: Path) -> None:  # no complexity stored
            qpath = sample / "question.txt"
            try:
                inst.question = qpath.read_text(encoding="utf-8")
                parsed = parse_question(inst.question)
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise DataError(f"{qpath}: cannot read the question ({exc})") from exc
            solution = read_json(sample / "solution.json")
            if not isinstance(solution, list):
                raise DataError(f"{sample / 'solution.json'}: expected a list of values")
            nums = re.findall(r"\d+", sample.name)
            inst.data = {"solution": solution, **parsed}
            if len(nums) >= 2:
                inst.data["config"] = [int(nums[0]), int(nums[1])]

        return load_each(self, ((s.name, str(s), s) for s in sample_dirs(data_dir / self.folder)), fill)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Complexity c: 3 + 2c letters (5 ... 15 for c = 1 ... 6) and about as many constraints."""
        rng = random.Random(seed)
        out = []
        for i in range(n):
            count = min(3 + 2 * max(complexity, 1), 26)
            letters = list(string.ascii_uppercase[:count])
            numbers = sorted(rng.sample(range(1, 40 * count), count))
            values = dict(zip(letters, rng.sample(numbers, count), strict=True))
            constraints: list[str] = []
            while len(constraints) < count - 1 + rng.randint(0, 1):
                a, b = rng.sample(letters, 2)
                kind = rng.random()
                if kind < 0.15 and values[a] % values[b] == 0:
                    line = f"{a} = {float(values[a] // values[b])}{b}"
                elif kind < 0.3:
                    line = f"{a} > {b}" if values[a] > values[b] else f"{a} < {b}"
                elif kind < 0.65:
                    line = f"{a} - {b} = {values[a] - values[b]}"
                else:
                    line = f"{a} + {b} = {values[a] + values[b]}"
                if line not in constraints:
                    constraints.append(line)
            body = "\n".join(f"{k + 1}. {c}" for k, c in enumerate(constraints))
            question = (
                f"There are {count} letters {', '.join(letters)}, each representing one of the numbers "
                f"{', '.join(str(v) for v in numbers)}. Each number is used by exactly one letter. "
                f"The letters satisfy these conditions:\n{body}\n\n"
                "Give the value of every letter in alphabetical order (A first) as a list, in the format "
                "<<<[1, 2, 3]>>> (meaning A = 1, B = 2, C = 3)."
            )
            data = {"solution": [values[x] for x in letters], "letters": letters, "numbers": numbers,
                    "constraints": constraints, "complexity": complexity}  # fmt: skip
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        if block is None:
            return None
        return [Fraction(t) for t in _NUMBER.findall(block)]

    def _check(self, instance: Instance, answer: Any, bijection: bool) -> Verdict:
        if not isinstance(answer, list):
            return Verdict.wrong("no answer list")
        letters, numbers = instance.data["letters"], instance.data["numbers"]
        if len(answer) != len(letters):
            return Verdict.wrong(f"{len(answer)} values for {len(letters)} letters")
        allowed = {Fraction(v) for v in numbers}
        values = {x: Fraction(v) for x, v in zip(letters, answer, strict=True)}
        for x, v in values.items():
            if v not in allowed:
                return Verdict.wrong(f"{x} = {_render(v)} is not one of the given numbers")
        if bijection and sorted(values.values()) != sorted(Fraction(v) for v in numbers):
            return Verdict.wrong("not a one-to-one assignment of the given numbers")
        for c in instance.data["constraints"]:
            if not holds(c, values):
                return Verdict.wrong(f"constraint {c!r} fails")
        return Verdict.ok()

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        return self._check(instance, answer, bijection=True)

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: every constraint holds and every value is from the set; repeats were not rejected."""
        return self._check(instance, answer, bijection=False)

    def gold_answer(self, instance: Instance) -> str:
        return "<<<[" + ", ".join(str(v) for v in instance.data["solution"]) + "]>>>"
