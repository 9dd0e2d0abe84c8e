"""The CodeSteer loop: a steerer guides a task model between code and text over several rounds (codesteer.md §2).

Round 0 asks the steerer to choose code or text; each later round shows it the last answer with its
execution result, the Symbolic Checker's summary and the Self-answer Checker's verdict, and takes its
next guidance. The loop ends on an exact `<<<Return Answer>>>` / `<<<Terminate>>>`, or after `max_rounds`.

The loop is synchronous and keeps no global state, so a runner can call it from many threads at once
(or use :func:`asteer`). It reports progress only through `on_event(kind, payload)`; it never prints.

Example:
    >>> result = steer("Sort 3 1 2. Answer as <<<...>>>.", task=task, steer=steerer, allow_code=True)  # doctest: +SKIP
    >>> result.answer, result.stop_reason  # doctest: +SKIP
    ('1 2 3', 'return_answer')
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any, Literal

from nsllm_cli.consent import CodeExecutionNotAllowedError, not_allowed
from nsllm_cli.events import Event, ignore
from nsllm_cli.providers.base import GenParams, Message, Provider
from nsllm_cli.sandbox import ExecResult, run_code
from nsllm_cli.steer.checker import Metric, symbolic_check
from nsllm_cli.steer.extract import first_code_block, last_answer
from nsllm_cli.steer.prefix import check_prefix
from nsllm_cli.steer.prompts import (
    CODE,
    CODE_GUIDE,
    PARAPHRASE_PROMPT,
    REASK_CHOICE,
    STOPS,
    TERMINATE,
    TEXT,
    TEXT_GUIDE,
    TOO_LONG_NOTE,
    Control,
    StopMatch,
    choice_input,
    control_of,
    decision_input,
    exec_note,
    feedback_text,
    guidance_of,
    over_token_limit,
    task_first_turn,
)
from nsllm_cli.steer.records import Executor, RoundRecord, SteerResult, call_model, exec_dict, exec_text
from nsllm_cli.steer.self_check import SelfCheckResult, self_check

SteerMode = Literal["api", "local"]

TASK_PARAMS = GenParams(temperature=0.0, max_tokens=2000)
"""The paper's TaskLLM decoding: temperature 0, at most 2000 new tokens."""

LOCAL_STEER_PARAMS = GenParams(temperature=0.95, max_tokens=1024)
"""A trained local steerer's decoding (LLaMA-Factory's defaults in the paper; top_p/top_k are the provider's)."""

EVENTS = ("start", "round_start", "steer", "task_answer", "exec_result", "symbolic", "self_check", "finish", "error")
"""Every `on_event` kind, in the order they can occur within a round."""


CodeExecutionNotAllowed = CodeExecutionNotAllowedError
"""Raised when model-written code would have to run but `allow_code` is False (the sandbox's error class)."""


