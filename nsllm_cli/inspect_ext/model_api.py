"""`--model nsllm/<model>`: the local models nsllm knows and the neurosymbolic model, as an Inspect model provider.

`<model>` is what `nsllm --model` takes (`embedded`, `tiny`, a model folder, a hub id `org/name`) or `ns:<run>`, the
model a finetune run was trained on with the run's NS hook on every generation. Generation goes through nsllm's own
providers (`providers.local`, `providers.ns_local`): the chat template, greedy decoding at temperature 0, one shared
copy of the weights per process. So the NS model can run any Inspect eval, e.g. to check that it changes nothing
outside math.

Model args (`-M`): device (auto, cpu, cuda, mps) and dtype (auto, float32, bfloat16, float16); the model cache is
nsllm's (NSLLM_CACHE).
"""

from __future__ import annotations

from typing import Any

from inspect_ai.model import (
    ChatMessage,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    modelapi,
)
from inspect_ai.tool import ToolChoice, ToolInfo

PREFIX = "nsllm"
"""The provider's name: `--model nsllm/embedded`."""
NO_CONFIG = GenerateConfig()
"""The default of ModelAPI's `config` argument."""


def provider_spec(model_name: str) -> str:
    """nsllm's provider spec for an Inspect model name: `ns:<run>` stays, anything else is `local:<model>`.

    Raises:
        ValueError: an empty name.
        ModelNotFoundError: a name that is neither `ns:<run>` nor a model nsllm can load (API models have their own
            Inspect providers).
    """
    name = model_name.strip()
    if not name:
        raise ValueError("empty model name: use nsllm/embedded, nsllm/tiny, nsllm/<folder>, nsllm/ns:<run>")
    if name.startswith("ns:"):
        return name
    from nsllm_cli.models.resolve import classify

    classify(name)  # its error names the accepted forms
    return f"local:{name}"


class NsllmModelAPI(ModelAPI):
    """Inspect's ModelAPI over nsllm's local and NS providers (see the module docstring)."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = NO_CONFIG,
        device: str = "auto",
        dtype: str = "auto",
        **model_args: Any,
    ) -> None:
        from nsllm_cli.config import load_settings
        from nsllm_cli.providers.registry import get_provider

        super().__init__(model_name=model_name, base_url=base_url, api_key=api_key, config=config)
        if base_url:
            raise ValueError(f"nsllm/{model_name} runs in this process; a base URL does not apply")
        if model_args:
            raise ValueError(f"unknown model args for nsllm/{model_name}: {', '.join(model_args)} (use device, dtype)")
        cache = load_settings(None).cache_dir
        self.provider = get_provider(
            provider_spec(model_name), model_cache=cache, cache_dir=None, device=device, dtype=dtype
        )

    async def generate(
        self,
        input: list[ChatMessage],  # noqa: A002 - Inspect's own signature
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        """One greedy (or sampled, at temperature > 0) answer of the local model; tools are not supported."""
        from nsllm_cli.providers.base import GenParams

        if tools:
            raise ValueError(f"nsllm/{self.model_name} does not call tools")
        messages = [{"role": m.role, "content": m.text} for m in input]
        params = GenParams(
            temperature=config.temperature or 0.0,
            max_tokens=config.max_tokens,
            stop=tuple(config.stop_seqs or ()),
            seed=config.seed,
        )
        done = await self.provider.acomplete(messages, params)
        usage = ModelUsage(
            input_tokens=done.usage.prompt_tokens,
            output_tokens=done.usage.completion_tokens,
            total_tokens=done.usage.total_tokens,
        )
        output = ModelOutput.from_content(
            model=f"{PREFIX}/{self.model_name}",
            content=done.text,
            stop_reason="max_tokens" if done.finish_reason == "length" else "stop",
        )
        output.usage = usage
        return output

    def max_connections(self) -> int:
        """One generation at a time: a local model serialises its generations anyway."""
        return 1


@modelapi(name=PREFIX)
def nsllm_models() -> type[ModelAPI]:
    """The `nsllm/<model>` provider (registered lazily, as Inspect's own providers are)."""
    return NsllmModelAPI
