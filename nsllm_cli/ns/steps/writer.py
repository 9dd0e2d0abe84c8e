"""The write side for digit-by-digit tokenizers: one HRR step code per answer token, decoded into the stream.

The paper writes one vector at the last prompt token, which on Llama-3 decides one answer token (every
integer up to 999 is one token). SmolLM2 and most small models spell numbers one digit per token, so the
answer is several tokens, and a linear decoder applied to the same vector at every step cannot choose
"digit k at step k": that choice is an unbinding, which is bilinear. Here the symbolic step does the
unbinding: at answer step k the digit c of slot i (the k-th digit from the left) is ``cleanup(enc(r) ⊛ D_i⁻¹)``,
written as the dense code ``X^(c+1)`` (see `DIGIT_SHIFT`), and after the last digit the end code ``X^11`` asks for
the end-of-turn token. `StepWriter` maps a code into the residual stream; its output
is *added* to the block input (no halving of h).

Example:
    >>> codes, lengths = step_codes(vsa, torch.tensor([306, 7]), steps=6)   # (2, 6, 2048), [4, 2]
    >>> delta = StepWriter(vsa.dim, d_model=576)(codes)                    # (2, 6, 576)
"""

from __future__ import annotations

import torch
from torch import nn

from nsllm_cli.ns.vsa import VSA

DIGIT_SHIFT = 1
"""Digit c is written from the code ``X^(c+1)``, not the codebook's ``X^c``: ``X^0`` is the identity δ, all of its
mass on one coordinate, and a linear decoder trained with Adam moves its output for δ some 45 times slower than for
a dense code (each weight moves by about the learning rate whatever its gradient). Measured on `make demo`: the
writer wrote "1" for a result of 0 and "299" for 290. The powers ``X^1..X^10`` are all dense unit vectors."""
END_POWER = 11
"""The end code is ``X^11``: quasi-orthogonal to the digit codes X^1..X^10."""
MINUS_POWER = 12
"""A negative result opens with the minus code ``X^12`` (the tokenizer spells "-47" as "-", "4", "7")."""


def minus_code(vsa: VSA) -> torch.Tensor:
    """``X^12``, the code of a negative result's sign step."""
    return vsa.power(vsa.X.double(), MINUS_POWER).float()


def end_code(vsa: VSA) -> torch.Tensor:
    """``X^11``, the code of the end-of-turn step."""
    return vsa.power(vsa.X.double(), END_POWER).float()


def digit_codes(vsa: VSA) -> torch.Tensor:
    """(10, dim): the code written for each digit 0-9, ``X^(c+1)``."""
    x = vsa.X.double()
    return torch.stack([vsa.power(x, c + DIGIT_SHIFT) for c in range(10)]).float()


def answer_digits(vsa: VSA, result: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Digits of each result read back from its HRR code by unbinding every slot: (B, S) and the length.

    The length is the position of the highest non-zero slot + 1 (at least 1, so 0 is one digit).
    """
    code = vsa.encode_number(result.long())  # (B, dim)
    digits = vsa.decode_digits(code, threshold=0.0)  # unbind D_i, clean up against X^0..X^9
    nonzero = digits != 0
    idx = torch.arange(vsa.max_digits, device=digits.device).expand_as(digits)
    length = torch.where(nonzero, idx + 1, torch.zeros_like(idx)).amax(-1).clamp_min(1)
    return digits, length


def step_codes(vsa: VSA, result: torch.Tensor, *, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, steps, dim) codes and (B,) lengths: the minus code for a negative result, the digits of its magnitude from
    the left, then the end code.

    Steps past the end are zero (nothing is written there).
    """
    negative = result < 0
    digits, length = answer_digits(vsa, result.abs())
    book = digit_codes(vsa).to(result.device)
    end = end_code(vsa).to(result.device)
    minus = minus_code(vsa).to(result.device)
    out = torch.zeros((result.shape[0], steps, vsa.dim), device=result.device)
    for b in range(result.shape[0]):
        sign = int(negative[b])
        if sign and steps:
            out[b, 0] = minus
        n = int(length[b])
        for k in range(min(n, steps - sign)):
            out[b, sign + k] = book[int(digits[b, n - 1 - k])]
        if sign + n < steps:
            out[b, sign + n] = end
    return out, (length + negative.long() + 1).clamp_max(steps)


class StepWriter(nn.Module):
    """``Dec_W: R^dim → R^d``, bias-free, zero at the start (so an untrained writer changes nothing)."""

    def __init__(self, dim: int, d_model: int) -> None:
        super().__init__()
        self.decoder = nn.Linear(dim, d_model, bias=False)
        nn.init.zeros_(self.decoder.weight)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.decoder(codes.to(self.decoder.weight.dtype))
        return out