class _Run:
    """The state of one steering run (one per call, so concurrent runs share nothing)."""

    def __init__(
        self,
        question: str,
        *,
        task: Provider,
        steer: Provider,
        checker: Provider | None,
        allow_code: bool,
        executor: Executor,
        mode: SteerMode,
        stop_match: StopMatch,
        metric: Metric,
        task_sees_exec: bool,
        task_params: GenParams | None,
        steer_params: GenParams | None,
        checker_params: GenParams | None,
        token_limit: int,
        on_event: Event,
    ) -> None:
        self.q = question
        self.task, self.steer, self.checker = task, steer, checker
        self.allow_code, self.executor = allow_code, executor
        self.mode, self.stop_match, self.metric = mode, stop_match, metric
        self.task_sees_exec = task_sees_exec
        self.task_params, self.steer_params, self.checker_params = task_params, steer_params, checker_params
        self.token_limit = token_limit
        self.emit = on_event
        self.S: list[Message] = []
        self.T: list[Message] = []
        self.result = SteerResult(question)

    def ask_steer(self, rec: RoundRecord, messages: list[Message]) -> str:
        start = time.perf_counter()
        text = call_model(self.steer, messages, self.steer_params, "steer", rec.calls)
        rec.timings["steer_s"] = rec.timings.get("steer_s", 0.0) + round(time.perf_counter() - start, 6)
        return text

    def ask_task(self, rec: RoundRecord, user: str) -> None:
        """Send one user turn to the TaskLLM, store its answer, and refuse code that may not run."""
        self.T.append({"role": "user", "content": user})
        rec.task_input = user
        start = time.perf_counter()
        answer = call_model(self.task, self.T, self.task_params, "task", rec.calls)
        rec.timings["task_s"] = round(time.perf_counter() - start, 6)
        self.T.append({"role": "assistant", "content": answer})
        rec.answer = answer
        rec.code = first_code_block(answer)
        self.emit("task_answer", {"round": rec.index, "answer": answer, "code": rec.code})
        if rec.code is not None and not self.allow_code:
            raise not_allowed(f"the task model wrote Python code in round {rec.index}")

    def execute(self, rec: RoundRecord) -> ExecResult:
        """Run a round's code once (the result is kept on the round and reused)."""
        assert rec.code is not None
        start = time.perf_counter()
        result = self.executor(rec.code)
        rec.timings["exec_s"] = round(time.perf_counter() - start, 6)
        rec.execution = exec_dict(result)
        self.emit("exec_result", {"round": rec.index, **rec.execution})
        return result

    def feedback(self, rec: RoundRecord) -> str:
        """Evaluate a round's answer (run its code, check it) and build the steerer's feedback text."""
        assert rec.answer is not None
        augmented = rec.answer
        summary = None
        if rec.code is not None:
            start = time.perf_counter()
            report = symbolic_check(rec.code, metric=self.metric)
            rec.timings["symbolic_s"] = round(time.perf_counter() - start, 6)
            rec.symbolic = report.to_dict()
            summary = report.summary
            self.emit("symbolic", {"round": rec.index, **rec.symbolic})
            out, err = exec_text(self.execute(rec))
            if rec.execution and rec.execution["truncated"] or over_token_limit(out + err, self.token_limit):
                augmented += "\n\n" + TOO_LONG_NOTE.format(limit=self.token_limit)
            else:
                augmented += exec_note(out, err)
            if self.task_sees_exec:
                self.T[-1] = {"role": "assistant", "content": augmented}  # the flag of codesteer.md §2 / §14.6
        if self.checker is None:
            check = SelfCheckResult("no self-check (disabled)", skipped=True)
        else:
            executor = self.executor if self.allow_code else None
            check = self_check(self.q, augmented, provider=self.checker, executor=executor, params=self.checker_params)
        rec.calls.extend(check.calls)
        rec.timings["self_check_s"] = check.seconds
        rec.self_check = check.to_dict()
        self.emit("self_check", {"round": rec.index, **rec.self_check})
        rec.feedback = feedback_text(augmented, check.feedback, summary)
        return rec.feedback

    def choose(self, rec: RoundRecord, reask: bool) -> Control | None:
        """Round 0 with an API steerer: a code/text choice, asked again once if it names neither."""
        messages: list[Message] = [{"role": "user", "content": rec.steer_input}]
        for attempt in range(2 if reask else 1):
            raw = self.ask_steer(rec, messages)
            rec.steer_output = raw
            control = control_of(raw, match=self.stop_match)
            if control in (CODE, TEXT):
                return control
            if attempt == 0:
                messages += [{"role": "assistant", "content": raw}, {"role": "user", "content": REASK_CHOICE}]
        return None

    def finish(self, run_final_code: bool) -> None:
        """Fill in the final answer: the last TaskLLM answer, its <<<...>>>, and its program's output."""
        last = next((r for r in reversed(self.result.rounds) if r.answer is not None), None)
        if last is None or last.answer is None:
            return
        self.result.final_response = last.answer
        self.result.text_answer = last_answer(last.answer)
        if last.code is not None and self.allow_code and (last.execution is not None or run_final_code):
            if last.execution is None:
                self.execute(last)
            self.result.final_execution = last.execution
            stdout = (last.execution or {}).get("stdout", "")
            self.result.code_answer = last_answer(stdout, outside_code=False) or stdout.strip() or None


