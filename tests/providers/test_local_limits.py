"""Local models refuse an empty prompt or one past the context in one line, before generating (plain and NS)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from nsllm_cli.errors import ConfigError, ProviderError
from nsllm_cli.providers import GenParams, get_provider
from nsllm_cli.providers.base import Message
from nsllm_cli.providers.limits import context_length, is_blank
from nsllm_cli.providers.local import LocalProvider
from nsllm_cli.providers.ns_local import NSLocalProvider
from tests.providers.ns_runs import make_tiny_ns_run

SHORT = GenParams(max_tokens=4)
BLANK: list[Message] = [{"role": "system", "content": ""}, {"role": "user", "content": " \n\t "}]


@pytest.fixture
def plain(tiny_dir: Path, model_cache: Path) -> LocalProvider:
    return cast(LocalProvider, get_provider("local:tiny", device="cpu", model_cache=model_cache))


@pytest.fixture
def ns(tmp_path: Path, plain: LocalProvider, model_cache: Path) -> NSLocalProvider:
    run = make_tiny_ns_run(tmp_path, "open", model_cache=model_cache)
    return cast(NSLocalProvider, get_provider(f"ns:{run}", device="cpu", model_cache=model_cache))


def long_prompt(provider: LocalProvider, n_tokens: int) -> list[Message]:
    """A user message whose chat-templated prompt has exactly `n_tokens` tokens."""
    tok = provider.loaded.tokenizer

    def length(words: int) -> int:
        messages = [{"role": "user", "content": "x" + " x" * words}]
        enc = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)
        return len(enc["input_ids"])

    words = n_tokens - length(0)
    assert length(words) == n_tokens
    return [{"role": "user", "content": "x" + " x" * words}]


@pytest.mark.parametrize("which", ["plain", "ns"])
def test_an_empty_prompt_is_refused_in_one_line(which: str, request: pytest.FixtureRequest) -> None:
    provider: LocalProvider = request.getfixturevalue(which)
    with pytest.raises(ConfigError) as err:
        provider.complete(BLANK, SHORT)
    assert str(err.value) == f"{provider.name}: the prompt is empty (no message has any text)"
    with pytest.raises(ConfigError, match="the prompt is empty"):
        list(provider.stream(BLANK, SHORT))
    assert provider.loaded.lock.acquire(timeout=5)  # the lock was released
    provider.loaded.lock.release()
    if isinstance(provider, NSLocalProvider):
        assert provider.generations == 0


@pytest.mark.parametrize("which", ["plain", "ns"])
def test_a_prompt_past_the_context_is_refused_before_generating(which: str, request: pytest.FixtureRequest) -> None:
    provider: LocalProvider = request.getfixturevalue(which)
    messages = long_prompt(provider, 512)  # the tiny model's context: no room for one token
    with pytest.raises(ProviderError) as err:
        provider.complete(messages, SHORT)
    assert str(err.value) == f"{provider.name}: the prompt has 512 tokens, the model's context is 512: shorten it"
    assert err.value.status == 400
    with pytest.raises(ProviderError, match="the model's context is 512"):
        list(provider.stream(messages, SHORT))
    if isinstance(provider, NSLocalProvider):
        assert provider.generations == 0


def test_an_answer_stops_at_the_end_of_the_context(plain: LocalProvider) -> None:
    messages = long_prompt(plain, 509)
    done = plain.complete(messages, GenParams(max_tokens=20))
    assert (done.usage.prompt_tokens, done.usage.completion_tokens, done.finish_reason) == (509, 3, "length")
    assert "".join(plain.stream(messages, GenParams(max_tokens=20))) == done.text


def test_context_length_takes_the_smaller_known_limit() -> None:
    model = SimpleNamespace(config=SimpleNamespace(max_position_embeddings=512))
    assert context_length(model, SimpleNamespace(model_max_length=100)) == 100
    assert context_length(model, SimpleNamespace(model_max_length=int(1e30))) == 512  # "no limit" sentinel
    assert context_length(SimpleNamespace(config=SimpleNamespace()), SimpleNamespace()) is None


def test_is_blank_reads_strings_and_text_parts() -> None:
    assert is_blank([]) and is_blank(BLANK) and is_blank([{"role": "user", "content": [{"type": "text", "text": " "}]}])
    assert not is_blank([{"role": "system", "content": "Be brief."}, {"role": "user", "content": ""}])
    assert not is_blank([{"role": "user", "content": [{"type": "text", "text": "hi"}]}])
