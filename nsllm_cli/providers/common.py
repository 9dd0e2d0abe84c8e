"""What every provider shares: message checks, the response cache, `last_usage`, and stream bookkeeping.

A concrete provider implements four single-attempt primitives (`_complete`, `_acomplete`,
`_stream`, `_astream`); this base turns them into the public `Provider` methods, so caching and
usage accounting behave the same for OpenAI, Anthropic, Mistral and local models.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from nsllm_cli.errors import ConfigError, ProviderError
from nsllm_cli.providers.base import Completion, GenParams, Message, Usage
from nsllm_cli.providers.cache import ResponseCache, request_record
from nsllm_cli.providers.retry import Failure, RetryPolicy, classify_sdk_error, to_provider_error

log = logging.getLogger(__name__)

ROLES = ("system", "user", "assistant")

C = TypeVar("C")


class PerLoop(Generic[C]):
    """One async client per running event loop: an httpx pool must not outlive or cross its loop.

    Only the current loop's client is kept; the first call on a new loop drops the clients of finished ones.

    Example:
        >>> clients = PerLoop(object)
        >>> async def same() -> bool:
        ...     return clients.get() is clients.get()
        >>> asyncio.run(same())
        True
    """

    def __init__(self, make: Callable[[], C]) -> None:
        """Args:
        make: builds a client; called inside the loop that will use it.
        """
        self._make = make
        self._clients: dict[int, C] = {}

    def get(self) -> C:
        """The running loop's client, built on first use (must be called inside a running loop)."""
        loop = id(asyncio.get_running_loop())
        client = self._clients.get(loop)
        if client is None:
            client = self._make()
            self._clients = {loop: client}  # drop clients of finished loops
        return client


@dataclass
class StreamSink:
    """What a stream learns besides its text: usage, finish reason, model, and whether it ended properly."""

    usage: Usage = field(default_factory=lambda: Usage(reported=False))
    finish_reason: str | None = None
    model: str = ""
    complete: bool = False


def check_messages(messages: list[Message]) -> list[Message]:
    """Validate chat messages and drop empty system messages (some models reject them; the original sent one).

    Raises:
        ConfigError: a message that is not {"role": system|user|assistant, "content": str}, or no message at all.
    """
    out: list[Message] = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, Mapping) or msg.get("role") not in ROLES or not isinstance(msg.get("content"), str):
            raise ConfigError(
                f"message {i} must be {{'role': 'system'|'user'|'assistant', 'content': str}}, got {msg!r:.120}"
            )
        if msg["role"] == "system" and not msg["content"].strip():
            continue
        out.append({"role": msg["role"], "content": msg["content"]})
    if not any(m["role"] != "system" for m in out):
        raise ConfigError("a chat request needs at least one user message")
    return out


class ProviderBase:
    """Public `Provider` methods on top of single-attempt primitives; subclasses set `kind`."""

    kind: str = "base"
    """Provider kind ("openai", "anthropic", "local", ...): part of the cache key."""

    def __init__(
        self, name: str, model: str, *, base_url: str | None = None, cache: ResponseCache | None = None
    ) -> None:
        self.name = name
        self.model = model
        self.base_url = base_url
        self.cache = cache
        self.last_usage = Usage()

    def __repr__(self) -> str:
        where = f", base_url={self.base_url!r}" if self.base_url else ""
        return f"{type(self).__name__}({self.name!r}{where})"

    # -- public API --------------------------------------------------------------------------------

    def complete(self, messages: list[Message], params: GenParams | None = None) -> Completion:
        """One whole answer (from the cache when the same request was answered before)."""
        msgs, params, key = self._prepare(messages, params)
        hit = self._lookup(key)
        if hit is not None:
            return hit
        result = self._complete(msgs, params)
        self._remember(key, msgs, params, result)
        return result

    async def acomplete(self, messages: list[Message], params: GenParams | None = None) -> Completion:
        """Async twin of :meth:`complete`."""
        msgs, params, key = self._prepare(messages, params)
        hit = self._lookup(key)
        if hit is not None:
            return hit
        result = await self._acomplete(msgs, params)
        self._remember(key, msgs, params, result)
        return result

    def stream(self, messages: list[Message], params: GenParams | None = None) -> Iterator[str]:
        """Text chunks as they arrive; `last_usage` is set once the iterator is exhausted.

        A cached answer comes back as one chunk. Only a stream that ran to its end is cached.
        """
        msgs, params, key = self._prepare(messages, params)
        return self._stream_cached(msgs, params, key)

    def astream(self, messages: list[Message], params: GenParams | None = None) -> AsyncIterator[str]:
        """Async twin of :meth:`stream`."""
        msgs, params, key = self._prepare(messages, params)
        return self._astream_cached(msgs, params, key)

    # -- primitives (one attempt each; retries live inside API providers) ----------------------------

    def _complete(self, messages: list[Message], params: GenParams) -> Completion:
        raise NotImplementedError

    async def _acomplete(self, messages: list[Message], params: GenParams) -> Completion:
        raise NotImplementedError

    def _stream(self, messages: list[Message], params: GenParams, sink: StreamSink) -> Iterator[str]:
        raise NotImplementedError

    def _astream(self, messages: list[Message], params: GenParams, sink: StreamSink) -> AsyncIterator[str]:
        raise NotImplementedError

    # -- bookkeeping ----------------------------------------------------------------------------------

    def _prepare(
        self, messages: list[Message], params: GenParams | None
    ) -> tuple[list[Message], GenParams, str | None]:
        params = params or GenParams()
        msgs = check_messages(messages)
        key = None
        if self.cache is not None and self.cache.cacheable(params):
            key = self.cache.key(kind=self.kind, base_url=self.base_url, model=self.model, messages=msgs, params=params)
        return msgs, params, key

    def _lookup(self, key: str | None) -> Completion | None:
        if key is None or self.cache is None:
            return None
        hit = self.cache.get(key)
        if hit is not None:
            self.last_usage = hit.usage
        return hit

    def _remember(self, key: str | None, msgs: list[Message], params: GenParams, result: Completion) -> None:
        self.last_usage = result.usage
        if key is not None and self.cache is not None:
            request = request_record(self.kind, self.base_url, self.model, msgs, params)
            self.cache.put(key, result, request=request)

    def _finish_stream(
        self, key: str | None, msgs: list[Message], params: GenParams, sink: StreamSink, pieces: list[str]
    ) -> None:
        self.last_usage = sink.usage
        if not sink.complete:
            log.warning("%s: the stream ended before the answer was finished; not cached", self.name)
            return
        completion = Completion("".join(pieces), sink.usage, sink.model or self.model, False, sink.finish_reason)
        self._remember(key, msgs, params, completion)

    def _stream_cached(self, msgs: list[Message], params: GenParams, key: str | None) -> Iterator[str]:
        hit = self._lookup(key)
        if hit is not None:
            if hit.text:
                yield hit.text
            return
        self.last_usage = Usage(reported=False)
        sink = StreamSink()
        pieces: list[str] = []
        for piece in self._stream(msgs, params, sink):
            pieces.append(piece)
            yield piece
        self._finish_stream(key, msgs, params, sink, pieces)

    async def _astream_cached(self, msgs: list[Message], params: GenParams, key: str | None) -> AsyncIterator[str]:
        hit = self._lookup(key)
        if hit is not None:
            if hit.text:
                yield hit.text
            return
        self.last_usage = Usage(reported=False)
        sink = StreamSink()
        pieces: list[str] = []
        async for piece in self._astream(msgs, params, sink):
            pieces.append(piece)
            yield piece
        self._finish_stream(key, msgs, params, sink, pieces)


