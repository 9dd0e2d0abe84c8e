"""The OpenAI-compatible API over the tiny model, driven by the official `openai` client."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam

from nsllm_cli.serving import create_app
from tests.serving.conftest import http, reference, running

HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hello there, who are you?"}]


@pytest.fixture(scope="module")
def url(tiny_model: tuple[Any, Any]) -> Iterator[str]:
    model, tok = tiny_model
    with running(create_app(model, tok, model_id="tiny")) as base:
        yield base


@pytest.fixture
def client(url: str) -> OpenAI:
    return OpenAI(base_url=url, api_key="x", max_retries=0, timeout=120)


def _stream(client: OpenAI, **kwargs: Any) -> tuple[str, list[Any]]:
    chunks = list(
        client.chat.completions.create(
            model="tiny", messages=HELLO, stream=True, stream_options={"include_usage": True}, **kwargs
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return text, chunks


def test_health_and_models(client: OpenAI, url: str) -> None:
    assert http("GET", url.removesuffix("/v1") + "/health").json() == {"status": "ok", "model": "tiny"}
    assert [m.id for m in client.models.list()] == ["tiny"]
    assert client.models.retrieve("tiny").owned_by == "nsllm"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("other")


@pytest.mark.parametrize("seed", [None, 7], ids=["greedy", "seeded-sampling"])
def test_completion_is_the_models_answer_with_real_usage(
    client: OpenAI, tiny_model: tuple[Any, Any], seed: int | None
) -> None:
    sampling: dict[str, Any] = {"temperature": 0} if seed is None else {"temperature": 1.0, "seed": seed}
    resp = client.chat.completions.create(model="tiny", messages=HELLO, max_tokens=12, **sampling)
    prompt_len, new_ids, text = reference(*tiny_model, HELLO, max_new_tokens=12, seed=seed)
    choice = resp.choices[0]
    assert isinstance(choice.message.content, str) and choice.message.content
    assert choice.message.content == text
    assert choice.message.role == "assistant"
    assert choice.finish_reason == "length"  # a random model does not find its end token in 12 steps
    assert resp.model == "tiny" and resp.object == "chat.completion" and resp.id.startswith("chatcmpl-")
    assert resp.usage is not None
    assert resp.usage.prompt_tokens == prompt_len
    assert resp.usage.completion_tokens == len(new_ids) == 12
    assert resp.usage.total_tokens == prompt_len + 12


@pytest.mark.parametrize("seed", [None, 7], ids=["greedy", "seeded-sampling"])
def test_stream_concatenates_to_the_plain_answer(client: OpenAI, seed: int | None) -> None:
    sampling: dict[str, Any] = {"temperature": 0} if seed is None else {"temperature": 1.0, "seed": seed}
    plain = client.chat.completions.create(model="tiny", messages=HELLO, max_tokens=16, **sampling)
    text, chunks = _stream(client, max_tokens=16, **sampling)
    assert text == plain.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)
    finals = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finals == ["length"]
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert plain.usage is not None and last.usage.model_dump() == plain.usage.model_dump()
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_without_usage_and_raw_sse_framing(url: str) -> None:
    body = {"model": "tiny", "messages": HELLO, "max_tokens": 3, "temperature": 0, "stream": True}
    resp = http("POST", url + "/chat/completions", body)
    assert resp.headers["content-type"].startswith("text/event-stream")
    events = [line for line in resp.text.splitlines() if line]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"
    assert '"usage"' not in "".join(events)


def test_max_tokens_is_respected(client: OpenAI) -> None:
    resp = client.chat.completions.create(model="tiny", messages=HELLO, max_tokens=3, temperature=0)
    assert resp.usage is not None and resp.usage.completion_tokens <= 3
    resp = client.chat.completions.create(model="tiny", messages=HELLO, max_completion_tokens=2, temperature=0)
    assert resp.usage is not None and resp.usage.completion_tokens <= 2
    assert resp.choices[0].finish_reason == "length"


def test_stop_string_cuts_the_text_and_the_generation(client: OpenAI) -> None:
    full = client.chat.completions.create(model="tiny", messages=HELLO, max_tokens=24, temperature=1.0, seed=3)
    text = full.choices[0].message.content or ""
    words = text.split()
    assert len(words) > 4, text
    stop = words[len(words) // 2]
    expected = text[: text.index(stop)]
    cut = client.chat.completions.create(
        model="tiny", messages=HELLO, max_tokens=24, temperature=1.0, seed=3, stop=[stop, "never-seen"]
    )
    assert cut.choices[0].message.content == expected
    assert cut.choices[0].finish_reason == "stop"
    assert cut.usage is not None and full.usage is not None
    assert cut.usage.completion_tokens < full.usage.completion_tokens  # generation ended at the stop string
    streamed, chunks = _stream(client, max_tokens=24, temperature=1.0, seed=3, stop=stop)
    assert streamed == expected
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]


def _error(status: int, body: dict[str, Any]) -> dict[str, Any]:
    assert status == 400, body
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["type"] == "invalid_request_error"
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)


def test_bad_requests_are_400_in_openai_error_format(client: OpenAI, url: str) -> None:
    with pytest.raises(openai.BadRequestError) as n2:
        client.chat.completions.create(model="tiny", messages=HELLO, n=2)
    assert n2.value.status_code == 400 and n2.value.param == "n"
    with pytest.raises(openai.BadRequestError) as unknown:
        client.chat.completions.create(model="gpt-4o", messages=HELLO)
    assert unknown.value.code == "model_not_found" and "gpt-4o" in unknown.value.message

    def post(body: Any) -> dict[str, Any]:
        resp = http("POST", url + "/chat/completions", body)
        return _error(resp.status, resp.json())

    assert post({"model": "tiny"})["param"] == "messages"
    assert post({"model": "tiny", "messages": []})["param"] == "messages"
    assert post({"model": "tiny", "messages": HELLO, "temperature": 9})["param"] == "temperature"
    assert post({"model": "tiny", "messages": [{"role": "robot", "content": "x"}]})
    assert post(b"{not json")["code"] == "invalid_json"
    missing = http("GET", url + "/no-such-route")
    assert missing.status == 404 and "error" in missing.json()


def test_content_parts_and_system_messages_are_accepted(client: OpenAI, tiny_model: tuple[Any, Any]) -> None:
    parts: Any = [{"type": "text", "text": "Hello there, "}, {"type": "text", "text": "who are you?"}]
    resp = client.chat.completions.create(
        model="tiny",
        messages=[{"role": "developer", "content": "Be brief."}, {"role": "user", "content": parts}],
        max_tokens=4,
        temperature=0,
    )
    prompt_len, _, text = reference(*tiny_model, [{"role": "system", "content": "Be brief."}, *HELLO], max_new_tokens=4)
    assert resp.usage is not None and resp.usage.prompt_tokens == prompt_len
    assert resp.choices[0].message.content == text


def test_concurrent_requests_are_serialized_and_all_succeed(client: OpenAI, tiny_model: tuple[Any, Any]) -> None:
    model, _ = tiny_model
    active, peak, lock = [0], [0], threading.Lock()

    def enter(*args: Any) -> None:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])

    def leave(*args: Any) -> None:
        with lock:
            active[0] -= 1

    handles = [model.register_forward_pre_hook(enter), model.register_forward_hook(leave)]
    results: list[str] = []
    errors: list[BaseException] = []

    def ask(i: int) -> None:
        try:
            if i % 2:
                results.append(_stream(client, max_tokens=8, temperature=0)[0])
            else:
                resp = client.chat.completions.create(model="tiny", messages=HELLO, max_tokens=8, temperature=0)
                results.append(resp.choices[0].message.content or "")
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=ask, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        for h in handles:
            h.remove()
    assert errors == []
    assert len(results) == 6 and len(set(results)) == 1  # greedy: every caller gets the same answer
    assert peak[0] == 1  # never two forward passes at once


def test_a_generation_does_not_block_the_event_loop(client: OpenAI, url: str) -> None:
    done = threading.Event()

    def long_answer() -> None:
        client.chat.completions.create(model="tiny", messages=HELLO, max_tokens=300, temperature=0)
        done.set()

    worker = threading.Thread(target=long_answer)
    worker.start()
    time.sleep(0.3)  # the generation is under way
    start = time.perf_counter()
    health = http("GET", url.removesuffix("/v1") + "/health")
    answered_while_busy = not done.is_set()
    worker.join(120)
    assert health.status == 200
    assert answered_while_busy, "the long generation finished before /health answered"
    assert time.perf_counter() - start < 5
