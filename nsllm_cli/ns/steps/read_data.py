"""Training prompts for the reader and the writer: many wordings, two prompt shapes, and negatives.

The reader must work on questions as users ask them, so its data mixes:
- **formats**: the paper's 2-shot chat (`two-shot`), the plain chat that `nsllm chat` and `nsllm serve`
  send (`chat`: the question alone, the template's default system prompt), and a multi-turn chat whose
  last turn is the question (`multi`: an earlier math exchange, so the reader learns to read the *last*
  turn);
- **wordings**: the paper's wording and the composable paraphrases of `wordings` (train families only;
  the held-out families are kept for evaluation);
- **negatives** (type *none*): non-math, numeric non-math and other-math prompts, in the chat format and
  after a 2-shot math context. Addition and division are never negatives: they stay unseen.

Example:
    >>> items = reader_items(n_pos=2000, n_neg=800, seed=0, split="train")
    >>> data = gather_reader_data(model, tok, items, read_layers=[3, 6])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from nsllm_cli.events import Event
from nsllm_cli.ns.problems import COMMUTATIVE, TRAIN_TYPES, Problem, make_problem
from nsllm_cli.ns.prompts import few_shot_examples, messages_for, render_prompt
from nsllm_cli.ns.steps.reader import ReaderData
from nsllm_cli.ns.steps.spans import query_start, token_labels, user_header_ids

FORMATS = ("two-shot", "chat", "multi")


@dataclass
class ReadItem:
    """One prompt with its labels: `problem_type` None for a negative."""

    messages: list[dict[str, str]]
    question: str
    spans: tuple[tuple[int, int, str], ...]
    problem_type: str | None
    x: int | None
    y: int | None
    solution: int | None
    fmt: str
    family: str
    kind: str
    modulus: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def problem_item(problem: Problem, fmt: str, wording: Any | None, *, seed: int, complexity: int = 2) -> ReadItem:
    """A positive item: the problem in `wording` (None: the paper's wording) and format `fmt`."""
    if wording is None:
        text = problem.question
        xs, ys = str(problem.x), str(problem.y)
        spans = _paper_spans(text, xs, ys, str(problem.modulus) if problem.modulus else None)
        family, kind = f"{problem.problem_type}/paper", "question"
    else:
        text, spans, family, kind = wording.text, tuple(wording.spans), wording.family, wording.kind
    shots: list[tuple[str, int]] = []
    if fmt in ("two-shot", "multi"):
        shots = few_shot_examples(problem, seed=seed, complexity=complexity, k=2 if fmt == "two-shot" else 1)
    x, y = problem.x, problem.y
    if problem.problem_type in COMMUTATIVE:
        spans, x, y = _by_position(text, spans)
    return ReadItem(
        messages_for(text, fmt, shots=shots),
        text,
        spans,
        problem.problem_type,
        x,
        y,
        problem.solution,
        fmt,
        family,
        kind,
        problem.modulus,
    )


def _paper_spans(text: str, xs: str, ys: str, ms: str | None = None) -> tuple[tuple[int, int, str], ...]:
    """Number spans of a paper-wording question (training labels): the first run equal to x is x, the next
    run equal to y after it is y, then the modulus `ms` (the 1000 of "mod 1000") is m; every other run (the 2 of
    ``^2``) is other."""
    import re

    out = []
    want = [("x", xs), ("y", ys), *([("m", ms)] if ms else [])]
    for m in re.finditer(r"\d+", text):
        if want and m.group() == want[0][1]:
            out.append((m.start(), m.end(), want.pop(0)[0]))
        else:
            out.append((m.start(), m.end(), "other"))
    return tuple(out)


def _by_position(
    text: str, spans: tuple[tuple[int, int, str], ...]
) -> tuple[tuple[tuple[int, int, str], ...], int, int]:
    """For a commutative operation, x is the operand written first: the order carries no meaning, and a
    role read from one number's own hidden states cannot know which of two numbers is the larger."""
    operands = sorted((a, b) for a, b, role in spans if role in ("x", "y"))
    if len(operands) != 2:
        return spans, 0, 0
    first, second = operands
    relabel = {first: "x", second: "y"}
    new = tuple((a, b, relabel.get((a, b), role)) for a, b, role in spans)
    return new, int(text[first[0] : first[1]]), int(text[second[0] : second[1]])


def negative_item(wording: Any, fmt: str, rng: np.random.Generator, *, seed: int, complexity: int = 2) -> ReadItem:
    """A negative (type *none*): alone in the chat format, or after math exchanges (two-shot, multi)."""
    shots: list[tuple[str, int]] = []
    if fmt != "chat":
        t = TRAIN_TYPES[int(rng.integers(len(TRAIN_TYPES)))]
        x, y = sorted((int(v) for v in rng.integers(1, 10 ** (complexity + 1), size=2)), reverse=True)
        anchor = make_problem(t, x, y, complexity=complexity)
        shots = few_shot_examples(anchor, seed=seed, complexity=complexity, k=2 if fmt == "two-shot" else 1)
    return ReadItem(
        messages_for(wording.text, fmt, shots=shots),
        wording.text,
        tuple(wording.spans),
        None,
        None,
        None,
        None,
        fmt,
        wording.family,
        wording.kind,
    )


def reader_items(
    *,
    n_pos: int,
    n_neg: int,
    seed: int,
    split: str = "train",
    complexity: int = 2,
    exclude: frozenset[tuple[str, int, int]] = frozenset(),
    paper_share: float = 0.35,
    formats: Sequence[str] = FORMATS,
    n_unseen: int = 0,
    types: Sequence[str] = TRAIN_TYPES,
) -> list[ReadItem]:
    """`n_pos` questions of the trained `types` and `n_neg` negatives, wordings from `split` families.

    Positives: multiplication and lcm half without a modulus, half with one (the paper's or another, `mixed_moduli`),
    so that the reader learns the modulus as a role of its own. A third in the paper's wording (half of them in the
    paper's two-shot format, half in any format:
    "What is 84 mod 5?" is also how people type it into a chat, and the minimal-pair negatives share that frame
    there), the rest paraphrased, formats drawn evenly. Operands
    come from `sampling.training_problems` (digit counts drawn evenly, some results of 0, both orders where order
    matters), fresh per split seed and never in `exclude` (e.g. the bench's test questions). `n_unseen` adds
    questions of the types not in `types` (with the paper's operations: addition, division) for evaluation splits:
    they measure the gate on operations never trained, and are never training data.
    """
    from nsllm_cli.ns import wordings
    from nsllm_cli.ns.problems import unseen_of
    from nsllm_cli.ns.sampling import training_problems

    rng = np.random.default_rng([seed, 7, len(split)])
    per_type = -(-n_pos // len(types))
    problems = training_problems(
        per_type, seed=int(rng.integers(2**31)), complexity=complexity, types=types, exclude=exclude,
        mixed_moduli=True,
    )  # fmt: skip
    order = rng.permutation(len(problems))[:n_pos]
    chosen = [problems[int(i)] for i in order]
    unseen_types = unseen_of(types)
    if n_unseen and unseen_types:
        unseen = training_problems(
            -(-n_unseen // len(unseen_types)), seed=int(rng.integers(2**31)), complexity=complexity,
            types=unseen_types, exclude=exclude, mixed_moduli=True,
        )  # fmt: skip
        chosen += [unseen[int(i)] for i in rng.permutation(len(unseen))[:n_unseen]]
    items = []
    for p in chosen:
        if split == "train" and rng.random() < paper_share:
            fmt = "two-shot" if rng.random() < 0.5 else formats[int(rng.integers(len(formats)))]
            items.append(problem_item(p, fmt, None, seed=seed, complexity=complexity))
            continue
        fmt = formats[int(rng.integers(len(formats)))]
        wording = wordings.phrase(p, rng, split=split, complexity=complexity)
        items.append(problem_item(p, fmt, wording, seed=seed, complexity=complexity))
    for wording in wordings.negatives(n_neg, rng, split=split, trained=types):
        fmt = ("chat", "chat", "two-shot", "multi")[int(rng.integers(4))]
        items.append(negative_item(wording, fmt, rng, seed=seed, complexity=complexity))
    return items


def type_label(problem_type: str | None, types: Sequence[str]) -> int:
    """The stored type label: the index of a trained type, `len(types)` for a negative (the *none* class) and
    `len(types) + 1` for a question of an operation the reader is not trained on (evaluation splits only)."""
    if problem_type is None:
        return len(types)
    return types.index(problem_type) if problem_type in types else len(types) + 1


def gather_reader_data(
    model: Any,
    tok: Any,
    items: Sequence[ReadItem],
    *,
    read_layers: Sequence[int],
    types: Sequence[str] = TRAIN_TYPES,
    batch_size: int = 16,
    on_event: Event | None = None,
) -> ReaderData:
    """Run each prompt up to the highest read layer and keep the question tokens' block inputs + labels."""
    from nsllm_cli.ns.prefill import prefill_states

    header = user_header_ids(tok)
    feats, offsets, digits, roles = [], [0], [], []
    types_out, xs, ys = [], [], []
    for b in range(0, len(items), batch_size):
        chunk = items[b : b + batch_size]
        prompts = [render_prompt(tok, it.messages) for it in chunk]
        states, ids_list = prefill_states(model, tok, prompts, read_layers)
        for i, (it, prompt, ids) in enumerate(zip(chunk, prompts, ids_list, strict=True)):
            start = query_start(ids, header)
            pad = states[read_layers[0]].shape[1] - len(ids)
            f = torch.cat([states[layer][i, pad + start :] for layer in read_layers], dim=-1)
            d, r = token_labels(tok, prompt, ids, start, it.question, it.spans)
            feats.append(f.half())
            offsets.append(offsets[-1] + f.shape[0])
            digits += d
            roles += r
            types_out.append(type_label(it.problem_type, types))
            xs.append(it.x or 0)
            ys.append(it.y or 0)
        if on_event is not None:
            on_event("progress", {"done": min(b + batch_size, len(items)), "total": len(items)})
    return ReaderData(
        torch.cat(feats),
        torch.tensor(offsets),
        torch.tensor(digits, dtype=torch.int8),
        torch.tensor(roles, dtype=torch.int16),
        torch.tensor(types_out),
        torch.tensor(xs),
        torch.tensor(ys),
    )
