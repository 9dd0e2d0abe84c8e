"""Over real loopback HTTP: a client that walks away frees the model at once; a full queue answers 503 + Retry-After.

The server's own account (``GET /stats``: tokens generated per request, and after the disconnect was seen)
is what the disconnect tests assert, not timings. The load tests hold the model with a forward hook that
waits for the test, so which requests are queued and which are refused does not depend on speed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from http.client import HTTPConnection
from typing import Any

import pytest

from nsllm_cli.serving import create_app
from tests.serving.conftest import Reply, http, running

ASK = [{"role": "user", "content": "Tell me a very long story about the sea."}]
LONG = 5000  # more than the tiny model's context allows: capped at the room the prompt leaves (~470 tokens)


def _stats(url: str) -> dict[str, Any]:
    body: dict[str, Any] = http("GET", url.removesuffix("/v1") + "/stats").json()
    return body


def _wait_for(url: str, check: Callable[[dict[str, Any]], Any], what: str, timeout: float = 30) -> Any:
    """Poll ``/stats`` until `check` gives something truthy; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check(_stats(url))
        if found:
            return found
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}: {_stats(url)}")


def _connect(url: str, body: dict[str, Any]) -> HTTPConnection:
    host, port = url.removeprefix("http://").removesuffix("/v1").rsplit(":", 1)
    conn = HTTPConnection(host, int(port), timeout=60)
    conn.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    return conn


