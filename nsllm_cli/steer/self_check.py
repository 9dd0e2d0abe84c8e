"""Self-answer Checker: a model writes a program that checks an answer, and the sandbox runs it (codesteer.md §5).

Unlike the original (always gpt-4o, blind identical retries), the checker model is configurable (the
loop defaults it to the TaskLLM) and every retry shows the model its previous failure.

Example:
    >>> check = self_check(question, answer, provider=task, executor=run_code)  # doctest: +SKIP
    >>> check.feedback  # doctest: +SKIP
    'Correct'
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from nsllm_cli.providers.base import GenParams, Message, Provider
from nsllm_cli.steer.extract import first_code_block
from nsllm_cli.steer.prompts import (
    CHECK_PROMPT,
    CHECK_RETRY_ERROR,
    CHECK_RETRY_NO_CODE,
    over_token_limit,
)
from nsllm_cli.steer.records import CallRecord, Executor, call_model, exec_dict, exec_text

NO_CODE = "no checking code produced, try again"
DID_NOT_WORK = "the check did not work this round"
SKIPPED = "no self-check: code execution is not allowed (--allow-code-execution)"


@dataclass
class SelfCheckResult:
    """The checker's feedback text, each program it ran with its result, and its model calls."""

    feedback: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    skipped: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (calls are kept in the round's call list, not repeated here)."""
        return {
            "feedback": self.feedback,
            "attempts": self.attempts,
            "skipped": self.skipped,
            "n_calls": len(self.calls),
            "seconds": self.seconds,
        }


def check_input(question: str, answer: str) -> str:
    """The checker's first user turn: the check prompt, the question, and the augmented answer."""
    return f"{CHECK_PROMPT}\nTask:\n{question}\n\nProposed answer:\n{answer}"


def self_check(
    question: str,
    answer: str,
    *,
    provider: Provider,
    executor: Executor | None,
    params: GenParams | None = None,
    attempts: int = 3,
    calls_per_attempt: int = 5,
    token_limit: int = 2000,
) -> SelfCheckResult:
    """Ask `provider` for a checking program, run it, and turn what it printed into feedback.

    Args:
        question: the task text.
        answer: the augmented answer (the answer plus its execution result, if any).
        provider: the checker model.
        executor: runs the checking program; None means code execution is not allowed (the check is skipped).
        params: sampling parameters of the checker calls.
        attempts: programs to try (each retry shows the previous output and errors).
        calls_per_attempt: model calls per attempt until one contains a Python block.
        token_limit: output longer than this (estimated tokens) is not passed on.

    Returns:
        Feedback: the program's stdout when it wrote nothing on stderr; NO_CODE when the model wrote no
        program; after every attempt failed, its last stdout + stderr, or DID_NOT_WORK when that is too long.
    """
    start = time.perf_counter()
    if executor is None:
        return SelfCheckResult(SKIPPED, skipped=True)
    calls: list[CallRecord] = []
    runs: list[dict[str, Any]] = []
    messages: list[Message] = [{"role": "user", "content": check_input(question, answer)}]
    out = err = ""
    too_long = False

    def done(feedback: str) -> SelfCheckResult:
        return SelfCheckResult(feedback, runs, calls, seconds=round(time.perf_counter() - start, 6))

    for _ in range(attempts):
        code = None
        for _ in range(calls_per_attempt):
            text = call_model(provider, messages, params, "checker", calls)
            messages.append({"role": "assistant", "content": text})
            code = first_code_block(text)
            if code is not None:
                break
            messages.append({"role": "user", "content": CHECK_RETRY_NO_CODE})
        if code is None:
            return done(NO_CODE)
        result = executor(code)
        runs.append({"code": code, "execution": exec_dict(result)})
        out, err = exec_text(result)
        too_long = result.truncated or over_token_limit(out + err, token_limit)
        if not err.strip() and not too_long:
            return done(out.strip())
        messages.append({"role": "user", "content": CHECK_RETRY_ERROR.format(stdout=out[:4000], stderr=err[:4000])})
    return done(DID_NOT_WORK if too_long else (out + err).strip())
