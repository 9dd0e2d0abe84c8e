"""Anthropic provider against a loopback server speaking the Messages API (sync, streaming, async, faults)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from nsllm_cli.errors import ProviderError
from nsllm_cli.providers import GenParams, Provider, Usage
from tests.providers.conftest import USER
from tests.providers.fake_openai import FakeServer

pytestmark = pytest.mark.timeout(30)

MakeProvider = Callable[..., Provider]
SPEC = "anthropic:claude-3-5-sonnet-20241022"
CHAT = [{"role": "system", "content": "You are terse."}, *USER]


def test_complete_sends_system_as_a_parameter(server: FakeServer, make: MakeProvider) -> None:
    p = make(SPEC, base_url=server.url, env={"CLAUDE_API_KEY": "ck"})
    out = p.complete(CHAT, GenParams(stop=("END",)))
    assert out.text == server.state.reply
    assert out.usage == Usage(11, 7) and p.last_usage == Usage(11, 7)
    assert out.finish_reason == "end_turn" and out.model == "claude-3-5-sonnet-20241022"
    (seen,) = server.requests
    assert seen.path == "/v1/messages"
    assert seen.body["system"] == "You are terse."
    assert seen.body["messages"] == USER
    assert seen.body["max_tokens"] == 4096 and seen.body["temperature"] == 0.0
    assert seen.body["stop_sequences"] == ["END"]


def test_stream_yields_text_deltas_and_usage(server: FakeServer, make: MakeProvider) -> None:
    p = make(SPEC, base_url=server.url)
    chunks = list(p.stream(USER, GenParams(max_tokens=64)))
    assert chunks == ["Hello", " from", " the", " fake", " server."]
    assert p.last_usage == Usage(11, 7) and p.last_usage.reported
    assert server.requests[0].body["stream"] is True and "system" not in server.requests[0].body


async def test_async_complete_and_stream(server: FakeServer, make: MakeProvider) -> None:
    p = make(SPEC, base_url=server.url)
    server.script("503")
    assert (await p.acomplete(USER)).text == server.state.reply
    assert [c async for c in p.astream(USER)] == ["Hello", " from", " the", " fake", " server."]
    assert p.last_usage == Usage(11, 7)
    assert len(server.requests) == 3


def test_rate_limit_is_retried_and_bad_key_is_not(server: FakeServer, make: MakeProvider) -> None:
    p = make(SPEC, base_url=server.url, env={"CLAUDE_API_KEY": "ck-secret"})
    server.script("429", "429")
    assert p.complete(USER).text == server.state.reply
    assert len(server.requests) == 3
    server.script("401")
    with pytest.raises(ProviderError) as info:
        p.complete([{"role": "user", "content": "again"}])
    assert len(server.requests) == 4
    assert "HTTP 401 Unauthorized: Incorrect API key provided (check CLAUDE_API_KEY)" in str(info.value)
    assert "ck-secret" not in str(info.value)


def test_malformed_answer_is_a_clear_error(server: FakeServer, make: MakeProvider) -> None:
    server.script("malformed")
    with pytest.raises(ProviderError, match="not valid JSON"):
        make(SPEC, base_url=server.url).complete(USER)
    assert len(server.requests) == 1


def test_a_json_answer_to_a_stream_request_is_a_clear_error(server: FakeServer, make: MakeProvider) -> None:
    server.script("nochoices")
    with pytest.raises(ProviderError, match="not an event stream"):
        list(make(SPEC, base_url=server.url).stream(USER))
