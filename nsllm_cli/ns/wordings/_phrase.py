"""Drawing wordings: a question in a random family of its type, negatives by kind, and the family queries."""

from __future__ import annotations

import numpy as np

from nsllm_cli.ns.problems import PROBLEM_TYPES, Problem
from nsllm_cli.ns.wordings._compose import Dice, fill, join, spans
from nsllm_cli.ns.wordings._frames import (
    CHAT_PREFIXES,
    CHAT_SUFFIXES,
    MATH_PREFIXES,
    MATH_SUFFIXES,
    NEG_PREFIXES,
    NEG_SUFFIXES,
    OPENERS,
    PREFIXES,
    SUFFIXES,
)
from nsllm_cli.ns.wordings._negative_forms import NEGATIVE_FORMS
from nsllm_cli.ns.wordings._registry import (
    BY_SPLIT,
    FAMILIES,
    NEG_BY_KIND,
    NEGATIVE,
    Family,
    Wording,
    check_split,
)


def _question_template(family: Family, dice: Dice) -> str:
    """The family's template inside its random frame (opener, politeness prefix and suffix)."""
    group = family.group
    if group in ("paper", "terse"):
        return family.template
    if group == "chat":
        prefix = dice.pick(CHAT_PREFIXES) if dice.chance(0.5) else ""
        suffix = dice.pick(CHAT_SUFFIXES) if dice.chance(0.5) else ""
        return prefix + family.template + suffix
    body = dice.pick(OPENERS).replace("{np}", family.template) if group == "np" else family.template
    prefix = dice.pick(PREFIXES) if dice.chance(0.25) else ""
    suffix = dice.pick(SUFFIXES) if dice.chance(0.3) else ""
    return join(prefix, body, suffix)


def phrase(problem: Problem, rng: np.random.Generator, *, split: str = "train", complexity: int = 2) -> Wording:
    """A random wording of `problem` from one of its type's `split` families (uniform over families).

    Args:
        problem: Type and operands; its own `question` text is not used.
        rng: The only source of randomness, so equal generator states give equal wordings.
        split: "train" or "heldout" families.
        complexity: Sets the modulus 10**(c+1) written into multiplication and lcm wordings.

    Raises:
        ValueError: unknown split or problem type.
    """
    check_split(split)
    if problem.problem_type not in PROBLEM_TYPES:
        raise ValueError(f"unknown problem type {problem.problem_type!r} (known: {', '.join(PROBLEM_TYPES)})")
    dice = Dice(rng)
    options = BY_SPLIT[problem.problem_type, split]
    family = options[min(int(dice.uniform() * len(options)), len(options) - 1)]
    values = {"x": str(problem.x), "y": str(problem.y), "m": str(10 ** (complexity + 1))}
    text, marks = fill(_question_template(family, dice), values, dice)
    return Wording(text, problem.problem_type, problem.x, problem.y, spans(text, marks), family.id, family.kind)


def _negative(family: Family, dice: Dice) -> Wording:
    prefixes, suffixes = NEG_PREFIXES, NEG_SUFFIXES
    if family.kind == "negative-math":
        prefixes, suffixes = prefixes + MATH_PREFIXES, suffixes + MATH_SUFFIXES
    prefix = dice.pick(prefixes) if dice.chance(0.25) else ""
    suffix = dice.pick(suffixes) if dice.chance(0.3) and family.template[-1] in ".?!" else ""
    text, _ = fill(join(prefix, family.template, suffix), {}, dice)
    return Wording(text, None, None, None, spans(text, {}), family.id, family.kind)


def negatives(n: int, rng: np.random.Generator, *, split: str = "train") -> list[Wording]:
    """`n` prompts that are none of the 10 problem types: text, numeric text and other arithmetic, ~1/3 each.

    Every number in them is tagged "other". Addition, multiplication, division, modulo, gcd, lcm, square-mod
    and bitwise prompts never appear here (addition and division are unseen *test* types, not negatives).

    Raises:
        ValueError: unknown split or negative `n`.
    """
    check_split(split)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    dice = Dice(rng)
    kinds = tuple(NEGATIVE_FORMS)
    out = []
    for _ in range(n):
        options = NEG_BY_KIND[dice.pick(kinds), split]
        out.append(_negative(options[min(int(dice.uniform() * len(options)), len(options) - 1)], dice))
    return out


def families(problem_type: str, split: str) -> list[str]:
    """The family ids of `problem_type` (or `NEGATIVE`) in `split`, in a stable order.

    Raises:
        ValueError: unknown split or problem type.
    """
    check_split(split)
    if problem_type not in PROBLEM_TYPES and problem_type != NEGATIVE:
        raise ValueError(f"unknown problem type {problem_type!r} (known: {', '.join(PROBLEM_TYPES)}, {NEGATIVE})")
    return [f.id for f in BY_SPLIT[problem_type, split]]


def heldout_family(family: str) -> bool:
    """Whether `family` belongs to the held-out wording split.

    Raises:
        ValueError: `family` is not a known family id.
    """
    found = FAMILIES.get(family)
    if found is None:
        raise ValueError(f"unknown wording family {family!r}")
    return found.heldout
