"""The one interface every provider implements, so the steering loop never cares who answers.

Example:
    >>> p = get_provider("gpt-4o")  # doctest: +SKIP
    >>> p.complete([{"role": "user", "content": "2+2?"}]).text  # doctest: +SKIP
    '4'
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

Message = dict[str, str]
"""A chat message: {"role": "system"|"user"|"assistant", "content": "..."}."""


@dataclass(frozen=True)
class Usage:
    """Token counts as reported by the API response (never estimated when the API gives them)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    reported: bool = field(default=True, compare=False)
    """False when the server sent no usage (the counts are then 0, not estimates)."""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens)


@dataclass(frozen=True)
class Completion:
    """One answer: its text, token usage, the model that produced it, and whether it came from the cache."""

    text: str
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    cached: bool = False
    finish_reason: str | None = None


@dataclass(frozen=True)
class GenParams:
    """Sampling parameters; part of the response-cache key."""

    temperature: float = 0.0
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None


@runtime_checkable
class Provider(Protocol):
    """What the steering loop, the SymBench runner and the chat need from a model.

    `name` is the spec it was built from (e.g. "openai:gpt-4o", "local:embedded"). `stream` yields text
    chunks; after it is exhausted, `last_usage` holds the usage of that call.
    """

    name: str
    last_usage: Usage

    def complete(self, messages: list[Message], params: GenParams | None = None) -> Completion: ...

    async def acomplete(self, messages: list[Message], params: GenParams | None = None) -> Completion: ...

    def stream(self, messages: list[Message], params: GenParams | None = None) -> Iterator[str]: ...

    def astream(self, messages: list[Message], params: GenParams | None = None) -> AsyncIterator[str]: ...
