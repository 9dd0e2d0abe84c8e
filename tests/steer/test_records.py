"""Steering records: JSON out and back for calls, rounds and whole transcripts, and the derived totals."""

from __future__ import annotations

import json

from nsllm_cli.providers.base import Completion, Usage
from nsllm_cli.providers.scripted import ScriptedProvider
from nsllm_cli.sandbox import ExecResult
from nsllm_cli.steer.records import (
    CallRecord,
    RoundRecord,
    SteerResult,
    call_model,
    exec_dict,
    usage_dict,
    usage_from,
)


def _result() -> SteerResult:
    """A two-round code run, built by hand: a choice round, then an answer whose program printed the answer."""
    choice = RoundRecord(
        0,
        steer_input="choose",
        steer_output="<<<Code>>>",
        control="Code",
        calls=[CallRecord("steer", "gpt-x", "<<<Code>>>", Usage(50, 2), 0.5)],
    )
    answer = RoundRecord(
        1,
        steer_output="<<<Return Answer>>>",
        control="Return Answer",
        answer="```python\nprint('<<<1 2 3>>>')\n```",
        code="print('<<<1 2 3>>>')",
        execution=exec_dict(ExecResult("<<<1 2 3>>>\n", "", 0, duration_s=0.25)),
        self_check={"feedback": "Correct"},
        calls=[
            CallRecord("task", "small", "```python ...```", Usage(100, 10), 1.0, cached=True),
            CallRecord("checker", "small", "Correct", Usage(120, 15)),
            CallRecord("steer", "gpt-x", "<<<Return Answer>>>", Usage(80, 4)),
        ],
        timings={"execute": 0.25},
    )
    return SteerResult(
        "Order 3 1 2.",
        rounds=[choice, answer],
        stop_reason="return_answer",
        final_response=answer.answer,
        code_answer="1 2 3",
        seconds=2.5,
        settings={"max_rounds": 5, "models": ["gpt-x", "small"]},
        steer_messages=[{"role": "user", "content": "choose"}],
        task_messages=[{"role": "user", "content": "Order 3 1 2."}],
    )


def test_usage_json_carries_the_total_and_reads_back_without_it() -> None:
    assert usage_dict(Usage(3, 4)) == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    assert usage_from({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 999}) == Usage(3, 4)
    assert usage_from(None) == Usage() and usage_from({}) == Usage()


def test_exec_dict_adds_ok() -> None:
    assert exec_dict(ExecResult("hi\n", "", 0))["ok"] is True
    failed = exec_dict(ExecResult("", "boom", 1, killed_reason="timeout", timed_out=True))
    assert failed["ok"] is False and failed["stderr"] == "boom" and failed["killed_reason"] == "timeout"


def test_call_and_round_records_round_trip() -> None:
    call = CallRecord("task", "m", "text", Usage(5, 6), 1.5, cached=True)
    assert CallRecord.from_dict(json.loads(json.dumps(call.to_dict()))) == call
    assert CallRecord.from_dict({"role": "steer"}) == CallRecord("steer", "", "")  # older records: defaults
    rnd = _result().rounds[1]
    data = json.loads(json.dumps(rnd.to_dict()))
    assert data["usage"] == {"prompt_tokens": 300, "completion_tokens": 29, "total_tokens": 329}
    assert RoundRecord.from_dict(data) == rnd  # the derived `usage` key is not read back as a field


def test_transcript_json_round_trips_and_derives_its_totals() -> None:
    result = _result()
    text = result.to_json()
    again = SteerResult.from_json(text)
    assert again == result and again.to_dict() == json.loads(text)
    data = json.loads(text)
    assert data["answer"] == "1 2 3" and not data["failed"]
    assert data["n_rounds"] == 2 and data["n_answers"] == 1
    assert data["usage"]["total_tokens"] == 52 + 110 + 135 + 84
    assert data["usage_by_role"]["steer"] == usage_dict(Usage(130, 6))
    assert [c.role for c in again.calls] == ["steer", "task", "checker", "steer"]
    assert json.loads(result.to_json(indent=None)) == data


def test_answer_prefers_the_text_answer_and_a_run_without_answer_failed() -> None:
    assert SteerResult("q", text_answer="a", code_answer="b", final_response="x").answer == "a"
    empty = SteerResult("q", stop_reason="no_choice")
    assert empty.failed and empty.answer is None and empty.usage == Usage()
    assert SteerResult.from_dict({"question": "q"}) == SteerResult("q")


def test_call_model_records_each_call() -> None:
    provider = ScriptedProvider([Completion("four", Usage(7, 1), model="m-1", cached=True), "five"], name="p")
    calls: list[CallRecord] = []
    assert call_model(provider, [{"role": "user", "content": "2+2?"}], None, "task", calls) == "four"
    assert call_model(provider, [{"role": "user", "content": "2+3?"}], None, "checker", calls) == "five"
    assert [(c.role, c.model, c.text, c.usage, c.cached) for c in calls] == [
        ("task", "m-1", "four", Usage(7, 1), True),
        ("checker", "p", "five", Usage(), False),
    ]
    assert all(c.seconds >= 0 for c in calls)
