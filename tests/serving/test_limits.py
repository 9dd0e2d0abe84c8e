"""Over real loopback HTTP: an empty prompt or one past the context is a 400 in OpenAI's format (plain and NS)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from openai import OpenAI

from nsllm_cli.serving import create_app
from tests.serving.conftest import http, running
from tests.serving.test_ns import make_ns_run


def words_for(tok: Any, n_tokens: int) -> str:
    """A user message whose chat-templated prompt has exactly `n_tokens` tokens."""

    def length(words: int) -> int:
        messages = [{"role": "user", "content": "x" + " x" * words}]
        return len(
            tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]
        )

    words = n_tokens - length(0)
    assert length(words) == n_tokens
    return "x" + " x" * words


@pytest.fixture(scope="module", params=["plain", "ns"])
def served(
    request: pytest.FixtureRequest, tiny_model: tuple[Any, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(base URL, model id) of the tiny model served plain, then with an NS intervention."""
    from nsllm_cli.ns.store import load_ns

    model, tok = tiny_model
    ns = None
    if request.param == "ns":
        run: Path = make_ns_run(tmp_path_factory.mktemp("limits"), model, tok, gate=-1e9)
        ns, _ = load_ns(run / "artifacts" / "ns")
    name = "tiny+ns" if ns is not None else "tiny"
    with running(create_app(model, tok, model_id=name, ns=ns)) as url:
        yield url, name


def _error(reply: Any) -> dict[str, Any]:
    assert reply.status == 400, reply.text
    error = reply.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["type"] == "invalid_request_error"
    assert "\n" not in error["message"]
    return dict(error)


@pytest.mark.parametrize("stream", [False, True])
def test_an_empty_prompt_is_a_400(served: tuple[str, str], stream: bool) -> None:
    url, name = served
    blank = [{"role": "system", "content": " "}, {"role": "user", "content": [{"type": "text", "text": "\n"}]}]
    error = _error(http("POST", url + "/chat/completions", {"model": name, "messages": blank, "stream": stream}))
    assert (error["code"], error["param"]) == ("empty_prompt", "messages")
    assert error["message"] == "the prompt is empty: no message has any text"


@pytest.mark.parametrize("stream", [False, True])
def test_a_prompt_past_the_context_is_a_400(served: tuple[str, str], tiny_model: tuple[Any, Any], stream: bool) -> None:
    url, name = served
    messages = [{"role": "user", "content": words_for(tiny_model[1], 512)}]
    body = {"model": name, "messages": messages, "max_tokens": 4, "stream": stream}
    error = _error(http("POST", url + "/chat/completions", body))
    assert (error["code"], error["param"]) == ("context_length_exceeded", "messages")
    assert error["message"] == "the prompt has 512 tokens; the model's context is 512"
    client = OpenAI(base_url=url, api_key="x", max_retries=0, timeout=120)
    with pytest.raises(openai.BadRequestError) as err:  # what an OpenAI client sees
        client.chat.completions.create(model=name, messages=messages, max_tokens=4)  # type: ignore[arg-type]
    assert err.value.code == "context_length_exceeded"
    # a prompt that fits is answered, cut at the end of the context
    fits = [{"role": "user", "content": words_for(tiny_model[1], 509)}]
    resp = client.chat.completions.create(model=name, messages=fits, max_tokens=20, temperature=0)  # type: ignore[arg-type]
    assert resp.usage is not None and resp.usage.completion_tokens == 3
    assert resp.choices[0].finish_reason == "length"


def test_the_tokenizers_smaller_limit_counts(tiny_model: tuple[Any, Any]) -> None:
    model, tok = tiny_model
    short = copy.deepcopy(tok)
    short.model_max_length = 100
    with running(create_app(model, short, model_id="tiny")) as url:
        messages = [{"role": "user", "content": words_for(tok, 100)}]
        error = _error(http("POST", url + "/chat/completions", {"model": "tiny", "messages": messages}))
    assert error["message"] == "the prompt has 100 tokens; the model's context is 100"
