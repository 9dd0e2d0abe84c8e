"""The five ways a SymBench question is answered, with scripted models and a recording executor (no process)."""

from __future__ import annotations

import pytest

from nsllm_cli.providers.scripted import ScriptedProvider
from nsllm_cli.sandbox import ExecResult
from nsllm_cli.steer.loop import CodeExecutionNotAllowed
from nsllm_cli.steer.prompts import CODE, CODE_GUIDE, TEXT, TEXT_GUIDE, task_first_turn
from nsllm_cli.symbench_run.methods import METHODS, NEEDS_STEERER, PAPER_NAMES, RUNS_CODE, MethodSetup, answer

Q = "Sort 3 1 2. Answer as <<<a b c>>>."
CODE_REPLY = "Sorting:\n```python\nprint('<<<1 2 3>>>')\n```\nDone <<<placeholder>>>"


class Recorder:
    """An executor that records each program and prints a fixed output."""

    def __init__(self, stdout: str) -> None:
        self.codes: list[str] = []
        self.stdout = stdout

    def __call__(self, code: str) -> ExecResult:
        self.codes.append(code)
        return ExecResult(self.stdout, "", 0)


def test_every_method_has_a_paper_row_and_known_needs() -> None:
    assert set(PAPER_NAMES) == set(METHODS)
    assert NEEDS_STEERER <= set(METHODS) and RUNS_CODE <= set(METHODS)


def test_only_question_sends_the_question_alone() -> None:
    task = ScriptedProvider(["It is <<<1 2 3>>>."], name="task")
    result = answer("only-question", Q, MethodSetup(task=task))
    assert task.requests == [[{"role": "user", "content": Q}]]
    assert result.answer == "1 2 3" and result.stop_reason == "single_answer" and len(result.rounds) == 1
    assert result.rounds[0].control is None and result.settings == {"method": "only-question", "task": "task"}
    assert result.task_messages[-1] == {"role": "assistant", "content": "It is <<<1 2 3>>>."}
    assert result.final_execution is None and [c.role for c in result.calls] == ["task"]


def test_all_text_sends_the_text_guide_first() -> None:
    task = ScriptedProvider(["<<<1 2 3>>>"], name="task")
    result = answer("all-text", Q, MethodSetup(task=task))
    assert task.requests[0][0]["content"] == task_first_turn(TEXT_GUIDE, Q)
    assert result.rounds[0].control == TEXT and result.rounds[0].guidance == TEXT_GUIDE


def test_all_code_runs_the_answers_program_and_reads_its_output() -> None:
    task = ScriptedProvider([CODE_REPLY], name="task")
    executor = Recorder("<<<1 2 3>>>\n")
    result = answer("all-code", Q, MethodSetup(task=task, executor=executor))
    assert task.requests[0][0]["content"] == task_first_turn(CODE_GUIDE, Q)
    assert executor.codes == ["print('<<<1 2 3>>>')"] and result.rounds[0].control == CODE
    assert result.code_answer == "1 2 3" and result.text_answer == "placeholder"
    assert result.final_execution is not None and result.final_execution["ok"]
    bare = answer("all-code", Q, MethodSetup(task=ScriptedProvider([CODE_REPLY]), executor=Recorder(" 1 2 3 \n")))
    assert bare.code_answer == "1 2 3"  # no <<<>>> in the output: its stripped stdout


def test_all_code_without_permission_refuses_only_when_there_is_code() -> None:
    with pytest.raises(CodeExecutionNotAllowed, match="allow-code-execution"):
        answer("all-code", Q, MethodSetup(task=ScriptedProvider([CODE_REPLY])))
    plain = answer("all-code", Q, MethodSetup(task=ScriptedProvider(["<<<1 2 3>>>"])))
    assert plain.answer == "1 2 3" and plain.final_execution is None


def test_code_text_choice_asks_the_steerer_once() -> None:
    task = ScriptedProvider(["<<<1 2 3>>>"], name="task")
    steerer = ScriptedProvider(["<<<Text>>>"], name="steer")  # a second question would exhaust the script
    result = answer("code-text-choice", Q, MethodSetup(task=task, steer=steerer))
    assert len(steerer.requests) == 1 and result.answer == "1 2 3"
    assert [c.role for c in result.calls] == ["steer", "task"]


def test_codesteer_runs_rounds_until_the_steerer_returns_the_answer() -> None:
    task = ScriptedProvider(["<<<3 2 1>>>", "<<<1 2 3>>>"], name="task")
    steerer = ScriptedProvider(["<<<Text>>>", "<<<Check the order>>>", "<<<Return Answer>>>"], name="steer")
    result = answer("codesteer", Q, MethodSetup(task=task, steer=steerer, self_check=False))
    assert result.answer == "1 2 3" and result.stop_reason == "return_answer"
    assert len(task.requests) == 2 and len(steerer.requests) == 3


def test_unknown_method_and_missing_steerer_are_refused() -> None:
    task = ScriptedProvider([])
    with pytest.raises(ValueError, match="unknown method"):
        answer("guess", Q, MethodSetup(task=task))
    with pytest.raises(ValueError, match="needs a steering model"):
        answer("codesteer", Q, MethodSetup(task=task))
