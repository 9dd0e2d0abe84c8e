"""Reading the answer out of a response: the task's deterministic parser first, an LLM only as a logged fallback.

The original passed every answer through a per-task GPT-4o extractor (symbench.md). Here the parser decides;
only when it finds neither a text nor a code answer and an extractor model is configured is the model asked to
restate the final answer as `<<<...>>>`, which the same parser then reads. Every record says which way its
answers came (`parser`, `stdout`, `llm`, or none), so results can count how many answers the model rescued.

It reads a :class:`SteerResult` with a SymBench task's parser, so it sits in the steering layer, above the task
layer (`nsllm_cli.symbench`): the bench runner and the steering-data collector both use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nsllm_cli.providers.base import GenParams, Provider
from nsllm_cli.steer.extract import strip_code
from nsllm_cli.steer.records import CallRecord, SteerResult, call_model
from nsllm_cli.symbench.base import Instance, Task

EXTRACT_PROMPT = """\
Below are a question and a solver's response. Find the solver's FINAL answer in the response and restate it \
exactly, in the format the question asks for, wrapped in <<< and >>>. Do not solve the question yourself and do \
not correct the answer: if the response gives no final answer, reply <<<NONE>>>.

Question:
{question}

Response:
{response}
"""

EXTRACT_PARAMS = GenParams(temperature=0.0, max_tokens=512)


@dataclass
class Extraction:
    """The parsed text answer and code answer (None when not found), how each was found, the extractor call if any.

    The text answer comes from the final response outside its code; the code answer from its program's output
    (codesteer.md §7). `via` is "parser" (the task's parser), "stdout" (the program's bare output read as the
    answer), or "llm" (the fallback model restated it).
    """

    text_answer: Any | None = None
    code_answer: Any | None = None
    text_via: str | None = None
    code_via: str | None = None
    code_ran: bool = False
    calls: list[CallRecord] = field(default_factory=list)

    @property
    def via(self) -> str | None:
        """How the strict answer (the code answer if code ran, else the text answer) was found."""
        return self.code_via if self.code_ran else self.text_via

    @property
    def rescued_by_llm(self) -> bool:
        return "llm" in (self.text_via, self.code_via)


def scored_text(result: SteerResult) -> str:
    """The text a task parser reads: the final answer outside its code, then its program's output.

    A task parser takes the last `<<<...>>>`, so a program that prints one wins over a placeholder in
    the prose, and a `print("<<<...>>>")` inside the code itself is never read.
    """
    parts = [strip_code(result.final_response or "")]
    stdout = (result.final_execution or {}).get("stdout") or ""
    if stdout.strip():
        parts.append(stdout)
    return "\n".join(parts)


def extract(task: Task, instance: Instance, result: SteerResult, extractor: Provider | None = None) -> Extraction:
    """Both answers of one response, deterministic first; the LLM fallback runs only when neither was found."""
    found = Extraction(code_ran=result.final_execution is not None)
    found.text_answer = task.parse(strip_code(result.final_response or ""))
    found.text_via = "parser" if found.text_answer is not None else None
    stdout = ((result.final_execution or {}).get("stdout") or "").strip()
    if stdout:
        found.code_answer = task.parse(stdout)
        found.code_via = "parser" if found.code_answer is not None else None
        if found.code_answer is None and len(stdout) < 4000:
            found.code_answer = task.parse(f"<<<{stdout}>>>")
            found.code_via = "stdout" if found.code_answer is not None else None
    if extractor is None or found.text_answer is not None or found.code_answer is not None:
        return found
    text = scored_text(result)
    if not text.strip():
        return found
    prompt = EXTRACT_PROMPT.format(question=task.prompt(instance), response=text[-12000:])
    reply = call_model(extractor, [{"role": "user", "content": prompt}], EXTRACT_PARAMS, "extractor", found.calls)
    parsed = None if "<<<NONE>>>" in reply else task.parse(reply)
    if parsed is not None:
        if found.code_ran:
            found.code_answer, found.code_via = parsed, "llm"
        else:
            found.text_answer, found.text_via = parsed, "llm"
    return found
