"""Side-by-side answers: the records of `samples.jsonl` grouped by question, one column per method (no Textual).

Two record shapes are known, and anything else with an `id` is shown generically:

- bench math (`nsllm_cli.ns.bench`): `id, method, problem_type, question, gold, output, correct`;
  grouped by `id` across methods (base, ns, lora, cot, ...);
- SymBench (`nsllm_cli.symbench_run.runner.run_job`): `task, id, method, instance.question, text_answer,
  code_answer, code_ran, response, verdict {correct, score}, error`; grouped by `(task, id)` across methods
  (only-question, all-code, codesteer, ...).

Example:
    >>> groups = AnswerGroups()
    >>> changed = groups.add(records)
    >>> groups.methods, [row.cells["ns"].answer for row in groups.rows.values()]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Cell:
    """One method's answer to one question."""

    answer: str
    """The short answer shown in the table (the extracted answer, else the first line of the output)."""
    correct: bool | None = None
    """The record's verdict; None when it has none."""
    full: str = ""
    """The whole output, for the detail view."""
    note: str = ""
    """What a neurosymbolic hook read and wrote, and where a wrong answer went wrong ("" for other methods)."""


@dataclass
class AnswerRow:
    """One question and every method's answer to it."""

    key: str
    label: str
    """Short id shown in the first column: "12 addition" or "game24/sample_3"."""
    question: str = ""
    gold: str = ""
    cells: dict[str, Cell] = field(default_factory=dict)


class AnswerGroups:
    """Records grouped by question, in the order questions first appear; methods in the order they first appear."""

    def __init__(self) -> None:
        self.methods: list[str] = []
        self.rows: dict[str, AnswerRow] = {}
        self.kind = "samples"
        """"bench-math", "symbench" or "samples" (unknown shape), from the first record."""
        self.skipped = 0
        """Records without an id or method, which cannot be placed."""

    def add(self, records: Iterable[dict[str, Any]]) -> set[str]:
        """Place new records; a later record of the same (question, method) replaces the earlier one.

        Returns:
            The keys of the rows that were added or changed.
        """
        changed: set[str] = set()
        for record in records:
            if not self.rows and not self.methods:
                self.kind = record_kind(record)
            key = question_key(record)
            method = record.get("method")
            if key is None or not isinstance(method, str):
                self.skipped += 1
                continue
            row = self.rows.get(key)
            if row is None:
                row = self.rows[key] = AnswerRow(key=key, label=_label(record), question=_question(record))
            row.gold = row.gold or _text(record.get("gold"))
            row.question = row.question or _question(record)
            if method not in self.methods:
                self.methods.append(method)
            row.cells[method] = answer_cell(record)
            changed.add(key)
        return changed

    def accuracy(self) -> dict[str, tuple[int, int]]:
        """Per method: (answers judged correct, answers with a verdict)."""
        out: dict[str, tuple[int, int]] = {}
        for method in self.methods:
            verdicts = [c.correct for r in self.rows.values() if (c := r.cells.get(method)) and c.correct is not None]
            out[method] = (sum(verdicts), len(verdicts))
        return out


def record_kind(record: dict[str, Any]) -> str:
    """Which writer produced a sample record."""
    if "task" in record and ("instance" in record or "verdict" in record or "response" in record):
        return "symbench"
    if "problem_type" in record or ("output" in record and "gold" in record):
        return "bench-math"
    return "samples"


def question_key(record: dict[str, Any]) -> str | None:
    """The grouping key: `task/id` when the record names a task, else `id`; None without an id."""
    qid = record.get("id")
    if qid is None:
        return None
    task = record.get("task")
    return f"{task}/{qid}" if task else str(qid)


def answer_cell(record: dict[str, Any]) -> Cell:
    """The short answer, verdict and full output of one record, whatever its shape."""
    error = record.get("error")
    full = _text(record.get("response") or record.get("output") or record.get("answer") or "")
    if record.get("code_ran") and record.get("code_answer") is not None:
        short = _text(record.get("code_answer"))
    elif record.get("text_answer") is not None:
        short = _text(record.get("text_answer"))
    elif record.get("answer") is not None:
        short = _text(record.get("answer"))
    else:
        short = full.strip().splitlines()[0] if full.strip() else ""
    if error and not short:
        return Cell(answer=f"error: {error}", correct=False, full=_text(error))
    return Cell(answer=short, correct=_verdict(record), full=full or short, note=ns_note(record))


def ns_note(record: dict[str, Any]) -> str:
    """ "read gcd(120, 84) p=0.99, wrote 12", and for a wrong answer whether the read or the write failed.

    >>> ns_note({"ns_read": {"type": "gcd", "x": 120, "y": 84, "score": 0.99, "gate": True, "result": 12},
    ...          "read_right": True, "correct": False})
    'read gcd(120, 84) p=0.99, wrote 12 · read right, written wrong'
    """
    read = record.get("ns_read")
    if not isinstance(read, dict):
        return ""
    if read.get("gate"):
        modulus = f" mod {read['m']}" if read.get("m") else ""  # `runs` may not import the engine's formatter
        operation = f"{read.get('type')}({read.get('x')}, {read.get('y')}){modulus}"
        text = f"read {operation} p={read.get('score', 0):.2f}, wrote {read.get('result')}"
    else:
        why = f"{read['reason']}; " if read.get("reason") and read.get("reason") != "shut" else ""
        text = (
            f"gate shut ({why}best guess {read.get('type')}, p={read.get('score', 0):.2f}): answered as the plain model"
        )
    if record.get("correct") is False and "read_right" in record:
        text += " · read right, written wrong" if record["read_right"] else " · read wrong"
    return text


def _verdict(record: dict[str, Any]) -> bool | None:
    for name in ("correct", "verdict"):
        value = record.get(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, dict) and isinstance(value.get("correct"), bool):
            return bool(value["correct"])
    return None


def _label(record: dict[str, Any]) -> str:
    qid = _text(record.get("id"))
    if record.get("task"):
        return f"{record['task']}/{qid}"
    kind = record.get("problem_type")
    return f"{qid} {kind}" if kind else qid


def _question(record: dict[str, Any]) -> str:
    instance = record.get("instance")
    if isinstance(instance, dict) and instance.get("question"):
        return _text(instance["question"])
    return _text(record.get("question") or record.get("prompt") or "")


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)
