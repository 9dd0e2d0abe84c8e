"""The NS gate on questions that no operation of the run answers: it must stay shut there.

A run that trains every operation (`--ops all`) leaves no unseen operation for `bench math` to measure its gate on;
the "other maths" questions are what remain: averages, percentages, roots, NAND, "how many more to fill a box"...
(`wordings.negatives` of the kind negative-math, without those that may ask one of the run's operations). Only the
gate is measured (one prefill per prompt, nothing generated): an open gate there writes a number with certainty
where the plain model would have answered.

Example:
    >>> items = negative_prompts(100, seed=0, prompt="chat", split="heldout", trained=ns.types)
    >>> gate_on_negatives(model, tok, ns, items)["open_rate"]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

MATH_KIND = "negative-math"


@dataclass(frozen=True)
class NegativePrompt:
    """One other-maths question, its wording family and the chat that asks it."""

    text: str
    family: str
    messages: list[dict[str, str]]


def negative_prompts(
    n: int, *, seed: int, prompt: str, split: str, trained: Sequence[str] = ()
) -> list[NegativePrompt]:
    """`n` other-maths questions from the `split` wording families, alone in the chat format (`prompt="chat"`) or
    after the paper's two solved examples (`"two-shot"`); none that may ask an operation in `trained`."""
    from nsllm_cli.ns.problems import make_problem
    from nsllm_cli.ns.prompts import few_shot_examples, messages_for
    from nsllm_cli.ns.wordings import negatives

    rng = np.random.default_rng([seed, 211])
    out: list[NegativePrompt] = []
    shots = few_shot_examples(make_problem("gcd", 120, 84), seed=seed) if prompt == "two-shot" else []
    fmt = "chat" if prompt == "chat" else "two-shot"
    for _ in range(20):  # negatives() mixes kinds: draw until n of the other-maths kind
        for w in negatives(4 * n, rng, split=split, trained=trained):
            if w.kind == MATH_KIND and len(out) < n:
                out.append(NegativePrompt(w.text, w.family, messages_for(w.text, fmt, shots=shots)))
        if len(out) >= n:
            break
    return out


def gate_on_negatives(
    model: Any, tok: Any, ns: Any, items: Sequence[NegativePrompt], *, batch_size: int = 16
) -> dict[str, Any]:
    """How often the NS hook opened its gate on `items`: n, open, open_rate and the opened questions (text,
    family, what it read)."""
    from nsllm_cli.ns.injection import attach
    from nsllm_cli.ns.prompts import render_prompt

    opened: list[dict[str, Any]] = []
    side = tok.padding_side
    tok.padding_side = "left"
    try:
        for b in range(0, len(items), batch_size):
            chunk = items[b : b + batch_size]
            enc = tok([render_prompt(tok, it.messages) for it in chunk], return_tensors="pt", padding=True,
                      add_special_tokens=False).to(model.device)  # fmt: skip
            with torch.no_grad(), attach(model, ns):
                model(**enc)
            last: Any = getattr(ns, "last", None)
            gate = getattr(last, "gate", None)
            if gate is None:
                continue
            for k, it in enumerate(chunk):
                if bool(gate[k]):
                    types = getattr(ns, "types", None) or ns.vsa.types
                    read = last.item(k, types) if hasattr(last, "item") else {}
                    opened.append({"question": it.text, "family": it.family, "read": read})
    finally:
        tok.padding_side = side
    return {
        "n": len(items),
        "open": len(opened),
        "open_rate": len(opened) / len(items) if items else 0.0,
        "opened": opened,
    }
