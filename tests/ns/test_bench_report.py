"""`bench math`'s failure modes: read and write errors by kind, the unseen types' gate per family, top misreads."""

from __future__ import annotations

from typing import Any

from nsllm_cli.ns.bench_report import error_split, misreads, read_error_kind, write_error_kind


def _ns(
    t: str, gold: int, *, read: tuple[str, int, int], gate: bool, correct: bool, family: str = ""
) -> dict[str, Any]:
    x, y = 84, 5
    reason = "open" if gate else "unfamiliar question"
    record: dict[str, Any] = {
        "method": "ns", "problem_type": t, "x": x, "y": y, "gold": gold, "correct": correct, "family": family,
        "output": str(gold) if correct else "1",
        "ns_read": {"type": read[0], "x": read[1], "y": read[2], "score": 0.99, "gate": gate, "result": 0,
                    "reason": reason},
    }  # fmt: skip
    record["read_right"] = gate and read == (t, x, y)
    return record


def test_errors_by_kind_and_the_unseen_gate_per_family() -> None:
    records = [
        _ns("modulo", 4, read=("modulo", 84, 5), gate=True, correct=True),
        _ns("modulo", 4, read=("modulo", 84, 5), gate=False, correct=False),  # shut: read error, with its reason
        _ns("gcd", 1, read=("bitwise_and", 84, 5), gate=True, correct=False),  # wrong type, gate open
        _ns("gcd", 1, read=("gcd", 84, 7), gate=True, correct=False),  # wrong operands
        _ns("bitwise_and", 0, read=("bitwise_and", 84, 5), gate=True, correct=False),  # written wrong: result 0
        _ns("lcm", 420, read=("lcm", 84, 5), gate=True, correct=False),  # written wrong: a longer result
        _ns("addition", 89, read=("bitwise_and", 84, 5), gate=True, correct=False, family="addition/ask-h0"),
        _ns("addition", 89, read=("bitwise_and", 84, 5), gate=False, correct=False, family="addition/ask-h0"),
        _ns("division", 16, read=("modulo", 84, 5), gate=False, correct=False, family="division/word-h1"),
    ]
    out = error_split(records)
    assert (out["n"], out["wrong"], out["read_wrong"], out["written_wrong"]) == (6, 5, 3, 2)
    assert out["read_errors"] == {"gate shut: unfamiliar question": 1, "wrong type": 1, "wrong operands": 1}
    assert out["write_errors"] == {"result 0": 1, "longer result": 1}
    assert out["unseen_n"] == 3 and abs(out["unseen_gate_open"] - 1 / 3) < 1e-9
    assert out["unseen_open_by_family"]["addition/ask-h0"] == {"n": 2, "open": 1, "open_rate": 0.5}
    assert out["unseen_open_by_family"]["division/word-h1"]["open"] == 0
    top = misreads(records)
    assert all(m["n"] == 1 for m in top)
    assert {(m["true"], m["read"], m["gate"]) for m in top} == {
        ("gcd", "bitwise_and", True), ("addition", "bitwise_and", True), ("addition", "bitwise_and", False),
        ("division", "modulo", False),
    }  # fmt: skip


def test_error_kinds() -> None:
    shut = _ns("gcd", 1, read=("gcd", 84, 5), gate=False, correct=False)
    assert read_error_kind(shut) == "gate shut: unfamiliar question"
    assert write_error_kind({"gold": 7}) == "one-digit result" and write_error_kind({"gold": 0}) == "result 0"
    assert write_error_kind({"gold": -12}) == "longer result"
