"""Claude through the `anthropic` SDK's Messages API (the system prompt goes in `system=`, not in messages).

Streams use the raw server events (`message_start` carries the input tokens, `content_block_delta`
the text, `message_delta` the output tokens and stop reason), so usage is the API's own count.

Example:
    >>> p = AnthropicProvider("anthropic:claude-3-opus", "claude-3-opus", api_key=key)  # doctest: +SKIP
    >>> p.complete([{"role": "user", "content": "2+2?"}]).text  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from nsllm_cli.errors import ProviderError
from nsllm_cli.providers.base import Completion, GenParams, Message, Usage
from nsllm_cli.providers.cache import ResponseCache
from nsllm_cli.providers.common import ApiProviderBase, PerLoop, StreamSink
from nsllm_cli.providers.retry import RetryPolicy, acall_with_retries, call_with_retries

if TYPE_CHECKING:
    from anthropic import Anthropic, AsyncAnthropic

ANTHROPIC_URL = "https://api.anthropic.com"
DEFAULT_MAX_TOKENS = 4096
"""The Messages API requires max_tokens; used when GenParams.max_tokens is None."""


class AnthropicProvider(ApiProviderBase):
    """Claude models via `anthropic.Anthropic().messages.create` (T = 0 and top_p 1 by default, as in the paper)."""

    kind = "anthropic"
    key_var: str | None = "ANTHROPIC_API_KEY"

    def __init__(
        self,
        name: str,
        model: str,
        *,
        base_url: str | None = ANTHROPIC_URL,
        api_key: str,
        key_var: str | None = "ANTHROPIC_API_KEY",
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
        cache: ResponseCache | None = None,
    ) -> None:
        super().__init__(name, model, base_url=base_url, api_key=api_key, timeout_s=timeout_s, retry=retry, cache=cache)
        self.key_var = key_var
        self._sync: Anthropic | None = None
        self._async = PerLoop(self._new_aclient)

    def _client(self) -> Anthropic:
        if self._sync is None:
            self.check_allowed()
            from anthropic import Anthropic

            self._sync = Anthropic(api_key=self._api_key, base_url=self.base_url, timeout=self.timeout_s, max_retries=0)
        return self._sync

    def _aclient(self) -> AsyncAnthropic:
        """The running event loop's async client (see :class:`PerLoop`)."""
        return self._async.get()

    def _new_aclient(self) -> AsyncAnthropic:
        self.check_allowed()
        from anthropic import AsyncAnthropic

        return AsyncAnthropic(api_key=self._api_key, base_url=self.base_url, timeout=self.timeout_s, max_retries=0)

    def close(self) -> None:
        """Close the sync HTTP client."""
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    def request(self, messages: list[Message], params: GenParams) -> dict[str, Any]:
        """Keyword arguments of `messages.create`: system text apart, max_tokens always set."""
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        kw: dict[str, Any] = {
            "model": self.model,
            "messages": [m for m in messages if m["role"] != "system"],
            "max_tokens": params.max_tokens if params.max_tokens is not None else DEFAULT_MAX_TOKENS,
            # anthropic 2.x dropped the `temperature` argument; the API takes it in the body (paper: T = 0).
            "extra_body": {"temperature": params.temperature},
        }
        if system:
            kw["system"] = system
        if params.stop:
            kw["stop_sequences"] = list(params.stop)
        return kw

    def parse(self, resp: Any) -> Completion:
        """A Message → Completion (text blocks joined); anything else → a clear ProviderError."""
        content = getattr(resp, "content", None)
        if not isinstance(content, list):
            snippet = " ".join(str(resp).split())[:120]
            raise ProviderError(f"{self.where}: the answer is not a Messages API message: {snippet!r}")
        text = "".join(getattr(b, "text", "") or "" for b in content if getattr(b, "type", "") == "text")
        usage = getattr(resp, "usage", None)
        return Completion(
            text,
            _usage(usage) if usage is not None else Usage(reported=False),
            getattr(resp, "model", "") or self.model,
            False,
            getattr(resp, "stop_reason", None),
        )

    def _take(self, event: Any, sink: StreamSink) -> str:
        kind = getattr(event, "type", None)
        if kind == "message_start":
            message = event.message
            sink.model = getattr(message, "model", "") or ""
            if getattr(message, "usage", None) is not None:
                sink.usage = Usage(_input_tokens(message.usage), 0)
        elif kind == "content_block_delta":
            delta = event.delta
            if getattr(delta, "type", None) == "text_delta":
                return str(delta.text or "")
        elif kind == "message_delta":
            sink.finish_reason = getattr(event.delta, "stop_reason", None)
            usage = getattr(event, "usage", None)
            if usage is not None and getattr(usage, "output_tokens", None) is not None:
                sink.usage = Usage(sink.usage.prompt_tokens, int(usage.output_tokens), True)
        elif kind == "message_stop":
            sink.complete = True
        return ""

    def _complete(self, messages: list[Message], params: GenParams) -> Completion:
        kw = self.request(messages, params)
        resp = call_with_retries(
            lambda: self._client().messages.create(**kw), self.retry, self.classify, where=self.where
        )
        return self.parse(resp)

    async def _acomplete(self, messages: list[Message], params: GenParams) -> Completion:
        kw = self.request(messages, params)

        async def once() -> Any:
            return await self._aclient().messages.create(**kw)

        return self.parse(await acall_with_retries(once, self.retry, self.classify, where=self.where))

    def _stream(self, messages: list[Message], params: GenParams, sink: StreamSink) -> Iterator[str]:
        kw = {**self.request(messages, params), "stream": True}
        stream: Any = call_with_retries(
            lambda: self._client().messages.create(**kw), self.retry, self.classify, where=self.where
        )
        if not hasattr(stream, "__iter__") or isinstance(stream, str | bytes):
            self.parse(stream)
        try:
            self.check_event_stream(stream)
            events = 0
            for event in self.events(stream):
                events += 1
                text = self._take(event, sink)
                if text:
                    yield text
        finally:
            stream.close()
        self._end(events)

    async def _astream(self, messages: list[Message], params: GenParams, sink: StreamSink) -> AsyncIterator[str]:
        kw = {**self.request(messages, params), "stream": True}

        async def once() -> Any:
            return await self._aclient().messages.create(**kw)

        stream: Any = await acall_with_retries(once, self.retry, self.classify, where=self.where)
        if not hasattr(stream, "__aiter__"):
            self.parse(stream)
        try:
            self.check_event_stream(stream)
            events = 0
            async for event in self.aevents(stream):
                events += 1
                text = self._take(event, sink)
                if text:
                    yield text
        finally:
            await stream.close()
        self._end(events)

    def _end(self, events: int) -> None:
        if events == 0:
            raise ProviderError(f"{self.where}: the stream ended without sending any event")


def _input_tokens(usage: Any) -> int:
    """Input tokens including prompt-cache reads and writes (all of them are billed input)."""
    total = 0
    for name in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
        value = getattr(usage, name, None)
        if isinstance(value, int):
            total += value
    return total


def _usage(usage: Any) -> Usage:
    return Usage(_input_tokens(usage), int(getattr(usage, "output_tokens", 0) or 0))
