"""Inspect's own `inspect` command, with a scripted mock model (a helper the tests run in a subprocess).

    python tests/inspect_ext/scripted_inspect.py eval nsllm/symbench --model scripted/task -M answers=FILE ...

Inspect's `mockllm/model` takes scripted outputs only as Python objects (`custom_outputs`), which the command line
cannot pass, and its unscripted outputs count tokens with a tiktoken file it downloads. This registers
`scripted/<name>`: Inspect's MockLLM whose outputs come from the JSON file `-M answers=FILE`, each with a fixed token
usage. The file is a list of answers, given in order, or of recorded `{"question": ..., "text": ...}` pairs (the
`replay:` file of `nsllm bench symbench`), answered by question: the last user message is the question, else the
first question it contains. Then it runs Inspect's command line as the `inspect` script does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from inspect_ai._cli.main import main
from inspect_ai.model import ChatMessage, GenerateConfig, ModelAPI, ModelOutput, ModelUsage, modelapi
from inspect_ai.model._providers.mockllm import MockLLM
from inspect_ai.tool import ToolChoice, ToolInfo


def scripted_output(text: str) -> ModelOutput:
    """One mock answer with its usage set (so the mock never counts tokens with tiktoken)."""
    output = ModelOutput.from_content(model="scripted", content=text)
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return output


def keyed(answers: dict[str, str]) -> Any:
    """MockLLM's callable form: the answer of the question the last user message is, or else contains."""

    def answer(input: list[ChatMessage], tools: list[ToolInfo], choice: ToolChoice, cfg: GenerateConfig) -> ModelOutput:
        asked = next(m.text for m in reversed(input) if m.role == "user")
        if asked in answers:
            return scripted_output(answers[asked])
        for question, text in answers.items():
            if question in asked:
                return scripted_output(text)
        raise ValueError(f"no scripted answer for {asked[:80]!r}")

    return answer


@modelapi(name="scripted")
def scripted() -> type[ModelAPI]:
    class ScriptedMockLLM(MockLLM):
        def __init__(self, model_name: str, *args: Any, answers: str = "", **model_args: Any) -> None:
            data = json.loads(Path(answers).read_text(encoding="utf-8"))
            outputs: Any
            if data and isinstance(data[0], dict):
                outputs = keyed({item["question"]: item["text"] for item in data})
            else:
                outputs = [scripted_output(text) for text in data]
            super().__init__(model_name, *args, **{**model_args, "custom_outputs": outputs})

    return ScriptedMockLLM


if __name__ == "__main__":
    sys.argv[0] = "inspect"
    main()