def _record(url: str, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    def find(stats: dict[str, Any]) -> dict[str, Any] | None:
        return next((r for r in reversed(stats["recent"]) if match(r)), None)

    record: dict[str, Any] = _wait_for(url, find, "the request's record")
    return record


def _idle(url: str, app: Any) -> None:
    """The model is free again: no request in the queue, the engine's lock released."""
    _wait_for(url, lambda s: s["queue"]["generating"] == s["queue"]["waiting"] == 0, "an idle queue")
    assert not app.state.engine.lock.locked()


@pytest.fixture(scope="module")
def served(tiny_model: tuple[Any, Any]) -> Iterator[tuple[str, Any]]:
    """(base URL, app) of the tiny model with the default queue."""
    app = create_app(*tiny_model, model_id="tiny")
    with running(app) as url:
        yield url, app


def test_a_stream_abandoned_mid_way_stops_its_generation_within_a_token(served: tuple[str, Any]) -> None:
    url, app = served
    conn = _connect(url, {"model": "tiny", "messages": ASK, "max_tokens": LONG, "temperature": 0, "stream": True})
    resp = conn.getresponse()
    assert resp.status == 200
    events: list[dict[str, Any]] = []
    while len(events) < 3:  # the role chunk and two pieces of text
        line = resp.readline()
        assert line, "the stream ended early"
        if line.startswith(b"data: {"):
            events.append(json.loads(line[6:]))
    conn.close()  # the client walks away mid-stream
    rid = events[0]["id"]
    record = _record(url, lambda r: r["id"] == rid)
    assert record["outcome"] == "disconnected" and record["stream"] is True
    assert record["max_tokens"] > 400
    assert record["tokens_after_disconnect"] <= 2  # the generation checks the switch between tokens
    assert record["tokens"] < record["max_tokens"] // 2
    _idle(url, app)
    after = http("POST", url + "/chat/completions", {"model": "tiny", "messages": ASK, "max_tokens": 3})
    assert after.status == 200 and after.json()["usage"]["completion_tokens"] == 3


def test_a_plain_request_abandoned_mid_way_stops_its_generation_within_a_token(served: tuple[str, Any]) -> None:
    url, app = served
    before = _stats(url)["requests"]["disconnected"]
    conn = _connect(url, {"model": "tiny", "messages": ASK, "max_tokens": LONG, "temperature": 0})
    _wait_for(url, lambda s: s["queue"]["generating"] == 1, "the generation to start")
    time.sleep(0.05)  # a few tokens in
    conn.close()
    _wait_for(url, lambda s: s["requests"]["disconnected"] > before, "the disconnect")
    record = _record(url, lambda r: r["outcome"] == "disconnected" and not r["stream"])
    assert record["tokens_after_disconnect"] <= 2
    assert 0 < record["tokens"] < record["max_tokens"]
    _idle(url, app)


@contextmanager
def held(model: Any) -> Iterator[threading.Event]:
    """Every forward pass of `model` waits until the yielded event is set (set on exit)."""
    release = threading.Event()
    handle = model.register_forward_pre_hook(lambda *args: release.wait(60) and None)
    try:
        yield release
    finally:
        release.set()
        handle.remove()


@pytest.mark.parametrize("stream", [False, True])
def test_a_request_that_leaves_the_queue_before_its_turn_is_dropped(
    served: tuple[str, Any], tiny_model: tuple[Any, Any], stream: bool
) -> None:
    url, app = served
    with held(tiny_model[0]) as release:
        blocker = threading.Thread(
            target=http, args=("POST", url + "/chat/completions", {"model": "tiny", "messages": ASK, "max_tokens": 2})
        )
        blocker.start()
        _wait_for(url, lambda s: s["queue"]["generating"] == 1, "the blocker to hold the model")
        conn = _connect(url, {"model": "tiny", "messages": ASK, "max_tokens": 4, "stream": stream})
        if stream:
            resp = conn.getresponse()  # headers and the role chunk come at once, while the request waits
            assert resp.status == 200 and resp.readline().startswith(b"data: {")
        _wait_for(url, lambda s: s["queue"]["waiting"] == 1, "the request to wait")
        conn.close()
        record = _record(url, lambda r: r["outcome"] == "disconnected" and r["stream"] is stream)
        assert record["tokens"] == 0 and _stats(url)["queue"]["waiting"] == 0  # gone before the model was free
        release.set()
        blocker.join(60)
    _idle(url, app)


def _ask_many(url: str, n: int, *, max_tokens: int) -> list[Future[Reply]]:
    """`n` requests at once, alternately plain and streamed, each from its own thread."""
    pool = ThreadPoolExecutor(max_workers=n)
    futures = [
        pool.submit(
            http,
            "POST",
            url + "/chat/completions",
            {"model": "tiny", "messages": ASK, "max_tokens": max_tokens, "temperature": 0, "stream": i % 2 == 1},
        )
        for i in range(n)
    ]
    pool.shutdown(wait=False)
    return futures


def _assert_answered(reply: Reply, *, stream: bool, max_tokens: int) -> None:
    assert reply.status == 200, reply.text
    if not stream:
        body = reply.json()
        assert isinstance(body["choices"][0]["message"]["content"], str) and body["choices"][0]["message"]["content"]
        assert body["usage"]["completion_tokens"] == max_tokens
        return
    events = [line[6:] for line in reply.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


def _assert_refused(reply: Reply) -> None:
    assert reply.status == 503, reply.text
    assert int(reply.headers["retry-after"]) >= 1
    error = reply.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["type"], error["code"]) == ("server_error", "server_busy")
    assert "busy" in error["message"] and "--max-queue 4" in error["message"]


def test_fifty_at_once_with_a_small_queue_are_answered_or_refused_with_retry_after(
    tiny_model: tuple[Any, Any],
) -> None:
    app = create_app(*tiny_model, model_id="tiny", max_queue=4)
    with running(app) as url, held(tiny_model[0]) as release:
        blocker = _ask_many(url, 1, max_tokens=2)[0]
        _wait_for(url, lambda s: s["queue"]["generating"] == 1, "the blocker to hold the model")
        futures = _ask_many(url, 50, max_tokens=8)
        deadline = time.monotonic() + 60
        while sum(f.done() for f in futures) < 46 and time.monotonic() < deadline:
            time.sleep(0.01)
        early = [f.result() for f in futures if f.done()]
        assert len(early) == 46 and all(r.status == 503 for r in early)  # refused at once, the model still busy
        assert _stats(url)["queue"] == {"max_queue": 4, "waiting": 4, "generating": 1}
        release.set()
        replies = [f.result(timeout=60) for f in futures]
        assert blocker.result(timeout=60).status == 200
        statuses = [r.status for r in replies]
        assert set(statuses) == {200, 503} and statuses.count(200) == 4
        for i, reply in enumerate(replies):
            if reply.status == 200:
                _assert_answered(reply, stream=i % 2 == 1, max_tokens=8)
            else:
                _assert_refused(reply)
        counts = _stats(url)["requests"]
        assert (counts["finished"], counts["refused"]) == (5, 46)
        _idle(url, app)


def test_fifty_at_once_with_a_large_enough_queue_are_all_answered(tiny_model: tuple[Any, Any]) -> None:
    app = create_app(*tiny_model, model_id="tiny", max_queue=64)
    with running(app) as url:
        replies = [f.result(timeout=120) for f in _ask_many(url, 50, max_tokens=8)]
        for i, reply in enumerate(replies):
            _assert_answered(reply, stream=i % 2 == 1, max_tokens=8)
        assert _stats(url)["requests"]["finished"] == 50
        _idle(url, app)


def test_a_failed_generation_is_a_500_and_frees_the_model(
    served: tuple[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, app = served

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(app.state.engine, "run", broken)
    reply = http("POST", url + "/chat/completions", {"model": "tiny", "messages": ASK, "max_tokens": 2})
    assert reply.status == 500 and reply.json()["error"]["message"] == "RuntimeError: out of memory"
    assert _stats(url)["recent"][-1]["outcome"] == "failed"
    monkeypatch.undo()
    _idle(url, app)
    assert http("POST", url + "/chat/completions", {"model": "tiny", "messages": ASK, "max_tokens": 2}).status == 200
