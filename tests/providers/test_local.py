"""`local:<model>` with the tiny random Llama: loaded once, real token counts, streaming, async."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import cast

import pytest

from nsllm_cli.providers import GenParams, Usage, get_provider
from nsllm_cli.providers.local import LocalProvider
from nsllm_cli.stop_strings import cut_at_stop, cut_stream

USER = [{"role": "user", "content": "What is 2+2?"}]
SHORT = GenParams(max_tokens=6)


@pytest.fixture
def local(tiny_dir: Path) -> LocalProvider:
    return cast(LocalProvider, get_provider(f"local:{tiny_dir}", device="cpu"))


def test_model_is_loaded_once_per_process(local: LocalProvider, tiny_dir: Path) -> None:
    again = cast(LocalProvider, get_provider(f"local:{tiny_dir}", device="cpu"))
    assert again is not local
    assert again.loaded is local.loaded and again.loaded.model is local.loaded.model
    assert local.name == f"local:{tiny_dir}" and local.model == str(tiny_dir.resolve())


def test_complete_returns_text_and_real_token_counts(local: LocalProvider) -> None:
    out = local.complete(USER, SHORT)
    tok = local.loaded.tokenizer
    prompt = tok.apply_chat_template(USER, add_generation_prompt=True, return_dict=True)["input_ids"]
    assert isinstance(out.text, str)
    assert out.usage.prompt_tokens == len(prompt)
    assert 1 <= out.usage.completion_tokens <= 6 and out.usage.reported
    assert out.finish_reason in ("stop", "length") and not out.cached
    assert local.last_usage == out.usage


def test_stream_matches_complete_and_sets_usage(local: LocalProvider) -> None:
    whole = local.complete(USER, SHORT)
    pieces = list(local.stream(USER, SHORT))
    assert "".join(pieces) == whole.text
    assert local.last_usage == whole.usage


async def test_async_paths_share_the_model_safely(local: LocalProvider) -> None:
    first, second = await asyncio.gather(local.acomplete(USER, SHORT), local.acomplete(USER, SHORT))
    assert first.text == second.text and first.usage == second.usage  # greedy: identical
    pieces = [p async for p in local.astream(USER, SHORT)]
    assert "".join(pieces) == first.text and local.last_usage == first.usage


def test_an_abandoned_stream_releases_the_model(local: LocalProvider) -> None:
    stream = local.stream(USER, GenParams(max_tokens=40))
    next(iter(stream), None)
    stream.close()  # type: ignore[attr-defined]
    assert local.loaded.lock.acquire(timeout=5)
    local.loaded.lock.release()
    assert local.complete(USER, SHORT).usage != Usage()


def test_stop_strings_are_cut_like_the_openai_api() -> None:
    assert cut_at_stop("abc</code>rest", ["</code>"]) == ("abc", True)
    assert cut_at_stop("abc", ["x"]) == ("abc", False)
    assert "".join(cut_stream(["ab", "c</c", "ode>tail"], ("</code>",))) == "abc"
    assert "".join(cut_stream(["a", "b"], ())) == "ab"
    assert "".join(cut_stream(["hello ", "world"], ("zzz",))) == "hello world"
