"""The ways a SymBench question is answered (codesteer.md §12): the paper's baselines and CodeSteer itself.

Every method returns a :class:`SteerResult`, so a sample record has the same shape whatever produced it
(single-answer baselines have one round), and :func:`nsllm_cli.steer.final_answer.scored_text` is the one
place that decides which text the task's parser reads.

- only-question: the question alone.
- all-text: the canonical text guide, then the question.
- all-code: the canonical code guide, then the question; the answer's program is run in the sandbox.
- code-text-choice: the steerer picks code or text once; no later rounds.
- codesteer: the full multi-round loop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from nsllm_cli.events import Event
from nsllm_cli.providers.base import GenParams, Provider
from nsllm_cli.steer.extract import first_code_block, last_answer
from nsllm_cli.steer.loop import CodeExecutionNotAllowed
from nsllm_cli.steer.loop import steer as steer_loop
from nsllm_cli.steer.prompts import CODE, CODE_GUIDE, TEXT, TEXT_GUIDE, task_first_turn
from nsllm_cli.steer.records import CallRecord, Executor, RoundRecord, SteerResult, call_model, exec_dict

METHODS: tuple[str, ...] = ("only-question", "all-text", "all-code", "code-text-choice", "codesteer")
"""Method names accepted by `nsllm bench symbench --method`."""

NEEDS_STEERER = frozenset({"code-text-choice", "codesteer"})
"""Methods that need a steering model (--steer-llm)."""

RUNS_CODE = frozenset({"all-code", "code-text-choice", "codesteer"})
"""Methods whose answers may contain programs to run (need --allow-code-execution)."""

PAPER_NAMES = {
    "only-question": "Only Question",
    "all-text": "All Text + CoT",
    "all-code": "All Code + CoT",
    "code-text-choice": "Code/Text Choice",
    "codesteer": "GPT-4o + CodeSteer",
}
"""The paper's row for each method (Table 1), for side-by-side reading; numbers there are GPT-4o's."""


@dataclass(frozen=True)
class MethodSetup:
    """Everything a method needs besides the question."""

    task: Provider
    steer: Provider | None = None
    executor: Executor | None = None
    """Runs one program; None means code may not run (answers with code then raise CodeExecutionNotAllowed)."""
    task_params: GenParams | None = None
    max_rounds: int = 5
    self_check: bool = True
    steer_mode: str = "api"


def answer(method: str, question: str, setup: MethodSetup, on_event: Event | None = None) -> SteerResult:
    """Answer one question with one method."""
    if method in ("only-question", "all-text", "all-code"):
        return _single(method, question, setup)
    if method not in NEEDS_STEERER:
        raise ValueError(f"unknown method {method!r}")
    if setup.steer is None:
        raise ValueError(f"--method {method} needs a steering model")
    options: dict[str, Any] = {}
    if setup.executor is not None:
        options["executor"] = setup.executor
    return steer_loop(
        question,
        task=setup.task,
        steer=setup.steer,
        max_rounds=0 if method == "code-text-choice" else setup.max_rounds,
        allow_code=setup.executor is not None,
        self_check_enabled=setup.self_check and method == "codesteer",
        steer_mode="local" if setup.steer_mode == "local" else "api",
        task_params=setup.task_params,
        on_event=on_event,
        **options,
    )


def _single(method: str, question: str, setup: MethodSetup) -> SteerResult:
    """One TaskLLM answer (with its program run for all-code), recorded as a one-round transcript."""
    start = time.perf_counter()
    guide = {"only-question": "", "all-text": TEXT_GUIDE, "all-code": CODE_GUIDE}[method]
    user = task_first_turn(guide, question) if guide else question
    rec = RoundRecord(0, guidance=guide, control={"all-text": TEXT, "all-code": CODE}.get(method), task_input=user)
    calls: list[CallRecord] = rec.calls
    rec.answer = call_model(setup.task, [{"role": "user", "content": user}], setup.task_params, "task", calls)
    rec.timings["task_s"] = round(time.perf_counter() - start, 6)
    result = SteerResult(question, rounds=[rec], stop_reason="single_answer", final_response=rec.answer)
    result.settings = {"method": method, "task": getattr(setup.task, "name", "")}
    result.text_answer = last_answer(rec.answer)
    if method == "all-code":
        rec.code = first_code_block(rec.answer)
        if rec.code is not None:
            if setup.executor is None:
                raise CodeExecutionNotAllowed("all-code needs --allow-code-execution to run the answer's program")
            ran = time.perf_counter()
            rec.execution = exec_dict(setup.executor(rec.code))
            rec.timings["exec_s"] = round(time.perf_counter() - ran, 6)
            result.final_execution = rec.execution
            stdout = rec.execution.get("stdout", "")
            result.code_answer = last_answer(stdout, outside_code=False) or stdout.strip() or None
    result.seconds = round(time.perf_counter() - start, 6)
    result.task_messages = [{"role": "user", "content": user}, {"role": "assistant", "content": rec.answer}]
    return result
