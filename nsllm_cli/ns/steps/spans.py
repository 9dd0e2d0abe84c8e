"""Where the question sits in a prompt, and which of its tokens are which digits of which operand.

The neurosymbolic reader looks at every token of the last user turn, not at the last prompt token
alone: operands can sit anywhere in a question, and a read that depends on where a known template puts
them does not survive a new wording. This module finds that span from the chat template's own user
header (no question parsing), and, for training only, turns a `Wording`'s character spans into token
labels (the digit of each digit token and the role of each number).

Example:
    >>> header = user_header_ids(tok)                     # doctest: +SKIP
    >>> start = query_start(prompt_ids, header)           # first token after the last user header
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

NOT_DIGIT = 10
"""Digit label of a token that is not a single decimal digit."""
ROLES = ("x", "y", "other", "m")
"""Role labels of a number: the first operand, the second, any other number (a date, the 2 of "x^2"...), or the
modulus the result is reduced by ("x times y mod 1000"). "m" comes last so that gathers labelled before it keep
their indices (they call every modulus "other"; `train` refuses them)."""
NO_ROLE = -100


def user_header_ids(tok: Any) -> list[int]:
    """Token ids that open a user turn in `tok`'s chat template (``<|im_start|>user`` for ChatML).

    Found by rendering a two-turn conversation and taking what stands between the first assistant
    answer's end-of-turn and the second user message, so it works for any template. Empty when the
    tokenizer has no chat template (the whole prompt is then the question).
    """
    if not getattr(tok, "chat_template", None):
        return []
    messages = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "Q1"},
        {"role": "assistant", "content": "A1"},
        {"role": "user", "content": "Q2QQ"},
    ]
    try:
        text = str(tok.apply_chat_template(messages, tokenize=False))
    except Exception:  # noqa: BLE001 - templates that refuse a system turn or alternation: no header
        return []
    between = text[text.index("A1") + 2 : text.index("Q2QQ")]
    eos = tok.eos_token if isinstance(tok.eos_token, str) else ""
    if eos and eos in between:
        between = between[between.index(eos) + len(eos) :]
    header = between.strip()
    return list(tok(header, add_special_tokens=False).input_ids) if header else []


def template_tail(tok: Any) -> int:
    """How many tokens the chat template puts after the user's text when it asks for an answer (the end of the user
    turn and the assistant header: 5 for ChatML). They carry no words of the question (0 without a template)."""
    if not getattr(tok, "chat_template", None):
        return 0
    marker = "QQQ"
    try:
        text = str(tok.apply_chat_template([{"role": "user", "content": marker}], add_generation_prompt=True,
                                           tokenize=False))  # fmt: skip
    except Exception:  # noqa: BLE001 - a template that refuses a lone user turn: no tail known
        return 0
    tail = text[text.rindex(marker) + len(marker) :]
    return len(tok(tail, add_special_tokens=False).input_ids) if tail else 0


def query_start(ids: Sequence[int], header: Sequence[int]) -> int:
    """Index of the first token after the last occurrence of `header` in `ids` (0 when absent)."""
    n = len(header)
    if n == 0:
        return 0
    ids = list(ids)
    for i in range(len(ids) - n, -1, -1):
        if ids[i : i + n] == list(header):
            return i + n
    return 0


def digit_of(tok: Any, token_id: int) -> int:
    """0-9 for a token that is exactly one ASCII digit, else `NOT_DIGIT` (a training label).

    Not `str.isdigit`: byte-level BPE spells the byte 0xB2 as the character '²' (so the second byte of 'ò' or of
    '²' itself is a token '²'), which `isdigit` accepts and `int` refuses."""
    text = tok.convert_ids_to_tokens(int(token_id))
    return int(text) if isinstance(text, str) and len(text) == 1 and "0" <= text <= "9" else NOT_DIGIT


def minus_token_ids(tok: Any) -> list[int]:
    """The ids of the tokens that end in a minus sign and hold no letter or digit ("-", " -", "(-", "^-"): before a
    number, and not right after a digit ("12-5" is a subtraction), they make it negative."""
    import re

    out = []
    for i in range(len(tok)):
        text = tok.convert_ids_to_tokens(i)
        if isinstance(text, str) and re.fullmatch(r"[^\w]*-", text.replace("Ġ", " ").replace("▁", " ")):
            out.append(i)
    return out


def digit_token_ids(tok: Any) -> list[int]:
    """The ids of the vocabulary's one-digit tokens ('0'..'9'): the only tokens a reader may read as digits."""
    return [i for i in range(len(tok)) if digit_of(tok, i) != NOT_DIGIT]


def number_groups(digits: torch.Tensor, mask: torch.Tensor) -> list[list[list[int]]]:
    """Per item, the runs of consecutive digit positions: ``[[[t0, t1, t2], [t5, t6]], ...]``.

    `digits` (B, T) holds 0-9 or `NOT_DIGIT`; positions outside `mask` never join a run.
    """
    out: list[list[list[int]]] = []
    is_digit = (digits != NOT_DIGIT) & mask.bool()
    for row in is_digit.tolist():
        runs: list[list[int]] = []
        current: list[int] = []
        for t, flag in enumerate(row):
            if flag:
                current.append(t)
            elif current:
                runs.append(current)
                current = []
        if current:
            runs.append(current)
        out.append(runs)
    return out


def token_labels(
    tok: Any, prompt: str, ids: Sequence[int], start: int, question: str, spans: Sequence[tuple[int, int, str]]
) -> tuple[list[int], list[int]]:
    """Training labels for the tokens ``ids[start:]`` of `prompt`: (digit per token, role per token).

    The question is located as the last occurrence of its text in the prompt; a token inside one of its
    number spans gets that span's role (index into `ROLES`), every other token `NO_ROLE`.
    """
    enc = tok(prompt, add_special_tokens=False, return_offsets_mapping=True)
    if list(enc.input_ids) != list(ids):
        raise ValueError("the prompt does not tokenize to the given ids")
    base = prompt.rfind(question)
    char_roles: dict[int, int] = {}
    if base >= 0:
        for a, b, role in spans:
            for c in range(base + a, base + b):
                char_roles[c] = ROLES.index(role)
    digits, roles = [], []
    for token_id, (a, b) in zip(ids[start:], enc.offset_mapping[start:], strict=True):
        digits.append(digit_of(tok, token_id))
        hit = {char_roles[c] for c in range(a, b) if c in char_roles}
        roles.append(hit.pop() if len(hit) == 1 else NO_ROLE)
    return digits, roles
