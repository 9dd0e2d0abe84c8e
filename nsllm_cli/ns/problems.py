"""The 10 integer problem types, a seeded generator, and the original CSV format.

CSV columns: ``problem_type,x,y,question,solution``. Complexity c means operands in
``[1, 10**(c+1) - 1]`` and "mod 1000" means ``mod 10**(c+1)``. Addition and integer division are
held out as unseen types: they never train.

Example:
    >>> splits = generate_splits(n_train=100, n_val=10, n_test=50, seed=0)
    >>> write_csv(Path("train.csv"), splits["train"])
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nsllm_cli.errors import DataError

PROBLEM_TYPES: tuple[str, ...] = (
    "addition", "multiplication", "division", "modulo", "gcd",
    "lcm", "square_mod", "bitwise_and", "bitwise_xor", "bitwise_or",
)  # fmt: skip
UNSEEN_TYPES: tuple[str, ...] = ("addition", "division")
TRAIN_TYPES: tuple[str, ...] = tuple(t for t in PROBLEM_TYPES if t not in UNSEEN_TYPES)
COLUMNS = ("problem_type", "x", "y", "question", "solution")
SPLIT_WORDS = {"train": "training", "val": "validation", "test": "testing"}

OPS: dict[str, Callable[[int, int], int]] = {
    "addition": lambda x, y: x + y,
    "multiplication": lambda x, y: x * y,
    "division": lambda x, y: x // y if y else 0,
    "modulo": lambda x, y: x % y if y else 0,
    "gcd": math.gcd,
    "lcm": lambda x, y: math.lcm(x, y),
    "square_mod": lambda x, y: (x * x) % y if y else 0,
    "bitwise_and": lambda x, y: x & y,
    "bitwise_xor": lambda x, y: x ^ y,
    "bitwise_or": lambda x, y: x | y,
}
MOD_LIMITED = ("multiplication", "lcm")  # their solutions are reduced mod 10**(c+1)

TEMPLATES: dict[str, tuple[str, ...]] = {
    "addition": ("What is {x} plus {y}?", "What is the sum of {x} and {y}?", "Add {x} and {y}."),
    "multiplication": ("What is {x} times {y} mod {m}?", "Compute ({x} * {y}) mod {m}."),
    "division": ("What is {x} // {y}?", "What is the integer quotient of {x} divided by {y}?"),
    "modulo": ("What is {x} mod {y}?", "What is the remainder of {x} divided by {y}?"),
    "gcd": ("What is the GCD of {x} and {y}?", "gcd({x}, {y}) = ?", "Find the greatest common divisor of {x} and {y}."),
    "lcm": ("What is the LCM of {x} and {y} mod {m}?", "lcm({x}, {y}) mod {m} = ?"),
    "square_mod": ("What is {x}^2 mod {y}?", "Compute ({x} * {x}) mod {y}."),
    "bitwise_and": ("What is {x} AND {y}?", "Compute {x} & {y}."),
    "bitwise_xor": ("What is {x} XOR {y}?", "Compute {x} ^ {y}."),
    "bitwise_or": ("What is {x} OR {y}?", "Compute {x} | {y}."),
}


def solve(problem_type: str, x: int, y: int, *, complexity: int = 2, limit_solution_digits: bool = True) -> int:
    """The exact answer; multiplication and lcm are reduced mod 10**(c+1) when `limit_solution_digits`."""
    value = OPS[problem_type](x, y)
    if limit_solution_digits and problem_type in MOD_LIMITED:
        value %= 10 ** (complexity + 1)
    return value


def question_text(problem_type: str, x: int, y: int, *, complexity: int = 2, paraphrase: int | None = None) -> str:
    """The original wording (paraphrase None or 0) or an alternative template."""
    templates = TEMPLATES[problem_type]
    return templates[(paraphrase or 0) % len(templates)].format(x=x, y=y, m=10 ** (complexity + 1))


@dataclass(frozen=True)
class Problem:
    """One question with its answer; `row` is its index in the source (CSV data row or generator order)."""

    problem_type: str
    x: int
    y: int
    question: str
    solution: int
    row: int = -1

    @property
    def type_index(self) -> int:
        return PROBLEM_TYPES.index(self.problem_type)


def make_problem(
    problem_type: str, x: int, y: int, *, complexity: int = 2, row: int = -1, paraphrase: int | None = None
) -> Problem:
    """A Problem with its question and solution computed."""
    return Problem(
        problem_type,
        x,
        y,
        question_text(problem_type, x, y, complexity=complexity, paraphrase=paraphrase),
        solve(problem_type, x, y, complexity=complexity),
        row,
    )


def _draw(rng: np.random.Generator, types: tuple[str, ...], high: int, x_gt_y: bool) -> tuple[str, int, int]:
    t = types[int(rng.integers(len(types)))]
    while True:
        x, y = (int(v) for v in rng.integers(1, high, size=2))
        if not x_gt_y:
            return t, x, y
        if x != y:
            return t, max(x, y), min(x, y)


def generate_splits(
    *,
    n_train: int,
    n_val: int,
    n_test: int,
    seed: int = 0,
    complexity: int = 2,
    x_gt_y: bool = True,
    paraphrase: bool = False,
) -> dict[str, list[Problem]]:
    """Seeded, de-duplicated, disjoint train/val (8 training types) and test (all 10 types) splits."""
    rng = np.random.default_rng(seed)
    high = 10 ** (complexity + 1)
    capacity = (high - 1) * (high - 2) // (2 if x_gt_y else 1)
    if n_train + n_val > capacity * len(TRAIN_TYPES) // 2 or n_test > capacity * len(PROBLEM_TYPES) // 2:
        raise DataError(f"cannot draw {n_train + n_val + n_test} distinct problems at complexity {complexity}")
    seen: set[tuple[str, int, int]] = set()

    def draw(n: int, types: tuple[str, ...], start: int) -> list[Problem]:
        out: list[Problem] = []
        while len(out) < n:
            t, x, y = _draw(rng, types, high, x_gt_y)
            if (t, x, y) in seen:
                continue
            seen.add((t, x, y))
            para = int(rng.integers(len(TEMPLATES[t]))) if paraphrase else None
            out.append(make_problem(t, x, y, complexity=complexity, row=start + len(out), paraphrase=para))
        return out

    train = draw(n_train, TRAIN_TYPES, 0)
    val = draw(n_val, TRAIN_TYPES, 0)
    test = draw(n_test, PROBLEM_TYPES, 0)
    return {"train": train, "val": val, "test": test}


def generate_test_per_type(
    n_per_type: int,
    *,
    seed: int,
    complexity: int = 2,
    types: tuple[str, ...] = PROBLEM_TYPES,
    exclude: frozenset[tuple[str, int, int]] = frozenset(),
) -> list[Problem]:
    """`n_per_type` distinct questions of each type (x > y), seeded, none of them in `exclude`."""
    rng = np.random.default_rng(seed)
    high = 10 ** (complexity + 1)
    out: list[Problem] = []
    for t in types:
        seen: set[tuple[int, int]] = set()
        while len(seen) < n_per_type:
            _, x, y = _draw(rng, (t,), high, True)
            if (x, y) not in seen and (t, x, y) not in exclude:
                seen.add((x, y))
                out.append(make_problem(t, x, y, complexity=complexity, row=len(out)))
    return out


def write_csv(path: Path, problems: list[Problem]) -> None:
    """Write the original CSV columns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for p in problems:
            writer.writerow([p.problem_type, p.x, p.y, p.question, p.solution])


