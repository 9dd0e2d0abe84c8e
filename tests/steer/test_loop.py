"""The steering loop end to end with scripted models (codesteer.md section 2)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from nsllm_cli.providers.base import Completion, GenParams, Message, Provider, Usage
from nsllm_cli.providers.scripted import ScriptedProvider
from nsllm_cli.sandbox import ExecResult, run_code
from nsllm_cli.steer.loop import LOCAL_STEER_PARAMS, CodeExecutionNotAllowed, asteer, steer
from nsllm_cli.steer.prompts import (
    CHOICE_PROMPT,
    CODE_GUIDE,
    DECISION_PROMPT,
    TEXT_GUIDE,
    control_of,
    estimate_tokens,
    over_token_limit,
)
from nsllm_cli.steer.records import SteerResult
from nsllm_cli.steer.self_check import DID_NOT_WORK, NO_CODE, self_check
from tests._protocol import protocol_mismatches

Q = "Order the numbers 3 1 2 from small to large. Answer as <<<a b c>>>."
CHECK_OK = "```python\nprint('Correct')\n```"
CODE_ANSWER = "I sort them.\n```python\nnums = [3, 1, 2]\nprint('<<<' + ' '.join(map(str, sorted(nums))) + '>>>')\n```"


class FakeExec:
    """An executor that records programs and answers from a function of the code (no process)."""

    def __init__(self, stdout: str = "", stderr: str = "", returncode: int = 0, **extra: Any) -> None:
        self.codes: list[str] = []
        self.result = ExecResult(stdout, stderr, returncode, **extra)

    def __call__(self, code: str) -> ExecResult:
        self.codes.append(code)
        if "Correct" in code:
            return ExecResult("Correct\n", "", 0)
        return self.result


def scripted(*answers: str | Completion, name: str = "scripted") -> ScriptedProvider:
    return ScriptedProvider(list(answers), name=name)


def test_scripted_provider_follows_the_protocol() -> None:
    provider = scripted("x")
    assert protocol_mismatches(ScriptedProvider, Provider) == []
    assert isinstance(provider.name, str) and isinstance(provider.last_usage, Usage)


def test_protocol_check_rejects_a_provider_with_a_wrong_method() -> None:
    """The check above can fail: a sync `acomplete`, a lost `params` and a missing `astream` are each named."""

    class Broken(ScriptedProvider):
        def acomplete(self, messages: list[Message], params: GenParams | None = None) -> Completion:  # type: ignore[override]
            return self.complete(messages, params)

        def stream(self, messages: list[Message]) -> Iterator[str]:  # type: ignore[override]
            yield ""

    no_astream = type("NoAstream", (), {k: v for k, v in vars(ScriptedProvider).items() if k != "astream"})
    assert protocol_mismatches(Broken, Provider) == [
        "acomplete: must be async def",
        "stream: takes (messages), the protocol (messages, params=...)",
    ]
    assert protocol_mismatches(no_astream, Provider) == ["astream: missing"]
    assert isinstance(Broken(["x"]), Provider)  # which isinstance alone would not see


def test_text_path_ends_on_return_answer() -> None:
    task = scripted("Smallest first: <<<1 2 3>>>", name="task")
    steerer = scripted("<<<Text>>>", "Looks right. <<<Return Answer>>>", name="steer")
    checker = scripted(CHECK_OK, name="checker")
    ex = FakeExec()
    result = steer(Q, task=task, steer=steerer, checker_llm=checker, allow_code=True, executor=ex)

    assert result.answer == "1 2 3" and result.stop_reason == "return_answer"
    assert [r.control for r in result.rounds] == ["Text", "Return Answer"]
    assert task.requests == [[{"role": "user", "content": TEXT_GUIDE + "\n" + Q}]]
    assert steerer.requests[0] == [{"role": "user", "content": CHOICE_PROMPT + Q}]
    second = steerer.requests[1]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert second[1]["content"] == TEXT_GUIDE
    fb = second[2]["content"]
    assert fb.startswith(DECISION_PROMPT + Q)  # API mode repeats the question every turn
    assert "## Solver's answer\nSmallest first: <<<1 2 3>>>" in fb and "## Checker's verdict\nCorrect" in fb
    assert "Code complexity summary" not in fb  # no code, no summary
    assert ex.codes == ["print('Correct')"]  # only the checker's program ran
    assert result.rounds[0].self_check is not None and result.rounds[0].self_check["feedback"] == "Correct"


def test_code_path_runs_the_first_block_in_the_real_sandbox() -> None:
    task = scripted(CODE_ANSWER + "\n```python\nprint('second block never runs')\n```", name="task")
    steerer = scripted("<<<Code>>>", "<<<Return Answer>>>", name="steer")
    checker = scripted(CHECK_OK, name="checker")
    events: list[tuple[str, dict[str, Any]]] = []
    result = steer(
        Q, task=task, steer=steerer, checker_llm=checker, allow_code=True, executor=run_code,
        on_event=lambda kind, payload: events.append((kind, payload)),
    )  # fmt: skip

    first = result.rounds[0]
    assert first.task_input == CODE_GUIDE + "\n" + Q
    assert first.execution is not None and first.execution["stdout"] == "<<<1 2 3>>>\n" and first.execution["ok"]
    assert first.symbolic is not None and first.symbolic["valid"]
    fb = steerer.requests[1][-1]["content"]
    assert "Execution result:\noutput:\n<<<1 2 3>>>" in fb and "## Code complexity summary" in fb
    assert "second block never runs" not in json.dumps(first.execution)
    assert result.code_answer == "1 2 3" and result.text_answer is None and result.answer == "1 2 3"
    assert result.final_execution == first.execution  # reused, not run twice
    kinds = [k for k, _ in events]
    assert kinds == [
        "start", "round_start", "steer", "task_answer", "round_start",
        "symbolic", "exec_result", "self_check", "steer", "finish",
    ]  # fmt: skip


def test_multi_round_guidance_reaches_the_task_model_and_exec_output_does_not() -> None:
    task = scripted("```python\nprint('<<<1 2 3>>>')\n```", CODE_ANSWER, "Done: <<<1 2 3>>>", name="task")
    steerer = scripted(
        "<<<Code>>>",
        "It only prints. <<<Sort the list with a program instead of printing a fixed answer>>>",
        "<<<Text>>>",
        "<<<Return Answer>>>",
        name="steer",
    )
    checker = scripted(*[CHECK_OK] * 3, name="checker")
    ex = FakeExec(stdout="<<<1 2 3>>>\n")
    result = steer(Q, task=task, steer=steerer, checker_llm=checker, allow_code=True, executor=ex)

    assert [r.control for r in result.rounds] == ["Code", None, "Text", "Return Answer"]
    assert result.rounds[1].guidance == "Sort the list with a program instead of printing a fixed answer"
    last = task.requests[-1]
    assert [m["content"] for m in last if m["role"] == "user"] == [
        CODE_GUIDE + "\n" + Q,
        "Sort the list with a program instead of printing a fixed answer",
        TEXT_GUIDE,
    ]
    assert all("Execution result" not in m["content"] for m in last)  # the paper: the task never sees it
    assert result.rounds[0].symbolic is not None and result.rounds[0].symbolic["hardcoded_answer"]
    assert "too simple" in steerer.requests[1][-1]["content"]
    # the steerer's history holds the extracted guidance, the task model's history its raw answers
    assert steerer.requests[3][3]["content"] == "Sort the list with a program instead of printing a fixed answer"
    assert result.answer == "1 2 3" and len(result.rounds) == 4


def test_task_sees_exec_appends_the_result_to_its_own_answer() -> None:
    task = scripted(CODE_ANSWER, "<<<1 2 3>>>", name="task")
    steerer = scripted("<<<Code>>>", "<<<Now answer in words>>>", "<<<Return Answer>>>", name="steer")
    ex = FakeExec(stdout="<<<1 2 3>>>\n")
    steer(Q, task=task, steer=steerer, allow_code=True, executor=ex, task_sees_exec=True, self_check_enabled=False)
    assert task.requests[1][1]["role"] == "assistant"
    assert (
        task.requests[1][1]["content"].startswith(CODE_ANSWER) and "Execution result" in task.requests[1][1]["content"]
    )


@pytest.mark.parametrize(
    "near_miss",
    [
        "Do not Terminate yet, and do not Return Answer: <<<Check the order again>>>",
        "<<<terminate>>>",
        "<<<Return Answer now>>>",
        "<<<Terminate>>> was tempting, but <<<Recheck the second number>>>",
        "<<<Code >>> maybe? <<<Return the answer>>>",
    ],
)
def test_only_exact_control_tokens_end_the_loop(near_miss: str) -> None:
    task = scripted("<<<1 2 3>>>", "<<<1 2 3>>>", name="task")
    steerer = scripted("<<<Text>>>", near_miss, "<<<Terminate>>>", name="steer")
    result = steer(Q, task=task, steer=steerer, max_rounds=5, self_check_enabled=False)
    assert result.rounds[1].control is None and result.rounds[1].answer == "<<<1 2 3>>>"
    assert result.stop_reason == "terminate" and len(result.rounds) == 3


def test_legacy_substring_matching_stops_on_a_mention() -> None:
    task = scripted("<<<1 2 3>>>", "<<<1 2 3>>>", name="task")
    steerer = scripted("<<<Text>>>", "Do not Terminate yet: <<<Check the order again>>>", name="steer")
    substring = steer(Q, task=task, steer=steerer, stop_match="substring", self_check_enabled=False, max_rounds=1)
    assert substring.stop_reason == "max_rounds"  # the extracted guidance no longer contains the word
    task = scripted("<<<1 2 3>>>", name="task")
    steerer = scripted("<<<Text>>>", "<<<Do not Terminate yet>>>", name="steer")
    substring = steer(Q, task=task, steer=steerer, stop_match="substring", self_check_enabled=False, max_rounds=1)
    assert substring.stop_reason == "terminate"


@pytest.mark.parametrize("max_rounds", [0, 1, 3])
def test_max_rounds_bounds_answers_and_guidances(max_rounds: int) -> None:
    task = ScriptedProvider(["<<<1 2 3>>>"] * 10, name="task")
    steerer = ScriptedProvider(["<<<Text>>>"] + ["<<<Try once more>>>"] * 10, name="steer")
    result = steer(Q, task=task, steer=steerer, max_rounds=max_rounds, self_check_enabled=False)
    assert result.stop_reason == "max_rounds"
    assert len(task.requests) == max_rounds + 1 and len(steerer.requests) == max_rounds + 1
    assert len(result.rounds) == max_rounds + 1


def test_code_without_permission_is_an_error_with_a_partial_transcript() -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    with pytest.raises(CodeExecutionNotAllowed, match="--allow-code-execution"):
        steer(Q, task=scripted("x"), steer=scripted("<<<Code>>>"), on_event=lambda k, p: events.append((k, p)))
    assert events[-1][0] == "error" and events[-1][1]["transcript"]["rounds"][0]["control"] == "Code"
    task = scripted(CODE_ANSWER)
    with pytest.raises(CodeExecutionNotAllowed, match="task model wrote Python code in round 0"):
        steer(Q, task=task, steer=scripted("<<<Text>>>"))


def test_a_steerer_that_never_chooses_fails_after_one_reask() -> None:
    steerer = scripted("I would write some code.", "Code, probably.", name="steer")
    task = scripted(name="task")
    result = steer(Q, task=task, steer=steerer)
    assert result.failed and result.stop_reason == "no_choice" and result.answer is None
    assert len(steerer.requests) == 2 and task.requests == []
    assert "neither <<<Code>>> nor <<<Text>>>" in (result.error or "")
    reasked = scripted("I would write some code.", "<<<Text>>>", name="steer")
    ok = steer(Q, task=scripted("<<<1 2 3>>>"), steer=reasked, max_rounds=0)
    assert ok.answer == "1 2 3" and [c.role for c in ok.rounds[0].calls] == ["steer", "steer", "task"]


def test_local_steerer_sees_feedback_only_and_its_whole_reply_is_guidance() -> None:
    task = scripted("<<<3 2 1>>>", "<<<1 2 3>>>", name="task")
    guidance = "Careful: small to large means ascending. Give the numbers again."
    steerer = scripted("Reason step by step about the order.", guidance, "<<<Return Answer>>>", name="local:x")
    result = steer(Q, task=task, steer=steerer, steer_mode="local", self_check_enabled=False)
    assert task.requests[0][0]["content"] == "Reason step by step about the order.\n" + Q
    assert task.requests[1][-1]["content"] == guidance
    later = steerer.requests[1][-1]["content"]
    assert later.startswith("## Solver's answer") and Q not in later  # the question is not repeated
    assert result.rounds[1].steer_input_train == later and result.answer == "1 2 3"
    assert steerer.params[0] == LOCAL_STEER_PARAMS  # sampled, as the paper's trained steerer


def test_usage_is_summed_over_every_call() -> None:
    task = scripted(Completion("<<<1 2 3>>>", Usage(100, 10)), name="task")
    steerer = scripted(Completion("<<<Text>>>", Usage(50, 2)), Completion("<<<Return Answer>>>", Usage(80, 4)))
    checker = scripted(Completion(CHECK_OK, Usage(120, 15)), name="checker")
    result = steer(Q, task=task, steer=steerer, checker_llm=checker, allow_code=True, executor=FakeExec())
    assert result.usage == Usage(350, 31)
    by_role = result.usage_by_role()
    assert (
        by_role["task"] == Usage(100, 10) and by_role["steer"] == Usage(130, 6) and by_role["checker"] == Usage(120, 15)
    )
    data = result.to_dict()
    assert data["usage"] == {"prompt_tokens": 350, "completion_tokens": 31, "total_tokens": 381}
    assert sum(r["usage"]["total_tokens"] for r in data["rounds"]) == 381


def test_transcript_json_round_trips() -> None:
    task = scripted(CODE_ANSWER, "<<<1 2 3>>>", name="task")
    steerer = scripted("<<<Code>>>", "<<<Explain it in words>>>", "<<<Return Answer>>>", name="steer")
    checker = scripted(CHECK_OK, CHECK_OK, name="checker")
    ex = FakeExec(stdout="<<<1 2 3>>>\n")
    result = steer(Q, task=task, steer=steerer, checker_llm=checker, allow_code=True, executor=ex)
    text = result.to_json()
    again = SteerResult.from_json(text)
    assert again.to_dict() == json.loads(text) == result.to_dict()
    assert again.usage == result.usage and again.answer == "1 2 3"


def test_replaying_a_transcript_reproduces_the_run(tmp_path: Any) -> None:
    task = scripted(CODE_ANSWER, "<<<1 2 3>>>", name="task")
    steerer = scripted("<<<Code>>>", "<<<Explain it in words>>>", "<<<Return Answer>>>", name="steer")
    ex = FakeExec(stdout="<<<1 2 3>>>\n")
    first = steer(Q, task=task, steer=steerer, checker_llm=scripted(CHECK_OK, CHECK_OK), allow_code=True, executor=ex)
    path = tmp_path / "transcript.json"
    path.write_text(first.to_json())
    replay = {role: ScriptedProvider.from_spec(f"replay:{path}#{role}") for role in ("task", "steer", "checker")}
    second = steer(
        Q, task=replay["task"], steer=replay["steer"], checker_llm=replay["checker"], allow_code=True, executor=ex
    )
    assert [r.answer for r in second.rounds] == [r.answer for r in first.rounds]
    assert all(p.remaining == 0 for p in replay.values())


def test_final_code_is_run_when_no_round_evaluated_it() -> None:
    task = scripted("<<<1 2 3>>>", CODE_ANSWER, name="task")
    steerer = scripted("<<<Text>>>", "<<<Code>>>", name="steer")
    ex = FakeExec(stdout="<<<1 2 3>>>\n")
    result = steer(Q, task=task, steer=steerer, max_rounds=1, allow_code=True, executor=ex, self_check_enabled=False)
    assert result.stop_reason == "max_rounds" and result.code_answer == "1 2 3"
    assert len(ex.codes) == 1 and result.rounds[1].execution is not None


def test_long_output_and_timeouts_are_reported_as_notes() -> None:
    task = scripted(CODE_ANSWER, name="task")
    steerer = scripted("<<<Code>>>", "<<<Terminate>>>", name="steer")
    ex = FakeExec(stdout="word " * 3000, timed_out=True, returncode=-9, duration_s=10.02, killed_reason="timeout")
    result = steer(Q, task=task, steer=steerer, allow_code=True, executor=ex, self_check_enabled=False)
    fb = steerer.requests[1][-1]["content"]
    assert "Execution output too long to show" in fb and "word word" not in fb
    assert result.stop_reason == "terminate"
    task = scripted(CODE_ANSWER, name="task")
    steerer = scripted("<<<Code>>>", "<<<Terminate>>>", name="steer")
    ex = FakeExec(stdout="", timed_out=True, returncode=-9, duration_s=10.02, killed_reason="timeout")
    steer(Q, task=task, steer=steerer, allow_code=True, executor=ex, self_check_enabled=False)
    assert "stopped after 10 s (time limit)" in steerer.requests[1][-1]["content"]


def test_self_check_retries_show_the_previous_error() -> None:
    checker = scripted(
        "I think it is fine.",
        "```python\nraise ValueError('bad check')\n```",
        "```python\nprint('Correct')\n```",
        name="checker",
    )

    def executor(code: str) -> ExecResult:
        if "raise" in code:
            return ExecResult("", "ValueError: bad check\n", 1)
        return ExecResult("Correct\n", "", 0)

    check = self_check(Q, "<<<1 2 3>>>", provider=checker, executor=executor)
    assert check.feedback == "Correct" and len(check.attempts) == 2 and len(check.calls) == 3
    last = checker.requests[-1]
    assert "no ```python block" in last[2]["content"] and "ValueError: bad check" in last[-1]["content"]
    silent = scripted(*["No code from me."] * 5)
    assert self_check(Q, "x", provider=silent, executor=executor).feedback == NO_CODE
    assert len(silent.requests) == 5
    failing = scripted(*["```python\nraise ValueError('bad check')\n```"] * 3)
    assert self_check(Q, "x", provider=failing, executor=executor).feedback == "ValueError: bad check"
    flood = scripted(*["```python\nprint('x' * 10**6)\n```"] * 3)
    flooded = self_check(Q, "x", provider=flood, executor=lambda code: ExecResult("y " * 5000, "", 0))
    assert flooded.feedback == DID_NOT_WORK
    assert self_check(Q, "x", provider=scripted(), executor=None).skipped


def test_the_checker_defaults_to_the_task_model() -> None:
    task = scripted("<<<1 2 3>>>", CHECK_OK, name="task")
    steer(Q, task=task, steer=scripted("<<<Text>>>", "<<<Return Answer>>>"), allow_code=True, executor=FakeExec())
    assert len(task.requests) == 2 and task.requests[1][0]["content"].startswith("Below are a task")


def test_should_stop_ends_cleanly_and_asteer_runs_in_a_thread() -> None:
    result = steer(Q, task=scripted("<<<1 2 3>>>"), steer=scripted("<<<Text>>>"), should_stop=lambda: True)
    assert result.stop_reason == "stopped" and result.answer == "1 2 3"
    out = asyncio.run(asteer(Q, task=scripted("<<<4>>>"), steer=scripted("<<<Text>>>"), max_rounds=0))
    assert out.answer == "4"


def test_control_tokens_and_token_cap_helpers() -> None:
    assert control_of("<<<Code>>>") == "Code" and control_of("Terminate") == "Terminate"
    assert control_of("I pick <<<Text>>>") == "Text" and control_of("<<<Text>>> no wait, <<<Code>>>") == "Code"
    assert control_of("Return Answer, I think") is None and control_of("<<<TEXT>>>") is None
    assert control_of("let us Terminate", match="substring") == "Terminate"
    text = "a, b " * 700  # 2100 estimated tokens
    assert estimate_tokens(text) == 2100
    assert over_token_limit(text, 2000) and not over_token_limit(text, 2100) and not over_token_limit("x" * 50, 10)
