"""U9 Permutations and Combinations: order books on a shelf under adjacency, left/right and position constraints.

Spec row U9. Original: regex-parse the five constraint kinds and check them (any satisfying order passes). Fix: the
answer must also be a permutation of all the items (the original accepted a list with missing or repeated books).
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

_ADJ = re.compile(r"Book (\w+) must be adjacent to book (\w+)")
_LEFT = re.compile(r"Book (\w+) must be to the left of book (\w+)")
_RIGHT = re.compile(r"Book (\w+) must be to the right of book (\w+)")
_AT = re.compile(r"Book (\w+) must be placed in position (\d+)")
_NOT_AT = re.compile(r"Book (\w+) cannot be placed in position (\d+)")
_ITEM = re.compile(r"[A-Za-z0-9]+")

Constraint = tuple[str, str, str]
"""(kind, book, other book or 1-based position)."""


def parse_constraints(text: str) -> list[Constraint]:
    """Every constraint line of the original wording; an unrecognised line raises DataError."""
    out: list[Constraint] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        for kind, rx in (("adjacent", _ADJ), ("left", _LEFT), ("right", _RIGHT), ("at", _AT), ("not_at", _NOT_AT)):
            m = rx.search(line)
            if m:
                out.append((kind, m.group(1), m.group(2)))
                break
        else:
            raise DataError(f"unrecognised constraint: {line.strip()!r}")
    return out


def holds(c: Constraint, order: list[str]) -> bool:
    """Whether one constraint holds for an order (books missing from the order fail)."""
    kind, a, b = c
    if a not in order:
        return False
    pa = order.index(a)
    if kind in ("at", "not_at"):
        return (pa + 1 == int(b)) == (kind == "at")
    if b not in order:
        return False
    pb = order.index(b)
    return {"adjacent": abs(pa - pb) == 1, "left": pa < pb, "right": pa > pb}[kind]


def render(c: Constraint) -> str:
    kind, a, b = c
    return {
        "adjacent": f"Book {a} must be adjacent to book {b}.",
        "left": f"Book {a} must be to the left of book {b}.",
        "right": f"Book {a} must be to the right of book {b}.",
        "at": f"Book {a} must be placed in position {b}.",
        "not_at": f"Book {a} cannot be placed in position {b}.",
    }[kind]


@register
class PermutationsAndCombinations(Task):
    name = "permutations_and_combinations"
    title = "Permutations and Combinations"
    code = "U9"
    seen = False
    folder = "permutations_and_combinations"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            try:
                parse_constraints(inst.data["constraints_text"]), list(inst.data["items"])
            except (KeyError, TypeError, DataError) as exc:
                raise DataError(f"{inst.source}/solution.json: malformed data ({exc})") from exc

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Items 5 + complexity (6-10), `randint(c + 1, c + 2)` constraints, all true for a hidden order."""
        rng = random.Random(seed)
        out = []
        count = 5 + max(complexity, 1)
        items = [chr(ord("A") + k) for k in range(count)]
        for i in range(n):
            order = rng.sample(items, count)
            constraints: list[Constraint] = []
            while len(constraints) < rng.randint(complexity + 1, complexity + 2) or not constraints:
                a, b = rng.sample(items, 2)
                kind = rng.choice(["adjacent", "left", "right", "at", "not_at"])
                pos = str(order.index(a) + 1) if kind == "at" else str(rng.randint(1, count))
                c: Constraint = (kind, a, pos if kind in ("at", "not_at") else b)
                if holds(c, order) and c not in constraints:
                    constraints.append(c)
            text = "\n".join(f"{k + 1}. {render(c)}" for k, c in enumerate(constraints))
            question = (
                f"A librarian shelves {count} books labelled {', '.join(items)} in positions 1 to {count}, "
                "left to right."
                f"\n\nConstraints:\n{text}\n\nGive one arrangement that satisfies every constraint, listing all books "
                "from position 1 to position " + str(count) + ', in the format <<<["A", "B", "C", ...]>>>.'
            )
            data = {"items": items, "constraints_text": text, "correct_solution": order, "complexity": complexity}
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        """The item names of the last block, quotes, brackets and separators dropped."""
        block = last_answer(text)
        if block is None:
            return None
        return _ITEM.findall(block)

    def _check(self, instance: Instance, answer: Any, permutation: bool) -> Verdict:
        if not isinstance(answer, list):
            return Verdict.wrong("no answer list")
        order = [str(a) for a in answer]
        items = [str(x) for x in instance.data["items"]]
        if permutation and sorted(order) != sorted(items):
            return Verdict.wrong(f"{order} is not an arrangement of all of {items}")
        for c in parse_constraints(instance.data["constraints_text"]):
            if not holds(c, order):
                return Verdict.wrong(f"violated: {render(c)}")
        return Verdict.ok()

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        return self._check(instance, answer, permutation=True)

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: the constraints only; a list missing or repeating books may pass."""
        return self._check(instance, answer, permutation=False)

    def gold_answer(self, instance: Instance) -> str:
        return "<<<[" + ", ".join(f'"{x}"' for x in instance.data["correct_solution"]) + "]>>>"
