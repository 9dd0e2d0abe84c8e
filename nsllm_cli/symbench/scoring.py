"""Verdicts of one answered question: the text and code answers, each checked by a task's validator.

This is the scoring that both consumers of SymBench share: the bench runner (`nsllm_cli.symbench_run.runner`)
and the steering-data collector (`nsllm_cli.steer.collect`). It lives in the task layer so that neither has to
import the other; it knows answers only through the small :class:`Answers` shape, which the steering layer's
`Extraction` fills.

Example:
    >>> from nsllm_cli.symbench.base import Instance, Verdict
    >>> from types import SimpleNamespace
    >>> found = SimpleNamespace(text_answer="4", code_answer=None, code_ran=False)
    >>> check = lambda inst, answer: Verdict.ok() if answer == "4" else Verdict.wrong("not 4")
    >>> verdicts(check, Instance("demo", "0", "2+2?"), found)["or"]["correct"]
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from nsllm_cli.symbench.base import Instance, Verdict

NO_ANSWER = {"correct": False, "score": 0.0, "reason": "no answer found"}
"""The verdict of an answer that was never found."""


class Answers(Protocol):
    """The parsed answers of one response (None when not found), and whether its program ran."""

    @property
    def text_answer(self) -> Any: ...

    @property
    def code_answer(self) -> Any: ...

    @property
    def code_ran(self) -> bool: ...


def _verdict(check: Callable[[Instance, Any], Verdict], inst: Instance, parsed: Any) -> dict[str, Any] | None:
    if parsed is None:
        return None
    v = check(inst, parsed)
    return {"correct": bool(v.correct), "score": float(v.score), "reason": v.reason}


def verdicts(check: Callable[[Instance, Any], Verdict], inst: Instance, found: Answers) -> dict[str, Any]:
    """The text and code verdicts, the paper's OR ("either passes") and the strict one (code if it ran, else text)."""
    text = _verdict(check, inst, found.text_answer)
    code = _verdict(check, inst, found.code_answer)
    given = [v for v in (text, code) if v is not None]
    either = max(given, key=lambda v: (v["correct"], v["score"])) if given else NO_ANSWER
    strict = (code if found.code_ran else text) or NO_ANSWER
    return {"or": either, "strict": strict, "text": text, "code": code}
