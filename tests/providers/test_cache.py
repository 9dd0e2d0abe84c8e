"""The on-disk response cache: hits, misses, what is cached, and robustness to bad files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from nsllm_cli.providers import Completion, GenParams, Provider, ResponseCache, Usage
from tests.providers.conftest import USER
from tests.providers.fake_openai import FakeServer

pytestmark = pytest.mark.timeout(30)

MakeProvider = Callable[..., Provider]


def test_second_call_is_served_from_disk_with_the_original_usage(
    server: FakeServer, make: MakeProvider, tmp_path: Path
) -> None:
    p = make(cache_dir=tmp_path / "c")
    first = p.complete(USER)
    second = p.complete(USER)
    assert first.cached is False and second.cached is True
    assert second.text == first.text and second.usage == Usage(11, 7) and p.last_usage == Usage(11, 7)
    assert len(server.requests) == 1
    files = list((tmp_path / "c" / "responses").glob("*/*.json"))
    assert len(files) == 1 and files[0].parent.name == files[0].stem[:2] and len(files[0].stem) == 64
    record = json.loads(files[0].read_text(encoding="utf-8"))
    assert record["request"]["messages"] == USER and "EMPTY" not in files[0].read_text(encoding="utf-8")


def test_a_fresh_provider_reuses_the_cache(server: FakeServer, make: MakeProvider, tmp_path: Path) -> None:
    make(cache_dir=tmp_path).complete(USER)
    assert make(cache_dir=tmp_path).complete(USER).cached
    assert len(server.requests) == 1


def test_different_params_messages_or_models_miss(server: FakeServer, make: MakeProvider, tmp_path: Path) -> None:
    p = make(cache_dir=tmp_path)
    p.complete(USER)
    p.complete(USER, GenParams(max_tokens=5))
    p.complete(USER, GenParams(stop=("x",)))
    p.complete([{"role": "user", "content": "What is 3+3?"}])
    make("other-model", cache_dir=tmp_path).complete(USER)
    assert len(server.requests) == 5
    p.complete(USER, GenParams(max_tokens=5))
    assert len(server.requests) == 5


def test_unseeded_sampling_is_not_cached_but_seeded_is(server: FakeServer, make: MakeProvider, tmp_path: Path) -> None:
    p = make(cache_dir=tmp_path)
    for _ in range(2):
        p.complete(USER, GenParams(temperature=0.7))
    assert len(server.requests) == 2
    for _ in range(2):
        p.complete(USER, GenParams(temperature=0.7, seed=1))
    assert len(server.requests) == 3


def test_a_whole_stream_is_cached_and_replayed(server: FakeServer, make: MakeProvider, tmp_path: Path) -> None:
    p = make(cache_dir=tmp_path)
    assert "".join(p.stream(USER)) == server.state.reply
    assert list(p.stream(USER)) == [server.state.reply]
    assert p.last_usage == Usage(11, 7)
    assert p.complete(USER).cached
    assert len(server.requests) == 1


def test_a_cut_stream_is_not_cached(server: FakeServer, make: MakeProvider, tmp_path: Path) -> None:
    p = make(cache_dir=tmp_path)
    server.script("cut")
    assert "".join(p.stream(USER)) == "Hello"
    assert "".join(p.stream(USER)) == server.state.reply
    assert len(server.requests) == 2


async def test_async_calls_share_the_cache(server: FakeServer, make: MakeProvider, tmp_path: Path) -> None:
    p = make(cache_dir=tmp_path)
    await p.acomplete(USER)
    assert (await p.acomplete(USER)).cached
    assert [c async for c in p.astream(USER)] == [server.state.reply]
    assert len(server.requests) == 1


def test_cache_unit_roundtrip_and_corrupt_files(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    key = cache.key(kind="openai", base_url="http://x/v1/", model="m", messages=USER, params=GenParams())
    assert key == cache.key(kind="openai", base_url="http://x/v1", model="m", messages=USER, params=GenParams())
    assert cache.get(key) is None
    cache.put(key, Completion("hi", Usage(3, 1), "m", False, "stop"))
    assert cache.get(key) == Completion("hi", Usage(3, 1), "m", True, "stop")
    cache.path(key).write_text("{not json", encoding="utf-8")
    assert cache.get(key) is None
    assert not ResponseCache(tmp_path).cacheable(GenParams(temperature=1.0))
    assert ResponseCache(tmp_path, cache_unseeded_samples=True).cacheable(GenParams(temperature=1.0))


def test_an_unwritable_cache_costs_a_warning_not_the_answer(
    server: FakeServer, make: MakeProvider, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    p = make(cache_dir=blocker)
    assert p.complete(USER).text == server.state.reply
    assert not p.complete(USER).cached
