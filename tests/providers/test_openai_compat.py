"""OpenAI-compatible provider against a real loopback server: retries, refusals, bad answers, streams, async."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest

from nsllm_cli.errors import ProviderError
from nsllm_cli.providers import GenParams, Provider, Usage, get_provider
from tests.providers.conftest import FAST, USER
from tests.providers.fake_openai import FakeServer

pytestmark = pytest.mark.timeout(30)

MakeProvider = Callable[..., Provider]


def test_complete_returns_text_and_the_servers_usage(server: FakeServer, make: MakeProvider) -> None:
    p = make()
    out = p.complete(USER, GenParams(max_tokens=20, stop=("\n",), seed=3))
    assert out.text == server.state.reply
    assert out.usage == Usage(11, 7) and out.usage.reported
    assert p.last_usage == Usage(11, 7)
    assert out.cached is False and out.finish_reason == "stop" and out.model == "fake-model"
    (seen,) = server.requests
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == "Bearer EMPTY"
    assert seen.body["messages"] == USER
    assert seen.body["max_tokens"] == 20 and seen.body["stop"] == ["\n"] and seen.body["seed"] == 3
    assert seen.body["temperature"] == 0.0


def test_empty_system_message_is_not_sent(server: FakeServer, make: MakeProvider) -> None:
    make().complete([{"role": "system", "content": " "}, *USER])
    assert server.requests[0].body["messages"] == USER


def test_429_is_retried_and_retry_after_is_honoured(server: FakeServer, make: MakeProvider) -> None:
    server.state.retry_after = "0.2"
    server.script("429", "429")
    start = time.monotonic()
    out = make().complete(USER)
    assert out.text == server.state.reply
    assert len(server.requests) == 3
    assert time.monotonic() - start >= 0.4  # two waits of Retry-After, not the 0.01 s backoff


def test_retry_after_is_capped_by_max_wait(server: FakeServer, make: MakeProvider) -> None:
    server.state.retry_after = "3600"
    server.script("429")
    start = time.monotonic()
    make(max_wait_s=0.05).complete(USER)
    assert time.monotonic() - start < 2
    assert len(server.requests) == 2


@pytest.mark.parametrize("fault", ["500", "502", "503"])
def test_5xx_is_retried(server: FakeServer, make: MakeProvider, fault: str) -> None:
    server.script(fault, fault)
    assert make().complete(USER).text == server.state.reply
    assert len(server.requests) == 3


def test_retries_are_capped_with_a_one_line_error(server: FakeServer, make: MakeProvider) -> None:
    server.script(*["500"] * 10)
    with pytest.raises(ProviderError) as info:
        make(max_retries=2).complete(USER)
    assert len(server.requests) == 3
    message = str(info.value)
    assert "\n" not in message
    assert "HTTP 500" in message and "gave up after 3 attempts" in message
    assert info.value.status == 500 and info.value.attempts == 3


def test_a_slow_server_times_out_and_is_retried(server: FakeServer, make: MakeProvider) -> None:
    server.script("slow")
    start = time.monotonic()
    assert make(timeout_s=0.3).complete(USER).text == server.state.reply
    assert len(server.requests) == 2
    assert time.monotonic() - start < 3


def test_timeouts_give_up_after_max_retries(server: FakeServer, make: MakeProvider) -> None:
    server.script("slow", "slow", "slow")
    start = time.monotonic()
    with pytest.raises(ProviderError, match=r"timed out after 0.2 s \(gave up after 2 attempts\)"):
        make(timeout_s=0.2, max_retries=1).complete(USER)
    assert len(server.requests) == 2
    assert time.monotonic() - start < 3


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("400", "HTTP 400 Bad Request: Invalid value for 'temperature'"),
        ("401", "HTTP 401 Unauthorized: Incorrect API key provided"),
        ("404", "HTTP 404 Not Found: The model does not exist"),
    ],
)
def test_4xx_fails_at_once_with_the_servers_message(
    server: FakeServer, make: MakeProvider, fault: str, words: str
) -> None:
    server.script(fault, fault, fault)
    start = time.monotonic()
    with pytest.raises(ProviderError) as info:
        make().complete(USER)
    assert len(server.requests) == 1
    assert words in str(info.value) and "\n" not in str(info.value)
    assert info.value.status == int(fault)
    assert time.monotonic() - start < 1


def test_401_names_the_key_variable_but_never_the_key(server: FakeServer, make: MakeProvider) -> None:
    server.script("401")
    p = make("openai:gpt-4o", env={"OPENAI_API_KEY": "sk-secret-123"})
    with pytest.raises(ProviderError) as info:
        p.complete(USER)
    assert "check OPENAI_API_KEY" in str(info.value)
    assert "sk-secret-123" not in str(info.value) and "sk-secret-123" not in repr(p)
    assert server.requests[0].headers["authorization"] == "Bearer sk-secret-123"


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("malformed", "not valid JSON"),
        ("html", "not a chat completion"),
        ("nochoices", "has no choices"),
    ],
)
def test_a_bad_answer_is_a_clear_error_not_a_retry(
    server: FakeServer, make: MakeProvider, fault: str, words: str
) -> None:
    server.script(fault)
    with pytest.raises(ProviderError, match=words):
        make().complete(USER)
    assert len(server.requests) == 1


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    p = get_provider("m", base_url=f"http://127.0.0.1:{port}/v1", env={}, **{**FAST, "max_retries": 2})
    with pytest.raises(ProviderError, match="cannot connect") as info:
        p.complete(USER)
    assert info.value.attempts == 3


def test_stream_yields_chunks_and_sets_usage_from_the_final_chunk(server: FakeServer, make: MakeProvider) -> None:
    p = make()
    chunks = list(p.stream(USER))
    assert chunks == ["Hello", " from", " the", " fake", " server."]
    assert p.last_usage == Usage(11, 7) and p.last_usage.reported
    assert server.requests[0].body["stream"] is True
    assert server.requests[0].body["stream_options"] == {"include_usage": True}


def test_stream_without_usage_counts_zero_and_says_so(server: FakeServer, make: MakeProvider) -> None:
    server.state.stream_usage = False
    p = make()
    assert "".join(p.stream(USER)) == server.state.reply
    assert p.last_usage == Usage(0, 0) and not p.last_usage.reported


def test_stream_retries_before_the_first_chunk(server: FakeServer, make: MakeProvider) -> None:
    server.script("429", "503")
    assert "".join(make().stream(USER)) == server.state.reply
    assert len(server.requests) == 3


def test_stream_refusal_fails_at_once(server: FakeServer, make: MakeProvider) -> None:
    server.script("400")
    with pytest.raises(ProviderError, match="HTTP 400"):
        list(make().stream(USER))
    assert len(server.requests) == 1


def test_a_json_answer_to_a_stream_request_is_a_clear_error(server: FakeServer, make: MakeProvider) -> None:
    server.script("malformed")
    with pytest.raises(ProviderError, match="not an event stream"):
        list(make().stream(USER))
    assert len(server.requests) == 1


def test_a_malformed_stream_chunk_is_a_clear_error(server: FakeServer, make: MakeProvider) -> None:
    server.script("badchunk")
    got: list[str] = []
    with pytest.raises(ProviderError, match=r"\(while streaming\): the server's answer is not valid JSON"):
        for piece in make().stream(USER):
            got.append(piece)
    assert got in ([], ["Hi"]) and len(server.requests) == 1


async def test_async_complete_and_stream(server: FakeServer, make: MakeProvider) -> None:
    p = make()
    server.script("429", "500")
    out = await p.acomplete(USER)
    assert out.text == server.state.reply and out.usage == Usage(11, 7)
    assert len(server.requests) == 3
    chunks = [c async for c in p.astream(USER)]
    assert "".join(chunks) == server.state.reply and len(chunks) == 5
    assert p.last_usage == Usage(11, 7)


async def test_async_refusal_and_timeout(server: FakeServer, make: MakeProvider) -> None:
    server.script("401")
    with pytest.raises(ProviderError, match="HTTP 401"):
        await make().acomplete(USER)
    assert len(server.requests) == 1
    server.script("slow", "slow")
    with pytest.raises(ProviderError, match="timed out"):
        await make(timeout_s=0.2, max_retries=1).acomplete(USER)
    assert len(server.requests) == 3


def test_reasoning_models_get_no_temperature_and_no_system_message(server: FakeServer, make: MakeProvider) -> None:
    msgs = [{"role": "system", "content": "Be brief."}, *USER]
    make("openai:o1-mini").complete(msgs, GenParams(max_tokens=50))
    body = server.requests[0].body
    assert "temperature" not in body and "max_tokens" not in body and body["max_completion_tokens"] == 50
    assert body["messages"] == [{"role": "user", "content": "Be brief.\n\nWhat is 2+2?"}]


def test_mistral_gets_random_seed_and_no_stream_options(server: FakeServer, make: MakeProvider) -> None:
    p = make("mistral:open-mixtral-8x7b")
    assert "".join(p.stream(USER, GenParams(seed=7))) == server.state.reply
    body = server.requests[0].body
    assert body["random_seed"] == 7 and "seed" not in body and "stream_options" not in body
    assert body["model"] == "open-mixtral-8x7b"


def test_testing_mode_refuses_real_apis() -> None:
    p = get_provider("gpt-4o", env={"OPENAI_API_KEY": "sk-x"}, max_retries=0)
    with pytest.raises(ProviderError, match="NSLLM_TESTING=1"):
        p.complete(USER)
