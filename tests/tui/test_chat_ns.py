"""The NS hook on for the neurosymbolic column only: engine-level toggling, and both columns of the chat streaming."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import torch

from nsllm_cli.errors import ArtifactError, ConfigError
from nsllm_cli.hooks import get_layers
from nsllm_cli.providers.base import GenParams, Message
from nsllm_cli.providers.local import LocalProvider
from nsllm_cli.providers.ns_local import HookedModel, NSLocalProvider, ns_pair
from nsllm_cli.tui.chat import make_chat
from nsllm_cli.tui.widgets.chat_column import ChatColumn
from nsllm_cli.tui.widgets.chat_message import ChatMessage

QUESTION: list[Message] = [{"role": "user", "content": "What is 866 gcd 46?"}]
GREEDY = GenParams(temperature=0.0, max_tokens=4)
SAMPLED = GenParams(temperature=1.0, max_tokens=12, seed=0)
"""The random tiny model's greedy answer is only newlines (nothing to see in a column): the columns sample.

Its logits are so flat that seeded sampling gives nearly the same words whatever the hidden states,
so differences between the columns are checked greedily.
"""


class Shift:
    """A fake intervention at block 1: adds a large constant to the last position and counts its calls."""

    layer = 1
    prefill_only = True

    def __init__(self) -> None:
        self.calls = 0

    def hook_fn(self, hidden: torch.Tensor, ctx: Any) -> torch.Tensor:
        self.calls += 1
        out = hidden.clone()
        out[:, ctx.position] += 25.0
        return out


def no_hooks_left(model: Any) -> bool:
    return all(not block._forward_pre_hooks for block in get_layers(model))


def test_hook_is_on_only_for_the_ns_provider_even_when_both_run_at_once(
    tiny_local: LocalProvider, model_cache: Path
) -> None:
    shift = Shift()
    ns = NSLocalProvider("local:tiny+ns", "tiny", ns=shift, model_cache=model_cache, device="cpu", dtype="float32")
    plain_ref = tiny_local.complete(QUESTION, GREEDY).text
    ns_ref = "".join(ns.stream(QUESTION, GREEDY))
    assert ns_ref != plain_ref and shift.calls == 1 and ns.generations == 1
    assert ns.loaded.lock is tiny_local.loaded.lock  # one model, one lock

    results: dict[str, list[str]] = {"plain": [], "ns": []}

    def ask(kind: str, provider: LocalProvider) -> None:
        for _ in range(2):
            results[kind].append("".join(provider.stream(QUESTION, GREEDY)))

    threads = [threading.Thread(target=ask, args=(k, p)) for k, p in [("plain", tiny_local), ("ns", ns)]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results["plain"] == [plain_ref] * 2
    assert results["ns"] == [ns_ref] * 2
    assert shift.calls == ns.generations == 3
    assert no_hooks_left(tiny_local.loaded.model)


def test_hooked_generate_refuses_to_run_without_the_lock(tiny_local: LocalProvider) -> None:
    hooked = HookedModel(tiny_local.loaded.model, Shift(), threading.Lock())
    with pytest.raises(RuntimeError, match="lock"):
        hooked.generate(input_ids=torch.tensor([[1, 2, 3]]), max_new_tokens=1)
    assert hooked.device == tiny_local.loaded.model.device  # everything else is the model's


def test_ns_pair_builds_both_providers_and_refuses_bad_input(
    tiny_ns_run: Path, model_cache: Path, tmp_path: Path
) -> None:
    plain, ns = ns_pair("local:tiny", tiny_ns_run, model_cache=model_cache, device="cpu", dtype="float32")
    assert (plain.name, ns.name) == ("local:tiny", "local:tiny+ns")
    assert type(plain) is LocalProvider and ns.ns.layer == 1
    with pytest.raises(ConfigError, match="local model"):
        ns_pair("gpt-4o", tiny_ns_run)
    with pytest.raises(ArtifactError, match="is not a finished finetune run"):
        ns_pair("local:tiny", tmp_path / "not-a-run")
    (tmp_path / "unfinished" / "artifacts").mkdir(parents=True)
    with pytest.raises(ArtifactError, match="artifacts/ns"):
        ns_pair("local:tiny", tmp_path / "unfinished")


async def test_both_columns_stream_and_only_the_ns_one_is_hooked(tiny_ns_run: Path, model_cache: Path) -> None:
    plain, ns = ns_pair("local:tiny", tiny_ns_run, model_cache=model_cache, device="cpu", dtype="float32")
    hook_calls: list[int] = []
    hook_fn = ns.ns.hook_fn

    def counting(hidden: torch.Tensor, ctx: Any) -> torch.Tensor:
        hook_calls.append(hidden.shape[1])
        result: torch.Tensor = hook_fn(hidden, ctx)
        return result

    ns.ns.hook_fn = counting
    app = make_chat(plain, ns_provider=ns, max_tokens=12, temperature=1.0, seed=0, ns_run=tiny_ns_run)
    async with app.run_test(size=(120, 30)) as pilot:
        titles = [c.border_title for c in app.query(ChatColumn)]
        assert titles == ["plain · local:tiny", "neurosymbolic · local:tiny+ns"]
        await app.ask(QUESTION[0]["content"])
        await app.workers.wait_for_complete()
        await pilot.pause()
        plain_answer, ns_answer = answers(app)
        for answer in (plain_answer, ns_answer):
            assert answer.state == "done" and answer.text.strip()
            assert answer.chunks > 1  # streamed, not written at once
            assert answer.source.strip() == answer.text.strip()
        assert len(hook_calls) == 1 and ns.generations == 1  # one hooked prefill: the NS column's
        assert ns.ns.last is not None and bool(ns.ns.last.gate.all())
        assert no_hooks_left(plain.loaded.model)
        exported = app.to_markdown()
        assert plain_answer.text.strip() in exported and ns_answer.text.strip() in exported
        assert str(tiny_ns_run) in exported


async def test_greedy_columns_differ_with_the_hook_on(tiny_ns_run: Path, model_cache: Path) -> None:
    plain, ns = ns_pair("local:tiny", tiny_ns_run, model_cache=model_cache, device="cpu", dtype="float32")
    app = make_chat(plain, ns_provider=ns, max_tokens=6)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.ask(QUESTION[0]["content"])
        await app.workers.wait_for_complete()
        await pilot.pause()
        plain_answer, ns_answer = answers(app)
        assert plain_answer.text == plain.complete(QUESTION, GenParams(max_tokens=6)).text  # no hook
        assert ns_answer.text.strip() and ns_answer.text != plain_answer.text


def answers(app: Any) -> tuple[ChatMessage, ChatMessage]:
    """The first answer of each of the two columns."""
    first, second = (column.query_one("ChatMessage.-assistant", ChatMessage) for column in app.query(ChatColumn))
    return first, second
