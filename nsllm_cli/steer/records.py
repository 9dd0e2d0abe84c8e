"""Records of a steering run: each model call, each round, and the whole result (JSON in and out).

These are the per-sample record of codesteer.md §2 ("Per-sample record"): the SymBench runner appends
`SteerResult.to_dict()` to `samples.jsonl`, `nsllm steer` writes it as `transcript.json`, and
:func:`SteerResult.from_dict` reads either back (for reports, SFT/DPO data, or replay).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from nsllm_cli.providers.base import GenParams, Message, Provider, Usage
from nsllm_cli.sandbox import ExecResult
from nsllm_cli.steer.prompts import TIMEOUT_NOTE

Executor = Callable[[str], ExecResult]
"""Runs one program and reports what happened (default: the sandbox's `run_code`)."""


def usage_dict(usage: Usage) -> dict[str, int]:
    """Usage as JSON, total included."""
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def usage_from(data: dict[str, Any] | None) -> Usage:
    """Usage from its JSON form (the total is derived, not read)."""
    data = data or {}
    return Usage(int(data.get("prompt_tokens", 0)), int(data.get("completion_tokens", 0)))


def exec_dict(result: ExecResult) -> dict[str, Any]:
    """An execution result as JSON, with `ok`."""
    return {**asdict(result), "ok": result.ok}


def exec_text(result: ExecResult) -> tuple[str, str]:
    """stdout and stderr as a model is shown them: a note on stderr when the run hit its time limit."""
    err = result.stderr
    if result.timed_out:
        err = (err + "\n" if err else "") + TIMEOUT_NOTE.format(seconds=round(result.duration_s, 1))
    return result.stdout, err


@dataclass
class CallRecord:
    """One model call: who was asked, what came back, the provider-reported usage, wall time, cache hit."""

    role: str
    """"steer", "task" or "checker"."""
    model: str
    text: str
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return {
            "role": self.role,
            "model": self.model,
            "text": self.text,
            "usage": usage_dict(self.usage),
            "seconds": self.seconds,
            "cached": self.cached,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallRecord:
        """Inverse of :meth:`to_dict`."""
        return cls(
            role=data["role"],
            model=data.get("model", ""),
            text=data.get("text", ""),
            usage=usage_from(data.get("usage")),
            seconds=float(data.get("seconds", 0.0)),
            cached=bool(data.get("cached", False)),
        )


def call_model(
    provider: Provider, messages: list[Message], params: GenParams | None, role: str, calls: list[CallRecord]
) -> str:
    """Ask a provider, append the call's record to `calls`, and return the text."""
    start = time.perf_counter()
    completion = provider.complete(list(messages), params)
    calls.append(
        CallRecord(
            role=role,
            model=completion.model or getattr(provider, "name", ""),
            text=completion.text,
            usage=completion.usage,
            seconds=round(time.perf_counter() - start, 6),
            cached=completion.cached,
        )
    )
    return completion.text


@dataclass
class RoundRecord:
    """One round: the steerer's input and reply, the guidance the TaskLLM got, its answer, and the answer's checks.

    Round 0 is the code/text choice. The checks of a round's answer (code, execution, symbolic report,
    self-check, feedback) are computed at the start of the next round, or not at all for the last answer.
    A round that ends the loop with `<<<Return Answer>>>`/`<<<Terminate>>>` has no task answer.
    """

    index: int
    steer_input: str = ""
    """What the steerer was sent this round (API variant: prompt + question + feedback)."""
    steer_input_train: str = ""
    """The training variant of the same input (round 0: choice prompt + question; later: the feedback only)."""
    steer_output: str = ""
    guidance: str = ""
    """The guidance kept from the steerer's reply (API mode: the last <<<...>>> content)."""
    control: str | None = None
    task_input: str | None = None
    """The user turn the TaskLLM got (the canonical guide when the control was Code/Text)."""
    answer: str | None = None
    code: str | None = None
    execution: dict[str, Any] | None = None
    symbolic: dict[str, Any] | None = None
    self_check: dict[str, Any] | None = None
    feedback: str | None = None
    calls: list[CallRecord] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    note: str | None = None

    @property
    def usage(self) -> Usage:
        """Tokens of every call made in this round."""
        total = Usage()
        for call in self.calls:
            total = total + call.usage
        return total

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["calls"] = [c.to_dict() for c in self.calls]
        data["usage"] = usage_dict(self.usage)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoundRecord:
        """Inverse of :meth:`to_dict`."""
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names and k != "calls"}
        return cls(**kwargs, calls=[CallRecord.from_dict(c) for c in data.get("calls", [])])


@dataclass
class SteerResult:
    """A whole steering run: every round, how it ended, the final answer and the token totals."""

    question: str
    rounds: list[RoundRecord] = field(default_factory=list)
    stop_reason: str = ""
    """"return_answer", "terminate", "max_rounds", "no_choice" (the steerer never chose code or text) or "stopped"."""
    final_response: str | None = None
    """The last TaskLLM answer, as written."""
    text_answer: str | None = None
    """The last `<<<...>>>` of the final response outside its code."""
    code_answer: str | None = None
    """From the final response's program output: its last `<<<...>>>`, else its stripped stdout."""
    final_execution: dict[str, Any] | None = None
    error: str | None = None
    seconds: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)
    steer_messages: list[Message] = field(default_factory=list)
    task_messages: list[Message] = field(default_factory=list)

    @property
    def answer(self) -> str | None:
        """The answer to report: the text answer, else the code answer."""
        return self.text_answer if self.text_answer is not None else self.code_answer

    @property
    def failed(self) -> bool:
        """No TaskLLM answer was produced (e.g. the steerer never chose code or text)."""
        return self.final_response is None

    @property
    def calls(self) -> list[CallRecord]:
        """Every model call, in order."""
        return [c for r in self.rounds for c in r.calls]

    @property
    def usage(self) -> Usage:
        """Total tokens over every call."""
        total = Usage()
        for call in self.calls:
            total = total + call.usage
        return total

    def usage_by_role(self) -> dict[str, Usage]:
        """Token totals per role (steer, task, checker)."""
        out: dict[str, Usage] = {}
        for call in self.calls:
            out[call.role] = out.get(call.role, Usage()) + call.usage
        return out

    def to_dict(self) -> dict[str, Any]:
        """The transcript as plain JSON-able data."""
        return {
            "question": self.question,
            "answer": self.answer,
            "text_answer": self.text_answer,
            "code_answer": self.code_answer,
            "stop_reason": self.stop_reason,
            "failed": self.failed,
            "error": self.error,
            "final_response": self.final_response,
            "final_execution": self.final_execution,
            "n_rounds": len(self.rounds),
            "n_answers": sum(1 for r in self.rounds if r.answer is not None),
            "seconds": self.seconds,
            "usage": usage_dict(self.usage),
            "usage_by_role": {k: usage_dict(v) for k, v in self.usage_by_role().items()},
            "settings": self.settings,
            "rounds": [r.to_dict() for r in self.rounds],
            "steer_messages": self.steer_messages,
            "task_messages": self.task_messages,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """The transcript as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SteerResult:
        """Read a transcript back (derived fields such as `usage` are recomputed, not read)."""
        return cls(
            question=data["question"],
            rounds=[RoundRecord.from_dict(r) for r in data.get("rounds", [])],
            stop_reason=data.get("stop_reason", ""),
            final_response=data.get("final_response"),
            text_answer=data.get("text_answer"),
            code_answer=data.get("code_answer"),
            final_execution=data.get("final_execution"),
            error=data.get("error"),
            seconds=float(data.get("seconds", 0.0)),
            settings=dict(data.get("settings", {})),
            steer_messages=list(data.get("steer_messages", [])),
            task_messages=list(data.get("task_messages", [])),
        )

    @classmethod
    def from_json(cls, text: str) -> SteerResult:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))
