"""Where the neurosymbolic answers of `bench math` went wrong, by kind, not only how often.

A mean hides what matters to a user: a gate that opened on an operation it was never trained for (a confident
wrong answer), a read that got the type or the operands wrong, a write that spelt the right result wrong. From
the NS records (`ns_read` is what the hook read and wrote), this module counts:
- read errors by kind: gate shut and why (`ns_read.reason`), wrong type with the gate open, wrong operands with
  the gate open;
- write errors by kind: result 0, a one-digit result, longer results;
- the gate on unseen types, overall and per wording family;
- the most frequent misreads (true type → type read, gate);
- the counterfactual check of `ns-shuffled` (does the output follow what was written?).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from nsllm_cli.ns.problems import TRAIN_TYPES
from nsllm_cli.ns.prompts import parse_strict


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def operation_text(read: dict[str, Any]) -> str:
    """A read as people write it: "gcd(120, 84)", "multiplication(656, 236) mod 1000" (the modulus where one was read).

    >>> operation_text({"type": "multiplication", "x": 656, "y": 236, "m": 1000})
    'multiplication(656, 236) mod 1000'
    """
    modulus = f" mod {read['m']}" if read.get("m") else ""
    return f"{read.get('type')}({read.get('x')}, {read.get('y')}){modulus}"


def read_error_kind(record: dict[str, Any]) -> str:
    """Why a wrong NS answer's read was wrong: "gate shut: <reason>", "wrong type", "wrong operands" or "wrong
    modulus" (the operands right, the modulus read where none was asked, missed, or misread)."""
    read = record["ns_read"]
    if not read["gate"]:
        return f"gate shut: {read.get('reason', 'shut')}"
    if read["type"] != record["problem_type"]:
        return "wrong type"
    pair, gold = (read["x"], read["y"]), (record["x"], record["y"])
    if "m" in read and sorted(pair) == sorted(gold) and read["m"] != record.get("modulus"):
        return "wrong modulus"
    return "wrong operands"


def write_error_kind(record: dict[str, Any]) -> str:
    """Which results the writer spells wrong: "result 0", "one-digit result" or "longer result"."""
    gold = int(record["gold"])
    return "result 0" if gold == 0 else "one-digit result" if abs(gold) < 10 else "longer result"


def error_split(records: Sequence[dict[str, Any]], *, trained: Sequence[str] = TRAIN_TYPES) -> dict[str, Any]:
    """Where the NS answers of the `trained` types went wrong (the read: the reader, wrong type or operands, or the
    gate shut; or the write: read right, answer still wrong), by kind; plus the gate rate on the other, unseen
    types."""
    known = frozenset(trained)
    trained_records = [r for r in records if r["problem_type"] in known and "read_right" in r]
    unseen = [r for r in records if r["problem_type"] not in known and "ns_read" in r]
    if not trained_records and not unseen:
        return {}
    wrong = [r for r in trained_records if not r["correct"]]
    read_wrong = [r for r in wrong if not r["read_right"]]
    written_wrong = [r for r in wrong if r["read_right"]]
    return {
        "n": len(trained_records),
        "wrong": len(wrong),
        "read_wrong": len(read_wrong),
        "gate_closed": sum(not r["ns_read"]["gate"] for r in wrong),
        "written_wrong": len(written_wrong),
        "read_right_rate": _mean([float(r["read_right"]) for r in trained_records]),
        "read_errors": dict(Counter(read_error_kind(r) for r in read_wrong).most_common()),
        "write_errors": dict(Counter(write_error_kind(r) for r in written_wrong).most_common()),
        "unseen_n": len(unseen),
        "unseen_gate_open": _mean([float(r["ns_read"]["gate"]) for r in unseen]),
        "unseen_open_by_family": unseen_by_family(unseen),
        "misreads": misreads(records),
    }


def unseen_by_family(unseen: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per wording family of the unseen-type questions: n and the share that opened the gate."""
    out: dict[str, dict[str, Any]] = {}
    for r in unseen:
        cell = out.setdefault(str(r.get("family") or r["problem_type"]), {"n": 0, "open": 0})
        cell["n"] += 1
        cell["open"] += int(bool(r["ns_read"]["gate"]))
    return {k: {**v, "open_rate": v["open"] / v["n"]} for k, v in sorted(out.items())}


def misreads(records: Sequence[dict[str, Any]], top: int = 10) -> list[dict[str, Any]]:
    """The `top` most frequent (true type, type read, gate) among questions whose read type is not the true one
    (an unseen type read as a trained one counts, with the gate open or shut)."""
    counts: Counter[tuple[str, str, bool]] = Counter()
    for r in records:
        read = r.get("ns_read")
        if not read or read["type"] == r["problem_type"]:
            continue
        counts[(r["problem_type"], read["type"], bool(read["gate"]))] += 1
    return [{"true": t, "read": rd, "gate": g, "n": n} for (t, rd, g), n in counts.most_common(top)]


def counterfactual(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """How far the output follows the injection: among `ns-shuffled` answers written another question's result
    (different from the gold), the share that says the written result, and the share that still says the gold."""
    moved = [
        r
        for r in records
        if r.get("ns_read") and r["ns_read"]["gate"] and r["ns_read"]["result"] is not None
        and r["ns_read"]["result"] != r["gold"]
    ]  # fmt: skip
    if not moved:
        return {}
    follows = sum(parse_strict(r["output"]) == r["ns_read"]["result"] for r in moved)
    return {
        "n": len(moved),
        "follows_injection": follows / len(moved),
        "says_gold": _mean([r["correct"] for r in moved]),
    }
