"""Reading the final answer: the task's parser on the prose and on the program's output, the LLM only as fallback."""

from __future__ import annotations

from typing import Any

from nsllm_cli.providers.scripted import ScriptedProvider
from nsllm_cli.steer.final_answer import EXTRACT_PARAMS, extract, scored_text
from nsllm_cli.steer.records import SteerResult
from nsllm_cli.symbench.base import Instance, Task

TASK = Task()  # the base parser: the last <<<...>>>, stripped
QUESTION = Instance("demo", "1", "Sort 3 1 2. Answer as <<<a b c>>>.")


def _result(response: str | None, stdout: str | None = None) -> SteerResult:
    execution: dict[str, Any] | None = None if stdout is None else {"stdout": stdout, "returncode": 0}
    return SteerResult(QUESTION.question, final_response=response, final_execution=execution)


def test_scored_text_drops_the_code_and_appends_the_program_output() -> None:
    response = "Here:\n```python\nprint('<<<9 9 9>>>')\n```\nso <<<placeholder>>>"
    assert scored_text(_result(response, "<<<1 2 3>>>\n")) == "Here:\nso <<<placeholder>>>\n<<<1 2 3>>>\n"
    assert scored_text(_result(None)) == ""
    assert scored_text(_result("text", "  \n")) == "text"  # blank output is not appended


def test_the_parser_reads_the_prose_and_the_programs_output() -> None:
    found = extract(TASK, QUESTION, _result("It is <<<1 2 3>>>."))
    assert (found.text_answer, found.text_via, found.code_answer, found.code_ran) == ("1 2 3", "parser", None, False)
    assert found.via == "parser" and not found.rescued_by_llm
    found = extract(TASK, QUESTION, _result("```python\nprint('<<<0>>>')\n```", "<<<1 2 3>>>\n"))
    assert (found.text_answer, found.code_answer, found.code_via, found.via) == (None, "1 2 3", "parser", "parser")


def test_bare_program_output_is_read_as_the_answer() -> None:
    found = extract(TASK, QUESTION, _result("I ran it.", "1 2 3\n"))
    assert found.code_answer == "1 2 3" and found.code_via == "stdout" and found.via == "stdout"


def test_the_llm_fallback_runs_only_when_nothing_was_found() -> None:
    extractor = ScriptedProvider(["The answer is <<<1 2 3>>>"], name="extractor")
    found = extract(TASK, QUESTION, _result("It is <<<3 2 1>>>."), extractor)
    assert extractor.requests == [] and found.calls == []  # the parser found it: no call
    found = extract(TASK, QUESTION, _result("Sorted, it reads one two three."), extractor)
    assert found.text_answer == "1 2 3" and found.text_via == "llm" and found.rescued_by_llm
    assert [c.role for c in found.calls] == ["extractor"]
    prompt = extractor.requests[0][0]["content"]
    assert QUESTION.question in prompt and "one two three" in prompt and extractor.params == [EXTRACT_PARAMS]


def test_the_llm_fills_the_code_answer_when_code_ran_and_none_means_none() -> None:
    extractor = ScriptedProvider(["<<<1 2 3>>>", "<<<NONE>>>"], name="extractor")
    ran = _result("```python\nimport sys\n```", "")  # code ran and printed nothing
    found = extract(TASK, QUESTION, ran, extractor)
    assert found.code_answer is None and found.calls == []  # nothing to show the extractor
    found = extract(TASK, QUESTION, _result("```python\nx = 1\n```\nDone, see above.", ""), extractor)
    assert found.code_ran and found.code_answer == "1 2 3" and found.code_via == "llm" and found.text_answer is None
    found = extract(TASK, QUESTION, _result("No idea."), extractor)
    assert found.text_answer is None and found.text_via is None and len(found.calls) == 1