def steer(
    question: str,
    *,
    task: Provider,
    steer: Provider,
    checker_llm: Provider | None = None,
    max_rounds: int = 5,
    allow_code: bool = False,
    executor: Executor = run_code,
    steer_mode: SteerMode = "api",
    stop_match: StopMatch = "exact",
    complexity_metric: Metric = "ast",
    task_sees_exec: bool = False,
    self_check_enabled: bool = True,
    paraphrase: bool = False,
    reask_choice: bool = True,
    run_final_code: bool = True,
    task_params: GenParams | None = TASK_PARAMS,
    steer_params: GenParams | None = None,
    checker_params: GenParams | None = None,
    token_limit: int = 2000,
    on_event: Event | None = None,
    should_stop: Callable[[], bool] | None = None,
    prefix: SteerResult | None = None,
) -> SteerResult:
    """Answer `question` with `task`, steered round by round by `steer`.

    Args:
        question: the task text, with its own answer-format instruction (usually `<<<...>>>`).
        task: the TaskLLM.
        steer: the CodeSteerLLM.
        checker_llm: the Self-answer Checker's model; None means the TaskLLM.
        max_rounds: steered rounds after round 0 (the paper's 5: at most 6 answers and 6 guidances).
        allow_code: run model-written code (answers and checking programs) with `executor`. When False, an
            answer with code or a steerer choosing code raises CodeExecutionNotAllowed, and the self-check is
            skipped (it needs to run its program).
        executor: runs one program; the sandbox's `run_code` by default.
        steer_mode: "api" (decision prompt + question every round, guidance = last <<<...>>>) or "local" (a
            trained steerer: feedback only after round 0, its whole reply is the guidance).
        stop_match: "exact" control tokens (default) or the original's "substring" tests.
        complexity_metric: "ast" node counts (default) or the original's "legacy" substring counts.
        task_sees_exec: append each execution result to the TaskLLM's stored answer (off = the paper).
        self_check_enabled: run the Self-answer Checker every round (the paper does).
        paraphrase: have the steerer paraphrase the canonical round-0 guide, as the original's data synthesis did.
        reask_choice: ask the API steerer once more when its round-0 reply is neither <<<Code>>> nor <<<Text>>>.
        run_final_code: run the code of a last answer that no round evaluated, for `code_answer`.
        task_params: TaskLLM decoding (temperature 0, 2000 tokens); None leaves it to the provider.
        steer_params: steerer decoding; None means LOCAL_STEER_PARAMS in local mode, the provider's own in API mode.
        checker_params: checker decoding; None leaves it to the provider.
        token_limit: execution output above this many (estimated) tokens is replaced by a note.
        on_event: `on_event(kind, payload)` for live views; kinds are listed in EVENTS.
        should_stop: polled before each round; True stops the run cleanly (stop_reason "stopped").
        prefix: continue an earlier run of the same question instead of starting afresh (tree sampling for DPO
            data): a cut made by `prefix.prefix_of`. Its rounds and messages are copied, the feedback already
            computed for its last answer is reused, and the steerer is asked anew for the next round; the
            round budget stays `max_rounds` for the whole trajectory (codesteer.md §14.12).

    Returns:
        The rounds, the final answer, how the run ended, and token totals.

    Raises:
        CodeExecutionNotAllowed: code would have to run but `allow_code` is False.
        NsllmError: a provider failed (an "error" event carries the partial transcript first).
        ValueError: `prefix` is of another question, or is not a cut that the loop can continue.
    """
    if prefix is not None:
        check_prefix(prefix, question, max_rounds)
    emit = on_event or ignore
    run = _Run(
        question,
        task=task,
        steer=steer,
        checker=(checker_llm or task) if self_check_enabled else None,
        allow_code=allow_code,
        executor=executor,
        mode=steer_mode,
        stop_match=stop_match,
        metric=complexity_metric,
        task_sees_exec=task_sees_exec,
        task_params=task_params,
        steer_params=steer_params or (LOCAL_STEER_PARAMS if steer_mode == "local" else None),
        checker_params=checker_params,
        token_limit=token_limit,
        on_event=emit,
    )
    result = run.result
    if prefix is not None:
        result.rounds = copy.deepcopy(prefix.rounds)
        run.S, run.T = copy.deepcopy(prefix.steer_messages), copy.deepcopy(prefix.task_messages)
    result.settings = {
        "task": getattr(task, "name", ""),
        "steer": getattr(steer, "name", ""),
        "checker": getattr(checker_llm or task, "name", "") if self_check_enabled else None,
        "max_rounds": max_rounds,
        "allow_code": allow_code,
        "steer_mode": steer_mode,
        "stop_match": stop_match,
        "complexity_metric": complexity_metric,
        "task_sees_exec": task_sees_exec,
        "paraphrase": paraphrase,
    }
    start = time.perf_counter()
    emit("start", {"question": question, "settings": result.settings})
    try:
        _loop(run, max_rounds=max_rounds, paraphrase=paraphrase, reask=reask_choice, should_stop=should_stop)
        run.finish(run_final_code)
    except BaseException as exc:
        result.error = f"{exc.__class__.__name__}: {exc}"
        result.stop_reason = result.stop_reason or "error"
        result.seconds = round(time.perf_counter() - start, 6)
        result.steer_messages, result.task_messages = run.S, run.T
        emit("error", {"error": str(exc), "transcript": result.to_dict()})
        raise
    result.seconds = round(time.perf_counter() - start, 6)
    result.steer_messages, result.task_messages = run.S, run.T
    emit("finish", {"answer": result.answer, "stop_reason": result.stop_reason, "transcript": result.to_dict()})
    return result


