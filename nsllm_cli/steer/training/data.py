"""The training data of the steering model: JSONL checks, the seeded eval split and the SFT assistant mask.

Everything here runs before any model is loaded (only the tokenizer is needed for the mask), so a bad dataset is a
one-line `DataError` in seconds. Bad lines are reported with their line numbers and skipped.

Assistant mask (codesteer.md section 9). SmolLM2's chat template has no `{% generation %}` markers, so trl's
`assistant_only_loss` cannot be used with it. nsllm renders the conversation with the model's own template, cuts it
at every assistant turn (the template must render turn by turn: every prefix of the conversation renders to a prefix
of the whole), tokenises the pieces and sets labels on the assistant turns only: their content and the end-of-turn
token (`<|im_end|>`), not the newline the template puts after it nor the `<|im_start|>assistant` header.

Example:
    >>> check = validate_dataset("sft", Path("sft.jsonl"))  # doctest: +SKIP
    >>> train, held_out = split_records(check.records, 0.1, seed=0)  # doctest: +SKIP
    >>> ids, mask = sft_features(tokenizer, train[0]["messages"])  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nsllm_cli.artifacts import sha256_file
from nsllm_cli.errors import DataError
from nsllm_cli.steer.training.presets import Stage

log = logging.getLogger(__name__)

ROLES = ("system", "user", "assistant")
MAX_REASONS = 3
"""Bad lines named in a DataError message (all of them go to the log and the report)."""


@dataclass
class DatasetCheck:
    """The usable records of a JSONL dataset and the lines that were skipped."""

    path: Path
    stage: Stage
    records: list[dict[str, Any]]
    """Cleaned records: {"messages"} for SFT, {"prompt", "chosen", "rejected"} for DPO."""
    bad: list[tuple[int, str]]
    """(line number, reason) of every skipped line."""
    lines: int
    sha256: str


def validate_dataset(stage: Stage, path: Path) -> DatasetCheck:
    """Read and check an SFT or DPO JSONL file without importing anything heavy.

    Raises:
        DataError: the file is missing, empty, or has no usable record (one line naming the first bad lines).
    """
    if not path.is_file():
        raise DataError(f"{path}: dataset file not found")
    records: list[dict[str, Any]] = []
    bad: list[tuple[int, str]] = []
    lines = 0
    check = _check_sft if stage == "sft" else _check_dpo
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            text = raw.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            lines += 1
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                bad.append((lineno, f"not JSON ({exc.msg})"))
                continue
            if not isinstance(obj, dict):
                bad.append((lineno, "not a JSON object"))
                continue
            try:
                records.append(check(obj))
            except ValueError as exc:
                bad.append((lineno, str(exc)))
    for lineno, reason in bad:
        log.warning("%s:%d: skipped: %s", path, lineno, reason)
    if lines == 0:
        raise DataError(f"{path}: empty dataset (no records)")
    if not records:
        named = "; ".join(f"line {n}: {r}" for n, r in bad[:MAX_REASONS])
        more = f"; and {len(bad) - MAX_REASONS} more" if len(bad) > MAX_REASONS else ""
        raise DataError(f"{path}: no usable {stage.upper()} record in {lines} line(s) ({named}{more})")
    return DatasetCheck(path, stage, records, bad, lines, sha256_file(path))


def _messages(value: Any, key: str, roles: tuple[str, ...] = ROLES) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{key!r} must be a non-empty list of messages")
    out = []
    for i, m in enumerate(value):
        if not isinstance(m, dict) or m.get("role") not in roles or not isinstance(m.get("content"), str):
            raise ValueError(f"{key}[{i}] must be {{'role': {'|'.join(roles)}, 'content': <string>}}")
        out.append({"role": str(m["role"]), "content": str(m["content"])})
    return out


def _check_sft(obj: dict[str, Any]) -> dict[str, Any]:
    if "messages" not in obj:
        raise ValueError("no 'messages' field")
    messages = _messages(obj["messages"], "messages")
    roles = [m["role"] for m in messages]
    if not any(m["role"] == "assistant" and m["content"].strip() for m in messages):
        raise ValueError("no assistant turn with content")
    if "user" not in roles or roles.index("user") > roles.index("assistant"):
        raise ValueError("the first assistant turn comes before any user turn")
    return {"messages": messages}


def _check_dpo(obj: dict[str, Any]) -> dict[str, Any]:
    missing = [k for k in ("prompt", "chosen", "rejected") if k not in obj]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    prompt = _messages(obj["prompt"], "prompt")
    if prompt[-1]["role"] != "user":
        raise ValueError("'prompt' must end with a user turn")
    chosen = _messages(obj["chosen"], "chosen", ("assistant",))
    rejected = _messages(obj["rejected"], "rejected", ("assistant",))
    if chosen == rejected:
        raise ValueError("'chosen' equals 'rejected'")
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected}


def split_records(
    records: list[dict[str, Any]], fraction: float, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A seeded (train, eval) split with floor(n * fraction) eval records, leaving at least one to train on."""
    n_eval = min(int(len(records) * fraction), len(records) - 1)
    if n_eval <= 0:
        return list(records), []
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    held = set(order[:n_eval])
    return [r for i, r in enumerate(records) if i not in held], [r for i, r in enumerate(records) if i in held]


# -- assistant mask ----------------------------------------------------------------------------------------------


def sft_features(tok: Any, messages: list[dict[str, str]]) -> tuple[list[int], list[int]]:
    """Token ids of a conversation rendered with the model's chat template, and a 0/1 mask of its assistant tokens.

    The mask covers each assistant turn's content and its end-of-turn token (the tokenizer's eos), not the role
    header before it nor the separator after it, nor any system, user or default-system-prompt token.

    Raises:
        DataError: the chat template does not render the conversation turn by turn.
    """
    full = _render(tok, messages, generation_prompt=False)
    segments: list[tuple[str, bool]] = []
    pos = 0
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        start = len(_prefix(tok, messages[:i], True, full, i))
        end = len(_prefix(tok, messages[: i + 1], False, full, i))
        if start < pos or end < start:
            raise DataError(f"the chat template does not render turn {i} after the previous turns")
        segments += [(full[pos:start], False), (full[start:end], True)]
        pos = end
    segments.append((full[pos:], False))
    eos = tok.eos_token_id
    ids: list[int] = []
    mask: list[int] = []
    for text, assistant in segments:
        if not text:
            continue
        piece = [int(t) for t in tok(text, add_special_tokens=False)["input_ids"]]
        bits = [int(assistant)] * len(piece)
        if assistant and eos in piece:  # train the end of turn, not what the template puts after it
            last = len(piece) - 1 - piece[::-1].index(eos)
            bits[last + 1 :] = [0] * (len(piece) - last - 1)
        ids += piece
        mask += bits
    return ids, mask


def _render(tok: Any, messages: list[dict[str, str]], *, generation_prompt: bool) -> str:
    return str(tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt))


def _prefix(tok: Any, messages: list[dict[str, str]], generation_prompt: bool, full: str, turn: int) -> str:
    text = _render(tok, messages, generation_prompt=generation_prompt)
    if not full.startswith(text):
        raise DataError(
            f"the model's chat template does not render conversations turn by turn (turn {turn} changes the text "
            "before it), so nsllm cannot mask the assistant tokens; use a model with an incremental template"
        )
    return text
