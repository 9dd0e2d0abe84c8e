"""Seeded, de-duplicated, disjoint train/val/test splits of generated problems (spec §3).

The draw order follows the upstream generator, so seed 42 with the default pool rebuilds the published
split byte for byte; a smaller `n_train` is a prefix of a larger one, so gather, finetune and bench
regenerate the same training questions from the seed alone.

Example:
    >>> splits = generate_splits(n_train=100, n_val=10, n_test=50, seed=0)
    >>> len(splits["train"]), splits["train"][0].problem_type in TRAIN_TYPES
    (100, True)
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet

import numpy as np

from nsllm_cli.errors import ConfigError, DataError
from nsllm_cli.ns.problems import COMMUTATIVE, PROBLEM_TYPES, TEMPLATES, TRAIN_TYPES, Problem, check_type, make_problem

DEFAULT_POOL = 1_000_000  # spec §3; with seed 42 it reproduces the shared regenerated split byte for byte
MAX_COMPLEXITY = 5  # keeps the (type, x, y) keys of the pool inside int64
_BITMAP_MAX = 10**7  # key spaces up to this size (complexity <= 2) de-duplicate with a bitmap
_CHUNK = 500_000  # the upstream generator drew in chunks of this size; the RNG stream depends on it


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
    """`n_per_type` distinct x > y questions of each type (subtraction: either order), seeded, none in `exclude`
    (spec §10 test set).

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
        check_type(name)
        seen: set[tuple[str, int, int]] = set()
        while len(seen) < n_per_type:
            a, b = (int(v) for v in rng.integers(1, high, size=2))
            # x > y as in the paper's test files; subtraction (not theirs) keeps the draw's order: negative results too
            key = (name, a, b) if name == "subtraction" else (name, max(a, b), min(a, b))
            if a == b or key in seen or key in exclude or (name in COMMUTATIVE and (name, key[2], key[1]) in exclude):
                continue
            seen.add(key)
            out.append(make_problem(name, key[1], key[2], complexity=complexity, row=len(out)))
    return out