class ApiProviderBase(ProviderBase):
    """A provider behind an HTTP API: timeout, retry policy, error classification, and the test guard."""

    key_var: str | None = None
    """The environment variable the API key came from; named in 401/403 messages."""

    def __init__(
        self,
        name: str,
        model: str,
        *,
        base_url: str | None,
        api_key: str,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
        cache: ResponseCache | None = None,
    ) -> None:
        super().__init__(name, model, base_url=base_url, cache=cache)
        self._api_key = api_key
        self.timeout_s = float(timeout_s)
        self.retry = retry or RetryPolicy()

    @property
    def where(self) -> str:
        """How error messages name this provider, e.g. 'openai:gpt-4o (https://api.openai.com/v1)'."""
        return f"{self.name} ({self.base_url})" if self.base_url else self.name

    def classify(self, exc: BaseException) -> Failure:
        """SDK error → retry or not, with a hint on 401/403 naming the key variable."""
        failure = classify_sdk_error(exc)
        if failure.status in (401, 403) and self.key_var:
            return Failure(False, f"{failure.message} (check {self.key_var})", failure.status)
        if failure.message == "the request timed out":
            return Failure(True, f"the request timed out after {self.timeout_s:g} s")
        return failure

    def stream_error(self, exc: BaseException) -> ProviderError:
        """An error in the middle of a stream: never retried (text has already been handed out)."""
        return to_provider_error(exc, self.classify, where=f"{self.where} (while streaming)")

    def events(self, stream: Any) -> Iterator[Any]:
        """Iterate a sync stream, turning transport and parse errors into one-line ProviderErrors."""
        iterator = iter(stream)
        while True:
            try:
                event = next(iterator)
            except StopIteration:
                return
            except ProviderError:
                raise
            except Exception as exc:
                raise self.stream_error(exc) from exc
            yield event

    async def aevents(self, stream: Any) -> AsyncIterator[Any]:
        """The async twin of `events`."""
        iterator = stream.__aiter__()
        while True:
            try:
                event = await iterator.__anext__()
            except StopAsyncIteration:
                return
            except ProviderError:
                raise
            except Exception as exc:
                raise self.stream_error(exc) from exc
            yield event

    def check_event_stream(self, stream: Any) -> None:
        """A streaming request answered with JSON or HTML (a proxy, a wrong URL) is an error, not an empty answer."""
        response = getattr(stream, "response", None)
        ctype = str(getattr(response, "headers", {}).get("content-type", "text/event-stream"))
        if "event-stream" not in ctype:
            raise ProviderError(
                f"{self.where}: a streaming request was answered with {ctype.split(';')[0]!r}, not an event stream"
            )

    def check_allowed(self) -> None:
        """Under NSLLM_TESTING=1, refuse any host but loopback, so no test can spend real tokens.

        Raises:
            ProviderError: a non-loopback base URL while NSLLM_TESTING=1.
        """
        if os.environ.get("NSLLM_TESTING") != "1":
            return
        host = urlsplit(self.base_url or "").hostname or ""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ProviderError(f"{self.where}: NSLLM_TESTING=1 forbids calls to real APIs (host {host or '?'!r})")