def read_csv(path: Path, *, complexity: int = 2, check_solutions: bool = True) -> list[Problem]:
    """Read and validate a CSV; any bad row is a DataError naming the file and line."""
    try:
        fh = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path}: missing column(s) {', '.join(missing)} (expected {','.join(COLUMNS)})")
        problems = []
        for i, rec in enumerate(reader):
            line = i + 2  # header is line 1
            t = (rec["problem_type"] or "").strip()
            if t not in OPS:
                raise DataError(f"{path}:{line}: unknown problem_type {t!r} (known: {', '.join(PROBLEM_TYPES)})")
            try:
                x, y, sol = int(rec["x"]), int(rec["y"]), int(rec["solution"])
            except (TypeError, ValueError):
                raise DataError(
                    f"{path}:{line}: x, y and solution must be integers, got "
                    f"{rec['x']!r}, {rec['y']!r}, {rec['solution']!r}"
                ) from None
            if check_solutions and sol != solve(t, x, y, complexity=complexity):
                raise DataError(
                    f"{path}:{line}: solution {sol} is wrong for {t}({x}, {y}) "
                    f"(expected {solve(t, x, y, complexity=complexity)})"
                )
            problems.append(Problem(t, x, y, rec["question"] or question_text(t, x, y, complexity=complexity), sol, i))
    return problems


def dataset_filename(*, complexity: int, x_gt_y: bool, seed: int | None, n: int, split: str) -> str:
    """symbolic_math_dataset_{c}_complexity[_x_gt_y][_seed_{s}]_{N}_{training|validation|testing}_samples.csv."""
    parts = f"symbolic_math_dataset_{complexity}_complexity" + ("_x_gt_y" if x_gt_y else "")
    parts += f"_seed_{seed}" if seed is not None else ""
    return f"{parts}_{n}_{SPLIT_WORDS.get(split, split)}_samples.csv"


def find_split_files(folder: Path) -> dict[str, Path]:
    """{'train'|'val'|'test': path} for the split CSVs in a folder of the original naming."""
    found: dict[str, Path] = {}
    for split, word in SPLIT_WORDS.items():
        matches = sorted(folder.glob(f"*_{word}_samples.csv"))
        if len(matches) > 1:
            raise DataError(f"{folder}: several {word} files ({', '.join(m.name for m in matches)}); pass one CSV")
        if matches:
            found[split] = matches[0]
    if not found:
        raise DataError(f"{folder}: no *_training/validation/testing_samples.csv files")
    return found
