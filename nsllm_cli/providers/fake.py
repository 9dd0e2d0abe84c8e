"""A scripted provider for tests and dry runs: replays queued answers and records every request (llm's MockModel).

Example:
    >>> p = FakeProvider()
    >>> p.enqueue(["4"])
    >>> p.complete([{"role": "user", "content": "2+2?"}]).text
    '4'
    >>> p.requests[0][0]["content"]
    '2+2?'
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator

from nsllm_cli.providers.base import Completion, GenParams, Message, Usage
from nsllm_cli.providers.common import ProviderBase, StreamSink


class FakeProvider(ProviderBase):
    """Answers from a queue; with the queue empty it echoes the last user message."""

    kind = "fake"

    def __init__(self, name: str = "fake", answers: Iterable[str] = ()) -> None:
        super().__init__(name, "fake")
        self._queue: deque[str] = deque(answers)
        self._lock = threading.Lock()
        self.requests: list[list[Message]] = []
        """The messages of every call, in order."""
        self.params: list[GenParams] = []
        """The params of every call, in order."""

    def enqueue(self, answers: Iterable[str]) -> None:
        """Queue answers for the next calls."""
        with self._lock:
            self._queue.extend(answers)

    def _answer(self, messages: list[Message], params: GenParams) -> Completion:
        with self._lock:
            self.requests.append([dict(m) for m in messages])
            self.params.append(params)
            text = self._queue.popleft() if self._queue else _last_user(messages)
        prompt = sum(len(m["content"].split()) for m in messages)
        return Completion(text, Usage(prompt, len(text.split())), self.model, False, "stop")

    def _complete(self, messages: list[Message], params: GenParams) -> Completion:
        return self._answer(messages, params)

    async def _acomplete(self, messages: list[Message], params: GenParams) -> Completion:
        return self._answer(messages, params)

    def _stream(self, messages: list[Message], params: GenParams, sink: StreamSink) -> Iterator[str]:
        result = self._answer(messages, params)
        yield from _words(result.text)
        sink.usage, sink.finish_reason, sink.model, sink.complete = result.usage, "stop", self.model, True

    async def _astream(self, messages: list[Message], params: GenParams, sink: StreamSink) -> AsyncIterator[str]:
        result = self._answer(messages, params)
        for piece in _words(result.text):
            await asyncio.sleep(0)
            yield piece
        sink.usage, sink.finish_reason, sink.model, sink.complete = result.usage, "stop", self.model, True


def _last_user(messages: list[Message]) -> str:
    return next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")


def _words(text: str) -> list[str]:
    """Word-sized chunks that join back to exactly `text`."""
    return [p for p in re.split(r"(?<=\S)(?=\s)", text) if p]
