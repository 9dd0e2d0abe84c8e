"""Filling a template: blocked uniform draws, slot filling with operand marks, and the digit spans of a text.

Example:
    >>> text, marks = fill("gcd({x}, {y}) = ?", {"x": "120", "y": "84"}, Dice(np.random.default_rng(0)))
    >>> text, spans(text, marks)
    ('gcd(120, 84) = ?', ((4, 7, 'x'), (9, 11, 'y')))
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from nsllm_cli.ns.wordings._slots import POOLS, RANGES

_SLOT_RE = re.compile(r"\{([a-z_]+?)(\d*)\}")
_MOD = r"(?:mod(?:ulo)?|MOD|%)"
_MODULUS_CLAUSES = (
    # a sentence of its own that only asks for the reduction: " Give it mod {m}.", " Answer modulo {m}."
    re.compile(
        r"\s*(?:Give|Report|Answer|State|Reduce|I only need)(?:\s+(?:it|me|the answer|the result))?\s+"
        + _MOD
        + r"\s*\{m\}[.?!]"
    ),
    re.compile(r"\s*\((?:mod|MOD)\s*\{m\}\)"),  # " (mod {m})"
    re.compile(r"[,;]?\s*and give (?:the result|the answer|it) " + _MOD + r"\s*\{m\}"),
    # a trailing clause: ", modulo {m}", " and reduced mod {m}"; "what is the result mod {m}" keeps "what is the result"
    re.compile(
        r"[,;]?\s*(?:(?:and|then|but|only|with the result|give me|take it|reduce it|reduced|taken|it)\s+)*"
        + _MOD
        + r"\s*\{m\}"
    ),
)
_LEFTOVER = re.compile(r"\{m\}|\bmod(?:ulo)?\b|%|\bremainder\b|\breduce", re.IGNORECASE)
_DIGITS_RE = re.compile(r"[0-9]+")


class Dice:
    """Uniform draws from `rng` in blocks (one generator call per block keeps 10 000 wordings fast)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._u: list[float] = []

    def uniform(self) -> float:
        if not self._u:
            self._u = _block(self._rng)
        return self._u.pop()

    def chance(self, p: float) -> bool:
        return self.uniform() < p

    def pick(self, seq: Sequence[str]) -> str:
        return seq[min(int(self.uniform() * len(seq)), len(seq) - 1)]

    def integer(self, lo: int, hi: int) -> int:
        """Uniform in ``[lo, hi]``."""
        return lo + min(int(self.uniform() * (hi - lo + 1)), hi - lo)


def number(dice: Dice, max_digits: int) -> int:
    """A positive integer whose digit count is uniform over 1..max_digits (then uniform within that length): one-
    and two-digit numbers are as common as three-digit ones, not 1% and 9% as in a uniform draw over 1..999."""
    length = dice.integer(1, max_digits)
    return dice.integer(1 if length == 1 else 10 ** (length - 1), 10**length - 1)


def _block(rng: np.random.Generator) -> list[float]:
    """16 uniforms, reversed so that `pop` hands them out in draw order."""
    block: list[float] = rng.random(16).tolist()
    block.reverse()
    return block


def fill(template: str, values: dict[str, str], dice: Dice) -> tuple[str, dict[str, tuple[int, int]]]:
    """Fill every slot of `template`; return the text and the char span of the first {x}, {y} and {m}.

    Slots missing from `values` are drawn from `POOLS`/`RANGES` and remembered, so a repeated slot repeats.
    """
    parts: list[str] = []
    marks: dict[str, tuple[int, int]] = {}
    pos = last = 0
    for match in _SLOT_RE.finditer(template):
        literal = template[last : match.start()]
        parts.append(literal)
        pos += len(literal)
        key = match.group(1) + match.group(2)
        value = values.get(key)
        if value is None:
            source = match.group(1)
            if source == "num":
                value = str(number(dice, 3))
            elif source in POOLS:
                value = dice.pick(POOLS[source])
            else:
                lo, hi = RANGES[source]
                value = str(dice.integer(lo, hi))
            values[key] = value
        if key in ("x", "y", "m") and key not in marks:
            marks[key] = (pos, pos + len(value))
        parts.append(value)
        pos += len(value)
        last = match.end()
    parts.append(template[last:])
    return "".join(parts), marks


def spans(text: str, marks: Mapping[str, tuple[int, int]]) -> tuple[tuple[int, int, str], ...]:
    """Every digit run of `text`, tagged "x"/"y"/"m" where it is exactly the marked operand or modulus, else "other"."""
    where = {span: role for role, span in marks.items()}
    found = tuple((m.start(), m.end(), where.get((m.start(), m.end()), "other")) for m in _DIGITS_RE.finditer(text))
    if sum(role != "other" for _, _, role in found) != len(marks):
        raise RuntimeError(f"an operand touches other digits in {text!r} (a template bug)")
    return found


def without_modulus(template: str) -> str | None:
    """The template asked exactly: its modulus clause taken out ("the product of {x} and {y}, modulo {m}" → "the
    product of {x} and {y}"); None where no clause pattern takes it out cleanly (then the template has no exact form).
    """
    text = template
    for pattern in _MODULUS_CLAUSES:
        text = pattern.sub("", text)
    text = text.strip()
    return None if _LEFTOVER.search(text) or not text else text


def join(*pieces: str) -> str:
    """The non-empty pieces, joined by single spaces."""
    return " ".join(p for p in pieces if p)
