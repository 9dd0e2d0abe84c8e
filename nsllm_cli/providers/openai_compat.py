"""OpenAI and every OpenAI-compatible endpoint (DeepSeek, Mistral, vLLM, Ollama, LM Studio, `nsllm serve`).

One class, the official `openai` client (sync `OpenAI`, async `AsyncOpenAI`), and a few per-kind quirks:
reasoning models (o1, o3, ...) get no temperature, `max_completion_tokens` and no system message;
Mistral takes `random_seed` and no `stream_options`. Usage comes from the response; for streams
`stream_options={"include_usage": True}` asks for a final usage chunk, and a server that sends none
leaves `Usage(0, 0, reported=False)`.

Example:
    >>> p = OpenAICompatProvider("openai:gpt-4o", "gpt-4o", base_url=OPENAI_URL, api_key=key)  # doctest: +SKIP
    >>> p.complete([{"role": "user", "content": "2+2?"}]).text  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from nsllm_cli.errors import ProviderError
from nsllm_cli.providers.base import Completion, GenParams, Message, Usage
from nsllm_cli.providers.cache import ResponseCache
from nsllm_cli.providers.common import ApiProviderBase, PerLoop, StreamSink
from nsllm_cli.providers.retry import RetryPolicy, acall_with_retries, call_with_retries

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI

log = logging.getLogger(__name__)

OPENAI_URL = "https://api.openai.com/v1"
DEEPSEEK_URL = "https://api.deepseek.com"
MISTRAL_URL = "https://api.mistral.ai/v1"

REASONING = re.compile(r"^(o\d+|gpt-5)([-.].*)?$")
"""OpenAI reasoning models: they reject temperature and max_tokens and (o1-preview/mini) system messages."""


class OpenAICompatProvider(ApiProviderBase):
    """Chat completions over the OpenAI protocol at any base URL."""

    def __init__(
        self,
        name: str,
        model: str,
        *,
        kind: str = "openai",
        base_url: str | None = OPENAI_URL,
        api_key: str = "EMPTY",
        key_var: str | None = None,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
        cache: ResponseCache | None = None,
    ) -> None:
        """Args:
        kind: "openai", "deepseek", "mistral" or "openai-compat"; picks the quirks and is part of the cache key.
        key_var: the environment variable the key came from, named in 401/403 messages.
        """
        super().__init__(name, model, base_url=base_url, api_key=api_key, timeout_s=timeout_s, retry=retry, cache=cache)
        self.kind = kind  # per instance: one class serves several providers
        self.key_var = key_var
        self.stream_usage = kind != "mistral"
        """Send stream_options.include_usage (Mistral rejects unknown fields and sends usage anyway)."""
        self._sync: OpenAI | None = None
        self._async = PerLoop(self._new_aclient)

    # -- clients -----------------------------------------------------------------------------------

    def _client(self) -> OpenAI:
        if self._sync is None:
            self.check_allowed()
            from openai import OpenAI

            self._sync = OpenAI(api_key=self._api_key, base_url=self.base_url, timeout=self.timeout_s, max_retries=0)
        return self._sync

    def _aclient(self) -> AsyncOpenAI:
        """The running event loop's async client (see :class:`PerLoop`)."""
        return self._async.get()

    def _new_aclient(self) -> AsyncOpenAI:
        self.check_allowed()
        from openai import AsyncOpenAI

        return AsyncOpenAI(api_key=self._api_key, base_url=self.base_url, timeout=self.timeout_s, max_retries=0)

    def close(self) -> None:
        """Close the sync HTTP client (async ones are dropped when their event loop is replaced)."""
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    # -- request and response ------------------------------------------------------------------------

    def request(self, messages: list[Message], params: GenParams) -> dict[str, Any]:
        """The keyword arguments of `chat.completions.create` for this model and endpoint."""
        reasoning = self.kind == "openai" and bool(REASONING.match(self.model))
        kw: dict[str, Any] = {"model": self.model, "messages": _fold_system(messages) if reasoning else messages}
        if reasoning:
            if params.max_tokens is not None:
                kw["max_completion_tokens"] = params.max_tokens
        else:
            kw["temperature"] = params.temperature
            if params.max_tokens is not None:
                kw["max_tokens"] = params.max_tokens
        if params.stop:
            kw["stop"] = list(params.stop)
        if params.seed is not None:
            if self.kind == "mistral":
                kw["extra_body"] = {"random_seed": params.seed}
            else:
                kw["seed"] = params.seed
        return kw

    def parse(self, resp: Any) -> Completion:
        """A chat completion → Completion; anything else (an HTML page, no choices) → a clear ProviderError."""
        if not hasattr(resp, "choices"):
            snippet = " ".join(str(resp).split())[:120]
            raise ProviderError(
                f"{self.where}: the answer is not a chat completion ({type(resp).__name__}: {snippet!r}); "
                "is the base URL right (OpenAI-compatible servers usually end in /v1)?"
            )
        if not resp.choices:
            extra = getattr(resp, "model_extra", None) or {}
            detail = f": {extra['error']}" if "error" in extra else ""
            raise ProviderError(f"{self.where}: the answer has no choices{detail}")
        choice = resp.choices[0]
        text = getattr(choice.message, "content", None) or ""
        return Completion(text, self._usage(resp.usage), resp.model or self.model, False, choice.finish_reason)

    def _usage(self, usage: Any) -> Usage:
        if usage is None:
            log.warning("%s: the server reported no token usage; counting 0", self.where)
            return Usage(reported=False)
        return Usage(int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0))

    def _stream_kwargs(self, messages: list[Message], params: GenParams) -> dict[str, Any]:
        kw = self.request(messages, params)
        kw["stream"] = True
        if self.stream_usage:
            kw["stream_options"] = {"include_usage": True}
        return kw

    def _take(self, chunk: Any, sink: StreamSink) -> str:
        """Read one stream chunk: its text, and usage / finish reason when present."""
        if not hasattr(chunk, "choices"):
            raise ProviderError(f"{self.where}: a stream chunk is not a chat completion chunk: {str(chunk)[:120]!r}")
        if getattr(chunk, "usage", None) is not None:
            sink.usage = self._stream_usage(chunk.usage)
        sink.model = sink.model or (getattr(chunk, "model", "") or "")
        text = ""
        for choice in chunk.choices or []:
            if choice.index != 0:
                continue
            delta = choice.delta
            text = (getattr(delta, "content", None) or "") if delta is not None else ""
            if choice.finish_reason is not None:
                sink.finish_reason = choice.finish_reason
                sink.complete = True
        return text

    def _stream_usage(self, usage: Any) -> Usage:
        return Usage(int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0))

    def _end(self, sink: StreamSink, chunks: int) -> None:
        if chunks == 0:
            raise ProviderError(f"{self.where}: the stream ended without sending any chunk")
        if not sink.usage.reported:
            log.warning("%s: the stream carried no token usage; counting 0", self.where)

    # -- primitives ------------------------------------------------------------------------------------

    def _complete(self, messages: list[Message], params: GenParams) -> Completion:
        kw = self.request(messages, params)
        resp = call_with_retries(
            lambda: self._client().chat.completions.create(**kw), self.retry, self.classify, where=self.where
        )
        return self.parse(resp)

    async def _acomplete(self, messages: list[Message], params: GenParams) -> Completion:
        kw = self.request(messages, params)

        async def once() -> Any:
            return await self._aclient().chat.completions.create(**kw)

        resp = await acall_with_retries(once, self.retry, self.classify, where=self.where)
        return self.parse(resp)

    def _stream(self, messages: list[Message], params: GenParams, sink: StreamSink) -> Iterator[str]:
        kw = self._stream_kwargs(messages, params)
        stream = call_with_retries(
            lambda: self._client().chat.completions.create(**kw), self.retry, self.classify, where=self.where
        )
        if not hasattr(stream, "__iter__") or isinstance(stream, str | bytes):
            self.parse(stream)  # raises the "not a chat completion" error
        try:
            self.check_event_stream(stream)
            chunks = 0
            for chunk in self.events(stream):
                chunks += 1
                text = self._take(chunk, sink)
                if text:
                    yield text
        finally:
            _close(stream)
        self._end(sink, chunks)

    async def _astream(self, messages: list[Message], params: GenParams, sink: StreamSink) -> AsyncIterator[str]:
        kw = self._stream_kwargs(messages, params)

        async def once() -> Any:
            return await self._aclient().chat.completions.create(**kw)

        stream = await acall_with_retries(once, self.retry, self.classify, where=self.where)
        if not hasattr(stream, "__aiter__"):
            self.parse(stream)
        try:
            self.check_event_stream(stream)
            chunks = 0
            async for chunk in self.aevents(stream):
                chunks += 1
                text = self._take(chunk, sink)
                if text:
                    yield text
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                await close()
        self._end(sink, chunks)


def _close(stream: Any) -> None:
    close = getattr(stream, "close", None)
    if close is not None:
        close()


def _fold_system(messages: list[Message]) -> list[Message]:
    """Reasoning models: put the system text at the top of the first user message instead."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if system:
        for m in rest:
            if m["role"] == "user":
                m["content"] = f"{system}\n\n{m['content']}"
                break
    return rest
