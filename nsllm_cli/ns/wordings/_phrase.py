"""Drawing wordings: a question in a random family of its type, negatives by kind, and the family queries."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from nsllm_cli.ns.problems import ALL_TYPES, MODULUS_TYPES, Problem
from nsllm_cli.ns.wordings._asks import asks
from nsllm_cli.ns.wordings._compose import Dice, fill, join, spans, without_modulus
from nsllm_cli.ns.wordings._frames import (
    CHAT_PREFIXES,
    CHAT_SUFFIXES,
    CONTEXT_PREFIXES,
    MATH_PREFIXES,
    MATH_SUFFIXES,
    NEG_PREFIXES,
    NEG_SUFFIXES,
    OPENERS,
    PREFIXES,
    SUFFIXES,
)
from nsllm_cli.ns.wordings._registry import (
    NEAR_TOPIC,
    NEGATIVE,
    PAIR_TOPIC,
    SCENE_TOPIC,
    STORY_GROUP,
    UNKNOWN_TOPIC,
    Family,
    Wording,
    all_families,
    by_split,
    check_split,
    negatives_by_kind,
)

PAIR_SHARE = 0.3
"""Share of training questions drawn from the minimal-pair frames (`_minimal`), the rest from the other families."""
STORY_SHARE = 0.15
"""Share of the other training questions drawn from the composed story word problems (`_stories`): there are many
of them, and a uniform draw over all families would make most questions stories."""
NEGATIVE_KINDS = {"negative-text": 0.25, "negative-numeric": 0.25, "negative-math": 0.5}
"""How negatives split by kind."""
MATH_NEGATIVE_GROUPS = {PAIR_TOPIC: 0.3, UNKNOWN_TOPIC: 0.15, SCENE_TOPIC: 0.15, NEAR_TOPIC: 0.15, None: 0.25}
"""How the other-maths negatives split: minimal-pair frames with untrained operations, unknown operators, trained
word problems' scenes with other questions, story scenes with their near-miss questions, and the other-maths topics
(None)."""
_AMBIGUOUS_LOWER = re.compile(r"\b(AND|OR)\b")
_AMBIGUOUS_UPPER = re.compile(r"\b(and|or)\b", re.IGNORECASE)


def _template(family: Family, exact: bool) -> str | None:
    """The family's template; asked exactly, without its modulus clause (None where it has no exact form)."""
    return without_modulus(family.template) if exact and "{m}" in family.template else family.template


def _question_template(family: Family, dice: Dice, *, train: bool, exact: bool = False) -> str:
    """The family's template inside its random frame (opener, politeness prefix and suffix, context)."""
    group = family.group
    template = _template(family, exact)
    if template is None:
        raise ValueError(f"{family.id} has no exact form")
    if family.heldout:
        return template
    if group in ("paper", "terse"):
        body = template
    elif group == "chat":
        prefix = dice.pick(CHAT_PREFIXES) if dice.chance(0.5) else ""
        suffix = dice.pick(CHAT_SUFFIXES) if dice.chance(0.5) else ""
        body = prefix + template + suffix
    else:
        body = dice.pick(OPENERS).replace("{np}", template) if group == "np" else template
        prefix = dice.pick(PREFIXES) if dice.chance(0.25) else ""
        suffix = dice.pick(SUFFIXES) if dice.chance(0.3) else ""
        body = join(prefix, body, suffix)
    if train and group not in ("paper",) and dice.chance(0.15):
        body = join(dice.pick(CONTEXT_PREFIXES), body)
    return body


def _noisy(text: str, dice: Dice) -> str:
    """Casing and typos as people type them (letters only, so digit spans do not move): all lower case, all upper
    case, or two neighbouring letters swapped in one word. AND/OR are never lowered ("5 and 3" reads as a sum), nor
    and/or raised (a negative would name a bitwise operation)."""
    roll = dice.uniform()
    if roll < 0.12 and not _AMBIGUOUS_LOWER.search(text):
        return text.lower()
    if roll < 0.15 and not _AMBIGUOUS_UPPER.search(text):
        return text.upper()
    if roll < 0.27:
        words = [m for m in re.finditer(r"[A-Za-z]{4,}", text)]
        if words:
            m = words[min(int(dice.uniform() * len(words)), len(words) - 1)]
            i = m.start() + dice.integer(0, len(m.group()) - 2)
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text


def _pick(options: tuple[Family, ...], dice: Dice) -> Family:
    return options[min(int(dice.uniform() * len(options)), len(options) - 1)]


