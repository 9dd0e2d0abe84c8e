"""One trajectory: run the steering loop on a training instance, score it, and shape its JSONL record.

Trajectory record (one JSONL line per instance)::

    {"kind": "trajectory", "task", "id", "instance_hash", "instance": Instance.to_dict(), "correct": bool,
     "n_rounds": int, "stop_reason", "answer", "verdict", "verdict_strict",
     "rounds": [{"user": steer_input_train, "assistant": guidance, "control": "Code"|...|null}, ...],
     "transcript": SteerResult.to_dict(), "error": null | "one line"}

Example:
    >>> record = one_trajectory(settings, get_task("pooling"), instance, ignore)  # doctest: +SKIP
    >>> record["correct"], len(record["rounds"])  # doctest: +SKIP
    (True, 2)
"""

from __future__ import annotations

from typing import Any

from nsllm_cli.consent import CodeExecutionNotAllowedError
from nsllm_cli.errors import NsllmError
from nsllm_cli.events import Event
from nsllm_cli.providers.base import Provider
from nsllm_cli.steer.collect.settings import CollectSettings
from nsllm_cli.steer.final_answer import extract
from nsllm_cli.steer.records import SteerResult
from nsllm_cli.symbench.base import Instance, Task
from nsllm_cli.symbench.scoring import verdicts
from nsllm_cli.symbench.splits import instance_hash


def score(bench: Task, inst: Instance, result: SteerResult, extractor: Provider | None = None) -> dict[str, Any]:
    """The paper's OR verdict (text or code answer passes the task's validator) and the strict one.

    A validator that crashes on odd model output counts as a wrong answer, with the reason.
    """
    try:
        found = extract(bench, inst, result, extractor)
        both = verdicts(bench.verify, inst, found)
    except NsllmError:
        raise
    except Exception as exc:  # a validator bug on one odd answer must not cost the trajectory
        failed = {"correct": False, "score": 0.0, "reason": f"validator failed: {type(exc).__name__}: {exc}"}
        return {"correct": False, "verdict": failed, "verdict_strict": failed}
    return {"correct": bool(both["or"]["correct"]), "verdict": both["or"], "verdict_strict": both["strict"]}


def training_turns(result: SteerResult) -> list[dict[str, Any]]:
    """The steerer's turns in training form: (feedback-only user input, guidance) per round, up to the first gap."""
    turns = []
    for rec in result.rounds:
        if not rec.guidance or not rec.steer_input_train:
            break
        turns.append({"user": rec.steer_input_train, "assistant": rec.guidance, "control": rec.control})
    return turns


def record_head(inst: Instance, kind: str) -> dict[str, Any]:
    """The fields every record of an instance starts with: kind, task, id, content hash, the instance."""
    return {
        "kind": kind,
        "task": inst.task,
        "id": inst.id,
        "instance_hash": instance_hash(inst),
        "instance": inst.to_dict(),
    }


def trajectory_record(inst: Instance, result: SteerResult, verdict: dict[str, Any]) -> dict[str, Any]:
    """The JSONL record of one finished trajectory (see the module docstring)."""
    return {
        **record_head(inst, "trajectory"),
        "correct": verdict["correct"],
        "n_rounds": len(result.rounds),
        "stop_reason": result.stop_reason,
        "answer": result.answer,
        "verdict": verdict["verdict"],
        "verdict_strict": verdict["verdict_strict"],
        "rounds": training_turns(result),
        "transcript": result.to_dict(),
        "error": None,
    }


class Capture:
    """Forwards loop events (as "loop") and keeps the partial transcript of a failed run."""

    def __init__(self, inst: Instance, on_event: Event) -> None:
        self.inst, self.on_event = inst, on_event
        self.transcript: dict[str, Any] | None = None

    def __call__(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "error":
            self.transcript = payload.get("transcript")
        self.on_event("loop", {"task": self.inst.task, "id": self.inst.id, "event": kind, "payload": payload})


def one_trajectory(settings: CollectSettings, bench: Task, inst: Instance, on_event: Event) -> dict[str, Any]:
    """Run and score one instance; a provider failure becomes an error record (retried on resume)."""
    capture = Capture(inst, on_event)
    try:
        result = settings.run(bench.prompt(inst), on_event=capture)
        return trajectory_record(inst, result, score(bench, inst, result, settings.extractor))
    except CodeExecutionNotAllowedError:
        raise  # a setting, not a bad sample
    except NsllmError as exc:
        error = " ".join(f"{type(exc).__name__}: {exc}".splitlines())
        return {**record_head(inst, "trajectory"), "correct": False, "n_rounds": 0, "rounds": [],
                "transcript": capture.transcript, "error": error}  # fmt: skip
