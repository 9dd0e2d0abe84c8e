"""Which trainable operation a negative template may ask for, so that a run that trains it does not learn it as *none*.

The "other maths" negatives hold subtraction ("What is 12 minus 5?") and powers ("Compute 3**4.") because the
paper's runs train neither. A run that trains subtraction or power modulo (`--ops all`) must not be taught that the
same questions are no operation at all: `negatives` leaves out the templates tagged with a trained operation. The
tags err on the side of tagging (any minus, difference, "left", any power or exponent): a negative left out costs
little, a contradiction in the labels costs the gate.
"""

from __future__ import annotations

import functools
import re

ASKS: dict[str, re.Pattern[str]] = {
    "subtraction": re.compile(
        r"\bminus\b|subtract|\btake away\b|\btaken away\b|\bless\b|difference|\bdiff\b|\bsub\b|deduct|\bhow many more\b"
        r"|\bhow much (?:longer|more|shorter)\b|\bleft\b|\bremain|\bfewer\b|\bgone\b|\s-\s|\}-\{|\}\s*-|−",
        re.IGNORECASE,
    ),
    "power_mod": re.compile(r"power|\*\*|\bpow\b|exponent|\braise|\bcube|\^", re.IGNORECASE),
}
"""Per operation beyond the paper's that a run may train, the words that may ask it."""


@functools.cache
def asks(template: str) -> frozenset[str]:
    """The trainable operations `template` (a negative) may be asking for; empty for most negatives."""
    return frozenset(op for op, pattern in ASKS.items() if pattern.search(template))