def _loop(run: _Run, *, max_rounds: int, paraphrase: bool, reask: bool, should_stop: Callable[[], bool] | None) -> None:
    """The rounds themselves (codesteer.md §2); a run given a prefix starts after its last round."""
    result, q = run.result, run.q
    if result.rounds:  # continuing a prefix: its last round has an answer and that answer's feedback
        rec = result.rounds[-1]
    else:
        first = _round0(run, paraphrase=paraphrase, reask=reask)
        if first is None:
            return
        rec = first

    for index in range(len(result.rounds), max_rounds + 1):
        if should_stop is not None and should_stop():
            result.stop_reason = "stopped"
            return
        prev = rec
        run.emit("round_start", {"round": index})
        feedback = prev.feedback if prev.feedback is not None else run.feedback(prev)
        user = feedback if run.mode == "local" else decision_input(q, feedback)
        rec = RoundRecord(index, steer_input=user, steer_input_train=feedback)
        result.rounds.append(rec)
        raw = run.ask_steer(rec, [*run.S, {"role": "user", "content": user}])
        guidance = (raw if run.mode == "local" else guidance_of(raw)) or raw.strip()
        # Exact matching reads the raw reply, so an API steerer's <<<Code>>> still switches the route; the
        # legacy substring test reads the extracted guidance, as the original did (codesteer.md §2).
        control = control_of(guidance if run.stop_match == "substring" else raw, match=run.stop_match)
        rec.steer_output, rec.guidance, rec.control = raw, guidance, control
        run.S += [{"role": "user", "content": user}, {"role": "assistant", "content": guidance}]
        run.emit("steer", {"round": index, "raw": raw, "guidance": guidance, "control": control})
        if control in STOPS:
            result.stop_reason = "terminate" if control == TERMINATE else "return_answer"
            return
        if control == CODE and not run.allow_code:
            raise not_allowed(f"the steerer asked for code in round {index}")
        run.ask_task(rec, CODE_GUIDE if control == CODE else TEXT_GUIDE if control == TEXT else guidance)
    result.stop_reason = "max_rounds"


def _round0(run: _Run, *, paraphrase: bool, reask: bool) -> RoundRecord | None:
    """The code/text choice and the first answer; None when the run ended there."""
    result, q = run.result, run.q
    rec = RoundRecord(0, steer_input=choice_input(q), steer_input_train=choice_input(q))
    result.rounds.append(rec)
    run.emit("round_start", {"round": 0})
    control: Control | None
    if run.mode == "local":
        raw = run.ask_steer(rec, [{"role": "user", "content": rec.steer_input}])
        rec.steer_output = raw
        control = control_of(raw, match=run.stop_match)
        guide = CODE_GUIDE if control == CODE else TEXT_GUIDE if control == TEXT else raw
        history = raw
        if control in STOPS:  # a trained steerer that gives up before any answer
            rec.guidance, rec.control = raw, control
            result.stop_reason = "terminate" if control == TERMINATE else "return_answer"
            run.emit("steer", {"round": 0, "raw": raw, "guidance": raw, "control": control})
            return None
    else:
        control = run.choose(rec, reask)
        if control is None:
            rec.note = "the steerer chose neither <<<Code>>> nor <<<Text>>>"
            result.stop_reason = "no_choice"
            result.error = f"{rec.note}: {rec.steer_output[:200]!r}"
            run.emit("steer", {"round": 0, "raw": rec.steer_output, "guidance": "", "control": None})
            return None
        guide = CODE_GUIDE if control == CODE else TEXT_GUIDE
        if paraphrase:
            guide = run.ask_steer(rec, [{"role": "user", "content": PARAPHRASE_PROMPT + guide}]).strip() or guide
        history = guide
    rec.guidance, rec.control = guide, control
    run.S += [{"role": "user", "content": rec.steer_input}, {"role": "assistant", "content": history}]
    run.emit("steer", {"round": 0, "raw": rec.steer_output, "guidance": guide, "control": control})
    if control == CODE and not run.allow_code:
        raise not_allowed("the steerer asked for code in round 0")
    run.ask_task(rec, task_first_turn(guide, q))
    return rec


async def asteer(question: str, **kwargs: Any) -> SteerResult:
    """:func:`steer` in a worker thread, for asyncio callers (same keyword arguments)."""
    import asyncio

    return await asyncio.to_thread(steer, question, **kwargs)