def phrase(problem: Problem, rng: np.random.Generator, *, split: str = "train", complexity: int = 2) -> Wording:
    """A random wording of `problem` from one of its type's `split` families.

    Training wordings: 30% from the minimal-pair frames, then 15% of the rest from the story word problems, the rest
    uniform over the other families, with random context sentences (distractor numbers), casing and typos. Held-out
    wordings: uniform over the held-out families, as written.

    Args:
        problem: Type and operands; its own `question` text is not used.
        rng: The only source of randomness, so equal generator states give equal wordings.
        split: "train" or "heldout" families.
        complexity: Sets the modulus 10**(c+1) written into multiplication and lcm wordings (where the problem names
            none of its own); a multiplication or lcm problem without a modulus is worded without one.

    Raises:
        ValueError: unknown split or problem type.
    """
    check_split(split)
    if problem.problem_type not in ALL_TYPES:
        raise ValueError(f"unknown problem type {problem.problem_type!r} (known: {', '.join(ALL_TYPES)})")
    dice = Dice(rng)
    train = split == "train"
    exact = problem.problem_type in MODULUS_TYPES and problem.modulus is None

    def usable(group: str | None) -> tuple[Family, ...]:
        found = by_split(problem.problem_type, split, group)
        return tuple(f for f in found if not exact or _template(f, exact) is not None)

    pairs = usable("pair") if train else ()
    stories = usable(STORY_GROUP) if train else ()
    if pairs and dice.chance(PAIR_SHARE):
        family = _pick(pairs, dice)
    elif stories and dice.chance(STORY_SHARE):
        family = _pick(stories, dice)
    else:
        others = tuple(f for f in usable(None) if f.group not in ("pair", STORY_GROUP))
        family = _pick(others, dice)
    values = {"x": str(problem.x), "y": str(problem.y), "m": str(problem.modulus or 10 ** (complexity + 1))}
    text, marks = fill(_question_template(family, dice, train=train, exact=exact), values, dice)
    if train and family.group != "paper":
        text = _noisy(text, dice)
    return Wording(text, problem.problem_type, problem.x, problem.y, spans(text, marks), family.id, family.kind)


def _negative(family: Family, dice: Dice) -> Wording:
    prefixes, suffixes = NEG_PREFIXES, NEG_SUFFIXES
    if family.kind == "negative-math":
        prefixes, suffixes = prefixes + MATH_PREFIXES, suffixes + MATH_SUFFIXES
    prefix = dice.pick(prefixes) if dice.chance(0.25) else ""
    suffix = dice.pick(suffixes) if dice.chance(0.3) and family.template[-1] in ".?!" else ""
    text, _ = fill(join(prefix, family.template, suffix), {}, dice)
    if not family.heldout:
        text = _noisy(text, dice)
    return Wording(text, None, None, None, spans(text, {}), family.id, family.kind)


def negatives(n: int, rng: np.random.Generator, *, split: str = "train", trained: Sequence[str] = ()) -> list[Wording]:
    """`n` prompts that are none of the `trained` operations: a quarter text, a quarter numeric text, half other maths
    (split by `MATH_NEGATIVE_GROUPS`: minimal-pair frames with untrained operations, unknown operators, trained
    word problems' scenes with other questions, story scenes with near-miss questions, other topics).

    Every number in them is tagged "other". Addition and division are never among them (they are unseen *test*
    types, not negatives); subtraction and powers are, unless `trained` holds subtraction or power_mod (`_asks`).

    Raises:
        ValueError: unknown split or negative `n`.
    """
    check_split(split)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    dice = Dice(rng)
    out = []
    for _ in range(n):
        roll, kind = dice.uniform(), "negative-math"
        edge = 0.0
        for name, share in NEGATIVE_KINDS.items():
            edge += share
            if roll < edge:
                kind = name
                break
        options = negatives_by_kind(kind, split)
        if trained:
            options = tuple(f for f in options if not asks(f.template) & set(trained)) or options
        if kind == "negative-math":
            roll, edge, group = dice.uniform(), 0.0, None
            for name_, share in MATH_NEGATIVE_GROUPS.items():
                edge += share
                if roll < edge:
                    group = name_
                    break
            special = [g for g in MATH_NEGATIVE_GROUPS if g is not None]
            chosen = tuple(f for f in options if f.group == group or (group is None and f.group not in special))
            options = chosen or options
        out.append(_negative(_pick(options, dice), dice))
    return out


def families(problem_type: str, split: str) -> list[str]:
    """The family ids of `problem_type` (or `NEGATIVE`) in `split`, in a stable order.

    Raises:
        ValueError: unknown split or problem type.
    """
    check_split(split)
    if problem_type not in ALL_TYPES and problem_type != NEGATIVE:
        raise ValueError(f"unknown problem type {problem_type!r} (known: {', '.join(ALL_TYPES)}, {NEGATIVE})")
    return [f.id for f in by_split(problem_type, split)]


def heldout_family(family: str) -> bool:
    """Whether `family` belongs to the held-out wording split.

    Raises:
        ValueError: `family` is not a known family id.
    """
    if family in all_families("train"):
        return False
    if "-h" in family and family in all_families("heldout"):
        return True
    raise ValueError(f"unknown wording family {family!r}")
