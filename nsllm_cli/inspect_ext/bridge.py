"""An Inspect model seen as an nsllm provider, so nsllm's methods and CodeSteer loop run unchanged inside Inspect.

nsllm's engines are synchronous; Inspect is async. `run_engine` runs an engine call in a worker thread, and each
`InspectProvider.complete` made there goes back to the event loop, where the Inspect model generates. The worker
thread and the calls it makes keep the sample's context, so every generation is a ModelEvent of that sample's
transcript.

Example:
    >>> task_llm = InspectProvider(get_model())  # doctest: +SKIP
    >>> result = await run_engine(answer, "all-text", question, MethodSetup(task=task_llm))  # doctest: +SKIP
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageUser,
    GenerateConfig,
    Model,
)

from nsllm_cli.errors import ProviderError
from nsllm_cli.providers.base import Completion, GenParams, Message, Usage

T = TypeVar("T")


async def run_engine(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` in a worker thread that may call back into the event loop (InspectProvider does)."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))


def chat_messages(messages: list[Message]) -> list[ChatMessage]:
    """nsllm's {"role", "content"} messages as Inspect chat messages (system, user, assistant)."""
    kinds: dict[str, type[ChatMessageSystem | ChatMessageUser | ChatMessageAssistant]] = {
        "system": ChatMessageSystem,
        "user": ChatMessageUser,
        "assistant": ChatMessageAssistant,
    }
    out: list[ChatMessage] = []
    for m in messages:
        kind = kinds.get(m["role"])
        if kind is None:
            raise ProviderError(f"cannot send a {m['role']!r} message to an Inspect model")
        out.append(kind(content=m["content"]))
    return out


def generate_config(params: GenParams | None) -> GenerateConfig:
    """nsllm's sampling parameters as an Inspect config; None leaves it all to the eval's (-T, --max-tokens)."""
    if params is None:
        return GenerateConfig()
    return GenerateConfig(
        temperature=params.temperature,
        max_tokens=params.max_tokens,
        stop_seqs=list(params.stop) or None,
        seed=params.seed,
    )


class InspectProvider:
    """The nsllm Provider protocol on top of an Inspect `Model` (the model under evaluation or a model role)."""

    def __init__(self, model: Model) -> None:
        """Args:
        model: e.g. `get_model()` (the model under evaluation) or `get_model(role="steer")`.
        """
        self.model = model
        self.name = str(model)
        self.last_usage = Usage()

    async def acomplete(self, messages: list[Message], params: GenParams | None = None) -> Completion:
        """One generation on the event loop (a ModelEvent in the sample's transcript)."""
        output = await self.model.generate(chat_messages(messages), config=generate_config(params))
        if output.error:
            raise ProviderError(f"{self.name}: {output.error}")
        usage = Usage(output.usage.input_tokens, output.usage.output_tokens) if output.usage else Usage(reported=False)
        self.last_usage = usage
        reason = "length" if output.stop_reason in ("max_tokens", "model_length") else "stop"
        return Completion(output.completion, usage, output.model or self.name, finish_reason=reason)

    def complete(self, messages: list[Message], params: GenParams | None = None) -> Completion:
        """:meth:`acomplete` from an engine's worker thread (see `run_engine`)."""
        return anyio.from_thread.run(self.acomplete, messages, params)

    def stream(self, messages: list[Message], params: GenParams | None = None) -> Iterator[str]:
        """The whole answer as one chunk (Inspect models do not stream to solvers)."""
        yield self.complete(messages, params).text

    async def astream(self, messages: list[Message], params: GenParams | None = None) -> AsyncIterator[str]:
        """The whole answer as one chunk."""
        yield (await self.acomplete(messages, params)).text
