"""The 10 integer problem types, the seeded split generator and the dataset CSV (spec §2-3).

Complexity c puts operands in ``[1, 10**(c+1) - 1]`` and makes "mod 1000" mean ``mod 10**(c+1)``.
Addition and integer division are the *unseen* types: the generator never puts them in train or val,
so they measure whether the symbolic path generalises to operations it was never tuned on.

Example:
    >>> splits = generate_splits(n_train=100, n_val=10, n_test=50, seed=0)
    >>> write_csv(Path("train.csv"), splits["train"])
    >>> read_csv(Path("train.csv"))[0].problem_type in TRAIN_TYPES
    True
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nsllm_cli.errors import ConfigError, DataError

PROBLEM_TYPES: tuple[str, ...] = (
    "addition", "multiplication", "division", "modulo", "gcd",
    "lcm", "square_mod", "bitwise_and", "bitwise_xor", "bitwise_or",
)  # fmt: skip
UNSEEN_TYPES: tuple[str, ...] = ("addition", "division")
TRAIN_TYPES: tuple[str, ...] = tuple(t for t in PROBLEM_TYPES if t not in UNSEEN_TYPES)
COMMUTATIVE: frozenset[str] = frozenset(
    {"addition", "multiplication", "gcd", "lcm", "bitwise_and", "bitwise_xor", "bitwise_or"}
)
COLUMNS: tuple[str, ...] = ("problem_type", "x", "y", "question", "solution")
SPLIT_WORDS: dict[str, str] = {"train": "training", "val": "validation", "test": "testing"}
DEFAULT_POOL = 1_000_000  # spec §3; with seed 42 it reproduces the shared regenerated split byte for byte
MAX_COMPLEXITY = 5  # keeps the (type, x, y) keys of the pool inside int64
_BITMAP_MAX = 10**7  # key spaces up to this size (complexity <= 2) de-duplicate with a bitmap
_CHUNK = 500_000  # the upstream generator drew in chunks of this size; the RNG stream depends on it
_MOD_LIMITED = ("multiplication", "lcm")

OPS: dict[str, Callable[[int, int], int]] = {
    "addition": lambda x, y: x + y,
    "multiplication": lambda x, y: x * y,
    "division": lambda x, y: x // y if y else 0,
    "modulo": lambda x, y: x % y if y else 0,
    "gcd": math.gcd,
    "lcm": math.lcm,
    "square_mod": lambda x, y: (x * x) % y if y else 0,
    "bitwise_and": lambda x, y: x & y,
    "bitwise_xor": lambda x, y: x ^ y,
    "bitwise_or": lambda x, y: x | y,
}

# Index 0 is the original wording (spec §2); the others are our own paraphrases for robustness tests.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "addition": ("What is {x} plus {y}?", "What is the sum of {x} and {y}?", "{x} + {y} = ?"),
    "multiplication": (
        "What is {x} times {y} mod {m}?",
        "What is the product of {x} and {y}, modulo {m}?",
        "Compute ({x} * {y}) mod {m}.",
    ),
    "division": (
        "What is {x} // {y}?",
        "What is the integer quotient of {x} divided by {y}?",
        "Compute floor({x} / {y}).",
    ),
    "modulo": ("What is {x} mod {y}?", "What is the remainder when {x} is divided by {y}?", "{x} % {y} = ?"),
    "gcd": ("What is the GCD of {x} and {y}?", "gcd({x}, {y}) = ?", "Find the greatest common divisor of {x} and {y}."),
    "lcm": (
        "What is the LCM of {x} and {y} mod {m}?",
        "What is the least common multiple of {x} and {y}, modulo {m}?",
        "lcm({x}, {y}) mod {m} = ?",
    ),
    "square_mod": ("What is {x}^2 mod {y}?", "What is {x} squared modulo {y}?", "Compute ({x} * {x}) mod {y}."),
    "bitwise_and": ("What is {x} AND {y}?", "What is the bitwise AND of {x} and {y}?", "{x} & {y} = ?"),
    "bitwise_xor": ("What is {x} XOR {y}?", "What is the bitwise XOR of {x} and {y}?", "{x} ^ {y} = ?"),
    "bitwise_or": ("What is {x} OR {y}?", "What is the bitwise OR of {x} and {y}?", "{x} | {y} = ?"),
}


def _check_type(problem_type: str) -> None:
    if problem_type not in OPS:
        raise ValueError(f"unknown problem type {problem_type!r} (known: {', '.join(PROBLEM_TYPES)})")


def solve(problem_type: str, x: int, y: int, *, complexity: int = 2, limit_solution_digits: bool = True) -> int:
    """The exact answer, as the symbolic step of NS computes it.

    Args:
        problem_type: One of `PROBLEM_TYPES`.
        x: First operand.
        y: Second operand; division, modulo and square_mod by 0 give 0 instead of raising.
        complexity: Sets the "mod 1000" of multiplication and lcm to ``mod 10**(c+1)``.
        limit_solution_digits: Reduce multiplication and lcm so answers stay as short as the operands.

    Returns:
        The integer answer.

    Raises:
        ValueError: `problem_type` is not a known type.
    """
    _check_type(problem_type)
    value = OPS[problem_type](x, y)
    if limit_solution_digits and problem_type in _MOD_LIMITED:
        value %= 10 ** (complexity + 1)
    return value


def question_text(problem_type: str, x: int, y: int, *, complexity: int = 2, paraphrase: int | None = None) -> str:
    """The question wording: the original CSV text, or paraphrase `i` of `TEMPLATES[problem_type]`.

    Raises:
        ValueError: unknown type, or a paraphrase index the type does not have.
    """
    _check_type(problem_type)
    templates = TEMPLATES[problem_type]
    index = paraphrase or 0
    if not 0 <= index < len(templates):
        raise ValueError(f"{problem_type} has paraphrases 0..{len(templates) - 1}, not {index}")
    return templates[index].format(x=x, y=y, m=10 ** (complexity + 1))


@dataclass(frozen=True)
class Problem:
    """One question with its answer; `row` is its 0-based index in its CSV or generated split."""

    problem_type: str
    x: int
    y: int
    question: str
    solution: int
    row: int = -1

    @property
    def type_index(self) -> int:
        """Position in `PROBLEM_TYPES`: the P_i atom of the VSA and the class id of type decoding."""
        return PROBLEM_TYPES.index(self.problem_type)

    @property
    def key(self) -> tuple[str, int, int]:
        """``(problem_type, x, y)``: what de-duplication and split disjointness compare."""
        return (self.problem_type, self.x, self.y)


def make_problem(
    problem_type: str, x: int, y: int, *, complexity: int = 2, row: int = -1, paraphrase: int | None = None
) -> Problem:
    """A Problem with its question and solution computed (the generator's and the tests' constructor)."""
    return Problem(
        problem_type,
        x,
        y,
        question_text(problem_type, x, y, complexity=complexity, paraphrase=paraphrase),
        solve(problem_type, x, y, complexity=complexity),
        row,
    )


def _operand_high(complexity: int) -> int:
    """Exclusive upper bound of the operands, after checking the complexity fits the int64 keys."""
    if not 0 <= complexity <= MAX_COMPLEXITY:
        raise ConfigError(f"complexity must be 0..{MAX_COMPLEXITY}, got {complexity}")
    return int(10 ** (complexity + 1))


def capacity(types: Iterable[str], *, complexity: int, x_gt_y: bool = True) -> int:
    """How many distinct questions exist: the hard limit for any pool or split size."""
    n = _operand_high(complexity) - 1
    pairs = n * (n - 1) // 2
    return sum(pairs if x_gt_y or t not in COMMUTATIVE else pairs + n for t in types)


def _order(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> None:
    """Swap in place so x >= y where `mask`."""
    swap = mask & (x <= y)
    x[swap], y[swap] = y[swap], x[swap]


def _in_sorted(keys: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Membership of `keys` in the sorted `table` (np.isin hashes, and is slow on numpy 2)."""
    if table.size == 0:
        return np.zeros(keys.shape, dtype=bool)
    found: np.ndarray = table[np.minimum(np.searchsorted(table, keys), table.size - 1)] == keys
    return found


