"""SFT and DPO datasets for the steering model, built from collected trajectories and trees (codesteer.md §9-10).

Formats (trl conversational JSONL, one record per line):

- SFT: `{"messages": [{"role": "user", "content": ...}, {"role": "assistant", "content": ...}, ...], "task", "id"}`;
  user turns are the steerer's training inputs (round 0: choice prompt + question; later: feedback only), every
  guidance is an assistant turn, and the conversation ends with one. Loss on every assistant turn is the trainer's.
- DPO: `{"prompt": [messages through user turn k], "chosen": [{"role": "assistant", "content": g+}],
  "rejected": [{"role": "assistant", "content": g-}], "score_chosen", "score_rejected", "task", "id"}`.

Tree scores (general scheme): a leaf scores `15 - n_rounds` when its trajectory's final answer is correct, else
`-n_rounds` (n = that trajectory's own number of guidances); an internal node scores the mean of its children.

Readers never abort on a bad line: it is reported as "path:LINE: reason" and skipped. Loading a dataset that has
no usable record is a one-line DataError, raised before any model is loaded.

Example:
    >>> trajectories, problems = read_trajectories(Path("runs/collect/trajectories.jsonl"))  # doctest: +SKIP
    >>> write_dataset(sft_records(trajectories), Path("sft.jsonl"))  # doctest: +SKIP
    >>> trees, _ = read_trees(Path("runs/collect/trees.jsonl"))  # doctest: +SKIP
    >>> write_dataset(dpo_pairs(trees), Path("dpo.jsonl"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any, Literal

from nsllm_cli.errors import DataError

log = logging.getLogger(__name__)

Kind = Literal["sft", "dpo"]
Record = dict[str, Any]

LEAF_BASE = 15
"""A correct leaf scores LEAF_BASE - n_rounds (the paper's 15)."""

DEFAULT_MAX_TOKENS = 7000
"""The original's prompt limit for DPO pairs."""

_ROLES = ("system", "user", "assistant")


# ---------------------------------------------------------------- reading JSONL with line numbers


def _lines(path: Path) -> Iterator[tuple[int, Record | None, str | None]]:
    """(line number, object, problem) per non-blank line; a problem is "path:LINE: reason"."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            text = raw.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                cut = not raw.endswith(b"\n")  # a last line without newline: the writer was interrupted
                yield lineno, None, f"{path}:{lineno}: " + ("partial last line" if cut else f"not JSON ({exc.msg})")
                continue
            if not isinstance(obj, dict):
                yield lineno, None, f"{path}:{lineno}: not a JSON object"
                continue
            yield lineno, obj, None


def _read(path: Path, check: Callable[[Record], str | None]) -> tuple[list[Record], list[str]]:
    records: list[Record] = []
    problems: list[str] = []
    for lineno, obj, problem in _lines(path):
        if problem is not None or obj is None:
            problems.append(problem or f"{path}:{lineno}: empty")
        elif (reason := check(obj)) is not None:
            problems.append(f"{path}:{lineno}: {reason}")
        else:
            records.append(obj)
    return records, problems


def _ident(rec: Record) -> str | None:
    for key in ("task", "id"):
        if not isinstance(rec.get(key), str) or not rec[key]:
            return f"missing or empty {key!r}"
    return None


def check_trajectory(rec: Record) -> str | None:
    """Why a record is not a usable trajectory record, or None. Error records (with `error`) are valid."""
    if rec.get("kind", "trajectory") != "trajectory":
        return f"a {rec.get('kind')!r} record, not a trajectory"
    if (bad := _ident(rec)) is not None:
        return bad
    if not isinstance(rec.get("correct"), bool):
        return "missing 'correct' (true/false)"
    rounds = rec.get("rounds")
    if not isinstance(rounds, list):
        return "missing 'rounds' (a list)"
    for i, turn in enumerate(rounds):
        if not isinstance(turn, dict) or not all(isinstance(turn.get(k), str) for k in ("user", "assistant")):
            return f"rounds[{i}] needs string 'user' and 'assistant'"
    return None


def check_tree(rec: Record) -> str | None:
    """Why a record is not a usable tree record, or None."""
    if rec.get("kind") != "tree":
        return "not a tree record (kind != 'tree')"
    if (bad := _ident(rec)) is not None:
        return bad
    nodes = rec.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        return "missing 'nodes' (a non-empty list)"
    ids = set()
    for i, node in enumerate(nodes):
        if not isinstance(node, dict) or not isinstance(node.get("node"), int):
            return f"nodes[{i}] needs an integer 'node'"
        if not isinstance(node.get("children", []), list):
            return f"nodes[{i}] has non-list 'children'"
        ids.add(node["node"])
    if any(c not in ids for node in nodes for c in node.get("children", [])):
        return "a node names a child that is not in 'nodes'"
    return None


def read_trajectories(path: Path) -> tuple[list[Record], list[str]]:
    """Trajectory records of a file written by `collect`, and one "path:LINE: reason" per skipped line.

    Raises:
        DataError: the file does not exist.
    """
    return _read(path, check_trajectory)


def read_trees(path: Path) -> tuple[list[Record], list[str]]:
    """Tree records of a file written by `collect_tree(s)`, and one "path:LINE: reason" per skipped line."""
    return _read(path, check_tree)


# ---------------------------------------------------------------- SFT


def sft_records(trajectories: Iterable[Record], keep_failed: bool = False) -> list[Record]:
    """One conversational SFT record per usable trajectory: correct ones only, unless `keep_failed`.

    Error records and trajectories without a single guidance are left out.
    """
    out = []
    for rec in trajectories:
        if rec.get("error") or not (rec.get("correct") or keep_failed):
            continue
        messages: list[dict[str, str]] = []
        for turn in rec.get("rounds") or []:
            if not turn.get("assistant"):
                break
            messages += [{"role": "user", "content": turn["user"]}, {"role": "assistant", "content": turn["assistant"]}]
        if messages:
            out.append({"messages": messages, "task": rec["task"], "id": rec["id"]})
    return out


# ---------------------------------------------------------------- DPO


def leaf_score(correct: bool, n_rounds: int) -> float:
    """15 - n if the trajectory's final answer is correct, else -n (n = its own number of guidances)."""
    return float(LEAF_BASE - n_rounds if correct else -n_rounds)


def tree_scores(tree: Record) -> dict[int, float]:
    """Node id -> score: leaves by :func:`leaf_score`, internal nodes the mean of their scored children.

    A leaf without an outcome (a failed branch) and a node without any scored child get no score.
    """
    nodes = {int(n["node"]): n for n in tree["nodes"]}
    scores: dict[int, float] = {}

    def visit(node_id: int) -> float | None:
        node = nodes[node_id]
        leaf = node.get("leaf")
        if isinstance(leaf, dict) and isinstance(leaf.get("correct"), bool):
            value: float | None = leaf_score(leaf["correct"], int(leaf["n_rounds"]))
        else:
            below = [s for s in (visit(c) for c in node.get("children", [])) if s is not None]
            value = sum(below) / len(below) if below else None
        if value is not None:
            scores[node_id] = value
        return value

    roots = [i for i, n in nodes.items() if n.get("parent") is None]
    for root in roots:
        visit(root)
    return scores


def _path(nodes: dict[int, Record], node_id: int) -> list[dict[str, str]]:
    """The steerer conversation up to and including the guidance of `node_id` (root excluded)."""
    chain = []
    current: int | None = node_id
    while current is not None and nodes[current].get("round") is not None:
        chain.append(nodes[current])
        current = nodes[current].get("parent")
    messages = []
    for node in reversed(chain):
        messages += [{"role": "user", "content": node["user"]}, {"role": "assistant", "content": node["guidance"]}]
    return messages


def dpo_pairs(trees: Iterable[Record]) -> list[Record]:
    """Preference pairs between sibling guidances (same round, same prefix) whose scores differ; higher = chosen.

    Siblings with the same guidance text, an empty guidance, or a different steerer input are never paired.
    """
    out = []
    for tree in trees:
        nodes = {int(n["node"]): n for n in tree["nodes"]}
        scores = tree_scores(tree)
        for parent_id, parent in nodes.items():
            kids = [nodes[c] for c in parent.get("children", []) if c in scores and nodes[c].get("guidance")]
            prefix = _path(nodes, parent_id)
            for a, b in combinations(kids, 2):
                sa, sb = scores[a["node"]], scores[b["node"]]
                if sa == sb or a["guidance"] == b["guidance"] or a.get("user") != b.get("user"):
                    continue
                chosen, rejected = (a, b) if sa > sb else (b, a)
                out.append(
                    {
                        "prompt": [*prefix, {"role": "user", "content": chosen["user"]}],
                        "chosen": [{"role": "assistant", "content": chosen["guidance"]}],
                        "rejected": [{"role": "assistant", "content": rejected["guidance"]}],
                        "score_chosen": max(sa, sb),
                        "score_rejected": min(sa, sb),
                        "task": tree["task"],
                        "id": tree["id"],
                    }
                )
    return out


# ---------------------------------------------------------------- token limits


def count_tokens(messages: Sequence[dict[str, str]], tokenizer: Any) -> int:
    """Tokens of a conversation: through the tokenizer's chat template when it has one, else of its plain text.

    `tokenizer` is an HF tokenizer or any callable of a string returning ids, an encoding with `input_ids`, or a
    count.
    """
    if getattr(tokenizer, "chat_template", None) and hasattr(tokenizer, "apply_chat_template"):
        ids = tokenizer.apply_chat_template(list(messages), tokenize=True, return_dict=False)
        return _length(ids)
    text = "\n".join(f"{m['role']}: {m['content']}" for m in messages)
    return _length(tokenizer(text))


def _length(encoded: Any) -> int:
    if isinstance(encoded, int):
        return encoded
    if hasattr(encoded, "keys") and "input_ids" in encoded.keys():
        encoded = encoded["input_ids"]
    if isinstance(encoded, list | tuple) and encoded and isinstance(encoded[0], list | tuple):
        encoded = encoded[0]  # a batch of one
    return len(encoded)


def drop_long(records: Iterable[Record], tokenizer: Any, max_tokens: int) -> tuple[list[Record], int]:
    """Records whose prompt fits in `max_tokens`, and how many were dropped.

    The measured prompt is a DPO record's `prompt` (as the original, which skipped prefixes over 7000 tokens) or
    an SFT record's whole `messages` conversation.
    """
    kept, dropped = [], 0
    for rec in records:
        messages = rec["prompt"] if "prompt" in rec else rec["messages"]
        if count_tokens(messages, tokenizer) > max_tokens:
            dropped += 1
        else:
            kept.append(rec)
    return kept, dropped


# ---------------------------------------------------------------- writing and loading datasets


def _messages(value: Any, name: str) -> str | None:
    if not isinstance(value, list) or not value:
        return f"{name!r} must be a non-empty list of messages"
    for i, m in enumerate(value):
        if not isinstance(m, dict) or m.get("role") not in _ROLES or not isinstance(m.get("content"), str):
            return f"{name}[{i}] needs a role ({'/'.join(_ROLES)}) and string content"
    return None


def check_sft(rec: Record) -> str | None:
    """Why a record is not a valid SFT record, or None."""
    if "messages" not in rec:
        return "missing 'messages'"
    if (bad := _messages(rec["messages"], "messages") or _ident(rec)) is not None:
        return bad
    roles = [m["role"] for m in rec["messages"] if m["role"] != "system"]
    if roles[-1:] != ["assistant"] or any(r != ("user", "assistant")[i % 2] for i, r in enumerate(roles)):
        return "'messages' must alternate user/assistant and end with an assistant turn"
    return None


def check_dpo(rec: Record) -> str | None:
    """Why a record is not a valid DPO record, or None."""
    for key in ("prompt", "chosen", "rejected", "score_chosen", "score_rejected"):
        if key not in rec:
            return f"missing {key!r}"
    for key in ("prompt", "chosen", "rejected"):
        if (bad := _messages(rec[key], key)) is not None:
            return bad
    if rec["prompt"][-1]["role"] != "user":
        return "'prompt' must end with a user turn"
    if any(m["role"] != "assistant" for m in rec["chosen"] + rec["rejected"]):
        return "'chosen' and 'rejected' hold assistant turns only"
    scores = (rec["score_chosen"], rec["score_rejected"])
    if not all(isinstance(s, int | float) and not isinstance(s, bool) for s in scores):
        return "'score_chosen' and 'score_rejected' must be numbers"
    if scores[0] <= scores[1]:
        return "'score_chosen' must be higher than 'score_rejected'"
    return _ident(rec)


_CHECKS: dict[str, Callable[[Record], str | None]] = {"sft": check_sft, "dpo": check_dpo}


def write_dataset(records: Sequence[Record], path: Path) -> int:
    """Write SFT or DPO records as JSONL (through a temporary file, then renamed); the number written.

    Raises:
        DataError: there is no record (nothing to train on), or a record is invalid (its index is named).
    """
    if not records:
        raise DataError(f"{path}: no records to write (an empty dataset cannot be trained on)")
    kind: Kind = "dpo" if "chosen" in records[0] else "sft"
    for i, rec in enumerate(records):
        if (bad := _CHECKS[kind](rec)) is not None:
            raise DataError(f"{path}: record {i} is not a valid {kind} record: {bad}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return len(records)


def load_dataset_jsonl(path: Path, kind: Kind = "sft", *, strict: bool = True) -> list[Record]:
    """The valid records of an SFT or DPO JSONL file, checked before any model is loaded.

    Args:
        path: the dataset file.
        kind: "sft" or "dpo".
        strict: an invalid line is an error (True) or skipped with a logged warning (False).

    Raises:
        DataError: the file is missing or has no valid record; with `strict`, a line is invalid (the message
            names the first ones as "path:LINE: reason").
    """
    if kind not in _CHECKS:
        raise DataError(f"unknown dataset kind {kind!r}; use 'sft' or 'dpo'")
    records, problems = _read(path, _CHECKS[kind])
    if problems and strict:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise DataError(f"{len(problems)} invalid {kind} record(s): " + "; ".join(problems[:3]) + more)
    for problem in problems:
        log.warning("%s", problem)
    if not records:
        raise DataError(f"{path}: no valid {kind} records (an empty dataset cannot be trained on)")
    return records
