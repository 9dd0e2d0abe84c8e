"""Reading the answer out of a response: the task's deterministic parser first, an LLM only as a logged fallback.

The original passed every answer through a per-task GPT-4o extractor (symbench.md). Here the parser decides;
only when it finds nothing and an extractor model is configured is the model asked to restate the final
answer as `<<<...>>>`, which the same parser then reads. Every record says which way its answer came
(`parser`, `stdout`, `llm`, or none), so results can count how many answers the model rescued.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nsllm_cli.providers.base import GenParams, Provider
from nsllm_cli.steer.records import CallRecord, SteerResult, call_model
from nsllm_cli.symbench.base import Instance, Task
from nsllm_cli.symbench.methods import scored_text

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
    """The parsed answer (None when nothing was found), how it was found, and the extractor call if any."""

    answer: Any | None
    via: str | None
    """"parser" (the task's parser on the response), "stdout" (the program's bare output), "llm", or None."""
    text: str = ""
    calls: list[CallRecord] = field(default_factory=list)


def extract(task: Task, instance: Instance, result: SteerResult, extractor: Provider | None = None) -> Extraction:
    """The answer of one response, deterministic first; the LLM fallback runs only when that finds nothing."""
    text = scored_text(result)
    parsed = task.parse(text)
    if parsed is not None:
        return Extraction(parsed, "parser", text)
    stdout = ((result.final_execution or {}).get("stdout") or "").strip()
    if stdout and len(stdout) < 4000:
        parsed = task.parse(f"<<<{stdout}>>>")
        if parsed is not None:
            return Extraction(parsed, "stdout", stdout)
    if extractor is None or not text.strip():
        return Extraction(None, None, text)
    calls: list[CallRecord] = []
    prompt = EXTRACT_PROMPT.format(question=task.prompt(instance), response=text[-12000:])
    reply = call_model(extractor, [{"role": "user", "content": prompt}], EXTRACT_PARAMS, "extractor", calls)
    parsed = None if "<<<NONE>>>" in reply else task.parse(reply)
    return Extraction(parsed, "llm" if parsed is not None else None, reply, calls)