def _draw_pool(seed: int, size: int, *, high: int, x_gt_y: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`size` distinct (type index, x, y) rows in draw order.

    The draw order (chunks of 500 000: types, then x, then y, then tie re-draws) follows the upstream
    generator so that seed 42 rebuilds the published split; do not reorder it. Without `x_gt_y` only the
    non-commutative types are ordered (as in the original files) and commutative pairs de-duplicate unordered.
    """
    rng = np.random.default_rng(seed)
    commutative = np.array([t in COMMUTATIVE for t in PROBLEM_TYPES])
    space = len(PROBLEM_TYPES) * high * high
    bitmap = np.zeros(space, dtype=bool) if space <= _BITMAP_MAX else None  # 3x faster than the sorted keys
    seen = np.empty(0, dtype=np.int64)
    parts: list[np.ndarray] = []
    got = 0
    while got < size:
        k = min(_CHUNK, size - got)
        t = rng.integers(0, len(PROBLEM_TYPES), size=k)
        x = rng.integers(1, high, size=k)
        y = rng.integers(1, high, size=k)
        ordered = np.ones(k, dtype=bool) if x_gt_y else ~commutative[t]
        _order(x, y, ordered)
        ties = ordered & (x == y)
        while ties.any():
            y[ties] = rng.integers(1, high, size=int(ties.sum()))
            _order(x, y, ties)
            ties = ordered & (x == y)
        keys = (t * high + np.maximum(x, y)) * high + np.minimum(x, y)
        fresh = np.zeros(k, dtype=bool)
        fresh[np.unique(keys, return_index=True)[1]] = True  # first occurrence within the chunk
        fresh &= ~(bitmap[keys] if bitmap is not None else _in_sorted(keys, seen))
        new = np.flatnonzero(fresh)[: size - got]
        parts.append(np.stack([t[new], x[new], y[new]]))
        if bitmap is not None:
            bitmap[keys[new]] = True
        else:
            seen = np.sort(np.concatenate([seen, keys[new]]))
        got += new.size
    rows = np.concatenate(parts, axis=1)
    return rows[0], rows[1], rows[2]


def generate_splits(
    *,
    n_train: int,
    n_val: int,
    n_test: int,
    seed: int = 0,
    complexity: int = 2,
    x_gt_y: bool = True,
    pool: int | None = None,
    paraphrase: bool = False,
) -> dict[str, list[Problem]]:
    """Seeded, de-duplicated, disjoint splits: train/val over the 8 training types, test over all 10.

    A pool of distinct questions is drawn with ``default_rng(seed)``; a ``RandomState(seed)`` permutation
    of its training-type rows gives train then val, and a permutation of everything left gives test
    (spec §3). The pool size does not depend on the split sizes, so train is the same whatever `n_val`
    and `n_test` are, and a smaller `n_train` is a prefix of a larger one: gather, finetune and bench
    regenerate the same training questions from the seed alone.

    Args:
        n_train: Training questions.
        n_val: Validation questions.
        n_test: Test questions.
        seed: Seeds both generators; 42 with the default pool rebuilds ``../shared/symbolic-math/
            regenerated_seed42_x_gt_y`` exactly.
        complexity: Operands in ``[1, 10**(c+1) - 1]``.
        x_gt_y: Order every pair so x > y (ties re-drawn); False keeps commutative pairs unordered.
        pool: Distinct questions drawn first; default `DEFAULT_POOL`, capped at half the capacity
            for small complexities (filling a space completely takes ever longer).
        paraphrase: Word each question with a random template (a separate stream, so the
            questions chosen are the same as without it).

    Returns:
        ``{"train": [...], "val": [...], "test": [...]}``, each Problem's `row` its index in the split.

    Raises:
        DataError: the counts do not fit the pool or the pool does not fit the question space.
        ConfigError: a negative seed or count, or an unsupported complexity.
    """
    if min(n_train, n_val, n_test) < 0 or not 0 <= seed < 2**32:
        raise ConfigError(f"counts must be >= 0 and the seed in [0, 2**32); got {n_train}/{n_val}/{n_test}, {seed}")
    high = _operand_high(complexity)
    cap = capacity(PROBLEM_TYPES, complexity=complexity, x_gt_y=x_gt_y)
    size = min(DEFAULT_POOL, cap // 2) if pool is None else pool
    if not 0 < size <= cap:
        raise DataError(f"pool must be 1..{cap} (the distinct questions at complexity {complexity}), got {size}")
    t, x, y = _draw_pool(seed, size, high=high, x_gt_y=x_gt_y)
    trainable = np.flatnonzero(np.array([name in TRAIN_TYPES for name in PROBLEM_TYPES])[t])
    if n_train + n_val > trainable.size or n_train + n_val + n_test > size:
        raise DataError(
            f"a pool of {size} questions ({trainable.size} of training types) cannot give "
            f"{n_train}/{n_val}/{n_test} train/val/test questions; pass a larger pool"
        )
    legacy = np.random.RandomState(seed)  # the upstream split used the legacy generator
    fit = legacy.permutation(trainable)[: n_train + n_val]
    left = np.ones(size, dtype=bool)
    left[fit] = False
    test = legacy.permutation(np.flatnonzero(left))[:n_test]
    wording = np.random.default_rng([seed, 1]) if paraphrase else None

    def build(indices: np.ndarray) -> list[Problem]:
        out = []
        for row, i in enumerate(indices):
            name = PROBLEM_TYPES[int(t[i])]
            para = int(wording.integers(len(TEMPLATES[name]))) if wording is not None else None
            out.append(make_problem(name, int(x[i]), int(y[i]), complexity=complexity, row=row, paraphrase=para))
        return out

    return {"train": build(fit[:n_train]), "val": build(fit[n_train:]), "test": build(test)}


def generate_test_per_type(
    n_per_type: int,
    *,
    seed: int,
    complexity: int = 2,
    types: Iterable[str] = PROBLEM_TYPES,
    exclude: AbstractSet[tuple[str, int, int]] = frozenset(),
) -> list[Problem]:
    """`n_per_type` distinct x > y questions of each type, seeded, none in `exclude` (spec §10 test set).

    `exclude` holds ``(type, x, y)`` keys (e.g. an NS run's training questions); for commutative types
    ``(type, y, x)`` counts as the same question, since the original files store such pairs unordered.

    Raises:
        DataError: more questions per type than the complexity allows.
    """
    high = _operand_high(complexity)
    if n_per_type > capacity(["gcd"], complexity=complexity) // 2:
        raise DataError(f"{n_per_type} questions per type is too many at complexity {complexity}")
    rng = np.random.default_rng(seed)
    out: list[Problem] = []
    for name in types:
        _check_type(name)
        seen: set[tuple[str, int, int]] = set()
        while len(seen) < n_per_type:
            a, b = (int(v) for v in rng.integers(1, high, size=2))
            key = (name, max(a, b), min(a, b))
            if a == b or key in seen or key in exclude or (name in COMMUTATIVE and (name, key[2], key[1]) in exclude):
                continue
            seen.add(key)
            out.append(make_problem(name, key[1], key[2], complexity=complexity, row=len(out)))
    return out


def write_csv(path: Path, problems: Iterable[Problem]) -> None:
    """Write the dataset CSV exactly as the upstream files are laid out (LF line ends, no index column)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([p.problem_type, p.x, p.y, p.question, p.solution] for p in problems)


def _parse_row(where: str, rec: dict[str, str | None], *, row: int, complexity: int, check: bool) -> Problem:
    """One CSV record as a Problem; `where` is ``file:line`` for the error message."""
    name = (rec["problem_type"] or "").strip()
    if name not in OPS:
        raise DataError(f"{where}: unknown problem_type {name!r} (known: {', '.join(PROBLEM_TYPES)})")
    values: list[int] = []
    for column in ("x", "y", "solution"):
        raw = rec[column]
        try:
            values.append(int(raw or ""))
        except ValueError:
            raise DataError(f"{where}: {column} must be an integer, got {raw!r}") from None
    x, y, solution = values
    if x < 0 or y < 0:
        raise DataError(f"{where}: operands must be >= 0, got x={x}, y={y}")
    if check:
        expected = solve(name, x, y, complexity=complexity)
        if solution != expected:
            raise DataError(
                f"{where}: solution {solution} is wrong for {name}({x}, {y}): expected {expected} at complexity "
                f"{complexity} (a file made at another complexity or without the mod?)"
            )
    question = (rec["question"] or "").strip() or question_text(name, x, y, complexity=complexity)
    return Problem(name, x, y, question, solution, row)


def read_csv(path: Path, *, complexity: int = 2, check_solutions: bool = True) -> list[Problem]:
    """Read and validate a dataset CSV (the upstream files and ours).

    Extra columns are ignored and an empty question gets the original wording. Every check fails with
    the file and 1-based line, so a bad row in a 20 000-row file can be found and fixed.

    Args:
        path: The CSV file.
        complexity: Needed to check multiplication and lcm answers (their "mod 1000").
        check_solutions: Recompute every answer and refuse a row that disagrees.

    Returns:
        The rows in file order, each Problem's `row` its 0-based data-row index.

    Raises:
        DataError: missing or unreadable file, missing columns, a non-integer or negative x/y/solution,
            an unknown problem_type, or a wrong solution.
    """
    try:
        fh = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    problems: list[Problem] = []
    with fh:
        reader = csv.DictReader(fh)
        try:
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(
                    f"{path}:1: missing column(s) {', '.join(missing)} (the header must have {','.join(COLUMNS)})"
                )
            for rec in reader:
                where = f"{path}:{reader.line_num}"
                problems.append(_parse_row(where, rec, row=len(problems), complexity=complexity, check=check_solutions))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise DataError(f"{path}:{reader.line_num}: not a readable CSV ({exc})") from None
    return problems


def dataset_filename(*, complexity: int, x_gt_y: bool, seed: int | None, n: int, split: str) -> str:
    """The upstream naming, so our files sit next to theirs and `find_split_files` finds both.

    ``symbolic_math_dataset_{c}_complexity[_x_gt_y][_seed_{s}]_{N}_{training|validation|testing}_samples.csv``;
    `split` is ``train``/``val``/``test`` or the long word.
    """
    words = {**SPLIT_WORDS, **{w: w for w in SPLIT_WORDS.values()}}
    if split not in words:
        raise ValueError(f"split must be one of {', '.join(words)}, got {split!r}")
    name = f"symbolic_math_dataset_{complexity}_complexity" + ("_x_gt_y" if x_gt_y else "")
    name += f"_seed_{seed}" if seed is not None else ""
    return f"{name}_{n}_{words[split]}_samples.csv"


def find_split_files(folder: Path) -> dict[str, Path]:
    """``{'train'|'val'|'test': path}`` for the split CSVs (named as `dataset_filename` does) in `folder`.

    Raises:
        DataError: the folder is missing, has no split file, or has two files for one split.
    """
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder")
    found: dict[str, Path] = {}
    for split, word in SPLIT_WORDS.items():
        matches = sorted(folder.glob(f"*_{word}_samples.csv"))
        if len(matches) > 1:
            raise DataError(f"{folder}: several {word} files ({', '.join(m.name for m in matches)}); pass one CSV")
        if matches:
            found[split] = matches[0]
    if not found:
        raise DataError(f"{folder}: no *_training/_validation/_testing_samples.csv files")
    return found
