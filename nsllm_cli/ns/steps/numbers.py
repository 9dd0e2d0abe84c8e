"""Which number of a question is which: the operands x and y, the modulus, and whether a number is negative.

The reader's role head gives each number a probability per role (`spans.ROLES`); these rules turn them into a
decision, and look at the tokens before a number for its sign. Kept apart from the reader's network so that they can
be read and tested alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from nsllm_cli.ns.steps.spans import NOT_DIGIT, ROLES

MODULUS_MIN = 0.5
"""A number other than the operands is the modulus when its role "m" is read with this probability."""


def assign_roles(role_p: torch.Tensor) -> tuple[int, int] | None:
    """The numbers (indices) read as x and y: the pair of distinct numbers with the highest P(x)·P(y), so that two
    numbers always get the two roles (the sentence decides which is which); None with fewer than two numbers."""
    n = int(role_p.shape[0])
    if n < 2:
        return None
    score = role_p[:, 0].unsqueeze(1) * role_p[:, 1].unsqueeze(0)
    score.fill_diagonal_(-1.0)
    flat = int(score.argmax())
    return flat // n, flat % n


def pick_modulus(role_p: torch.Tensor, values: Sequence[int], taken: tuple[int, int] | None) -> int | None:
    """The number read as the modulus: of the numbers that are not the operands, the one most likely "m" if its
    probability is at least `MODULUS_MIN`; None where none is."""
    m_role = ROLES.index("m")
    best: tuple[float, int] | None = None
    for k, value in enumerate(values):
        if taken is not None and k in taken:
            continue
        p = float(role_p[k, m_role])
        if p >= MODULUS_MIN and (best is None or p > best[0]):
            best = (p, value)
    return best[1] if best is not None else None


def is_negative(run: Sequence[int], minus: torch.Tensor, digits: torch.Tensor) -> bool:
    """Whether the number whose digit tokens are `run` has a minus sign: the token before it is a minus (`minus`, per
    token) that does not follow a digit ("12-5" subtracts; "-5", "x = -5", "2^-3" and "(-12)" are negative)."""
    k = run[0] - 1
    if k < 0 or k >= int(minus.shape[0]) or not bool(minus[k]):
        return False
    return k == 0 or int(digits[k - 1]) == NOT_DIGIT
