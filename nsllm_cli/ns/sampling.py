"""Training questions for the reader and the writer: operand lengths drawn evenly, results of 0 on purpose, and
both operand orders for the operations where order matters.

A uniform draw over 1..999 gives a one-digit operand 1% of the time and a result of 0 almost never, so a reader
trained on it misses one-digit operands and a writer never learns to write "0". Here:
- each operand's digit count is uniform over 1..c+1 (then uniform within that length);
- `zero_share` of the questions are built so that the result is 0 (x a multiple of y for modulo, disjoint bits for
  AND, x = y for XOR, a product divisible by the modulus, ...), where the operation allows it;
- for modulo and square-mod, `swap_share` of the questions have x < y, so that the role of a number cannot be
  guessed from its size and has to come from the sentence (for subtraction half of them: a negative result).

Example:
    >>> problems = training_problems(100, seed=0, types=["modulo", "gcd"])
    >>> sum(p.solution == 0 for p in problems) > 0
    True
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet

import numpy as np

from nsllm_cli.ns.problems import (
    COMMUTATIVE,
    MODULUS_REQUIRED,
    MODULUS_TYPES,
    Problem,
    check_type,
    make_problem,
    solve,
)


def even_length(rng: np.random.Generator, max_digits: int) -> int:
    """A positive integer whose digit count is uniform over 1..max_digits."""
    length = int(rng.integers(1, max_digits + 1))
    low = 1 if length == 1 else 10 ** (length - 1)
    return int(rng.integers(low, 10**length))


def _zero_pair(problem_type: str, rng: np.random.Generator, high: int) -> tuple[int, int] | None:
    """Operands (x, y) in [1, high) whose result is 0, or None where the operation cannot give 0."""
    modulus = high  # the "mod 1000" of multiplication and lcm at this complexity
    for _ in range(50):
        if problem_type == "modulo":
            y = even_length(rng, len(str(high - 1)) - 1 or 1)
            k_max = (high - 1) // y
            if k_max < 1:
                continue
            x = y * int(rng.integers(1, k_max + 1))
        elif problem_type == "square_mod":
            x = even_length(rng, len(str(high - 1)))
            divisors = [d for d in range(2, min(x * x, high - 1) + 1) if (x * x) % d == 0]
            if not divisors:
                continue
            y = int(divisors[int(rng.integers(len(divisors)))])
        elif problem_type == "bitwise_and":
            x = even_length(rng, len(str(high - 1)))
            y = int(rng.integers(1, high)) & ~x & (2 ** (high - 1).bit_length() - 1)
        elif problem_type == "bitwise_xor":
            x = even_length(rng, len(str(high - 1)))
            y = x
        elif problem_type == "subtraction":
            x = even_length(rng, len(str(high - 1)))
            y = x
        elif problem_type == "power_mod":  # 10 | x and y >= k: x^y is a multiple of 10^k, the modulus
            x = 10 * int(rng.integers(1, max(2, (high - 1) // 10 + 1)))
            y = int(rng.integers(len(str(modulus)) - 1, high))
        elif problem_type in ("multiplication", "lcm"):
            a, b = _coprime_split(modulus)
            x = a * int(rng.integers(1, max(2, (high - 1) // a + 1)))
            y = b * int(rng.integers(1, max(2, (high - 1) // b + 1)))
        else:
            return None
        if 0 < x < high and 0 < y < high and solve(problem_type, x, y, complexity=len(str(high)) - 2) == 0:
            return x, y
    return None


def _coprime_split(modulus: int) -> tuple[int, int]:
    """``modulus = 2^k 5^k``; returns (2^k, 5^k) so that any multiple of each multiplies to a multiple of it."""
    k = len(str(modulus)) - 1
    return 2**k, 5**k


Key = tuple[str, int, int]


def _admit(key: Key, seen: set[Key], exclude: AbstractSet[Key]) -> bool:
    """Whether a drawn (type, x, y) is new and not excluded (either order for a commutative type); records it."""
    name, x, y = key
    if key in seen or key in exclude or (name in COMMUTATIVE and (name, y, x) in exclude):
        return False
    seen.add(key)
    return True


def training_problems(
    n_per_type: int,
    *,
    seed: int,
    complexity: int = 2,
    types: Iterable[str],
    exclude: AbstractSet[tuple[str, int, int]] = frozenset(),
    zero_share: float = 0.08,
    swap_share: float = 0.25,
    mixed_moduli: bool = False,
) -> list[Problem]:
    """`n_per_type` distinct questions of each type, seeded, none in `exclude` (see the module docstring).

    `mixed_moduli` (the steps recipe's modulus role): half of the multiplication and lcm questions ask without a
    modulus, a quarter with the paper's 10**(c+1), a quarter with a modulus drawn like an operand (at least 2); half
    of the power-modulo questions take such a modulus, the others 10**(c+1)."""
    rng = np.random.default_rng([seed, 17])
    high = 10 ** (complexity + 1)
    digits = complexity + 1
    out: list[Problem] = []
    for name in types:
        check_type(name)
        seen: set[tuple[str, int, int]] = set()
        tries = 0
        while len(seen) < n_per_type and tries < 50 * n_per_type + 1000:
            tries += 1
            pair = _zero_pair(name, rng, high) if rng.random() < zero_share else None
            if pair is None:
                a, b = even_length(rng, digits), even_length(rng, digits)
                if a == b:
                    continue
                x, y = max(a, b), min(a, b)
                # subtraction: half of them negative (x < y), as often as people ask them
                if name not in COMMUTATIVE and rng.random() < (0.5 if name == "subtraction" else swap_share):
                    x, y = y, x
            else:
                x, y = pair
            if _admit((name, x, y), seen, exclude):
                exact, modulus = False, None
                if mixed_moduli and pair is None and name in MODULUS_TYPES:
                    roll = rng.random()
                    exact = roll < 0.5
                    modulus = max(2, even_length(rng, digits)) if roll >= 0.75 else None
                elif mixed_moduli and pair is None and name in MODULUS_REQUIRED and rng.random() < 0.5:
                    modulus = max(2, even_length(rng, digits))
                out.append(make_problem(name, x, y, complexity=complexity, row=len(out), exact=exact, modulus=modulus))
    return out


SLICES = ("zero", "one-digit")
"""Bench slices: questions whose result is 0, and questions with a one-digit operand."""


def slice_problems(
    kind: str,
    n_per_type: int,
    *,
    seed: int,
    complexity: int = 2,
    types: Iterable[str],
    exclude: AbstractSet[tuple[str, int, int]] = frozenset(),
) -> list[Problem]:
    """`n_per_type` test questions of each type in a slice: results of 0 (`zero`: types that can give 0), or one
    operand of one digit (`one-digit`, the other of any length). Seeded, distinct, none in `exclude`.

    Raises:
        ValueError: an unknown slice.
    """
    if kind not in SLICES:
        raise ValueError(f"unknown slice {kind!r}: use {' or '.join(SLICES)}")
    rng = np.random.default_rng([seed, 23, SLICES.index(kind)])
    high = 10 ** (complexity + 1)
    out: list[Problem] = []
    for name in types:
        check_type(name)
        seen: set[tuple[str, int, int]] = set()
        for _ in range(200 * n_per_type):
            if len(seen) >= n_per_type:
                break
            if kind == "zero":
                pair = (int(rng.integers(1, high // 2)), 0) if name == "division" else _zero_pair(name, rng, high)
                if pair is None:
                    break  # this operation never gives 0
                if name == "division":
                    y = int(rng.integers(pair[0] + 1, high))
                    pair = (pair[0], y)
                x, y = pair
            else:
                small, other = int(rng.integers(1, 10)), even_length(rng, complexity + 1)
                if small == other:
                    continue
                x, y = (other, small) if rng.random() < 0.5 else (small, other)
            if _admit((name, x, y), seen, exclude):
                out.append(make_problem(name, x, y, complexity=complexity, row=len(out)))
    return out
