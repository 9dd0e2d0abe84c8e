"""Recording and intervention hooks on the tiny Llama and on a keyword-calling toy model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from nsllm_cli.errors import LayerError
from nsllm_cli.hooks import (
    InterventionContext,
    get_layers,
    intervene,
    num_layers,
    record,
    resolve_layer,
    retuple,
    untuple,
)

PROMPTS = ["Hello", "What is 12 times 34, exactly?"]


@pytest.fixture(scope="module")
def lm(tiny_dir: Path) -> Iterator[tuple[Any, Any]]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(tiny_dir)).eval()
    tok = AutoTokenizer.from_pretrained(str(tiny_dir))
    tok.padding_side = "left"
    yield model, tok


@pytest.fixture(autouse=True)
def _no_grad() -> Iterator[None]:
    with torch.no_grad():
        yield


def _batch(tok: Any, prompts: list[str] = PROMPTS) -> dict[str, torch.Tensor]:
    return dict(tok(prompts, return_tensors="pt", padding=True))


def _no_hooks(model: Any) -> bool:
    return all(not block._forward_pre_hooks for block in model.model.layers)


def _bump_last(h: torch.Tensor, ctx: InterventionContext) -> torch.Tensor:
    return torch.cat([h[:, :-1], h[:, -1:] + 1.0], dim=1)


def test_record_equals_output_hidden_states(lm: tuple[Any, Any]) -> None:
    model, tok = lm
    batch = _batch(tok)
    assert batch["attention_mask"][0, 0] == 0  # left-padded, different lengths
    with record(model, [0, 1]) as last, record(model, [0, 1], position=None) as full:
        out = model(**batch, output_hidden_states=True)
    assert len(out.hidden_states) == num_layers(model) + 1 == 3
    for layer in (0, 1):
        assert torch.equal(last[layer], out.hidden_states[layer][:, -1])
        assert torch.equal(full[layer], out.hidden_states[layer])
        assert last[layer].device.type == "cpu" and not last[layer].requires_grad
    assert full[0].data_ptr() != out.hidden_states[0].data_ptr()  # a copy, not a view


def test_hooks_removed_after_block_and_on_error(lm: tuple[Any, Any]) -> None:
    model, tok = lm
    with record(model, [0, 1]), intervene(model, 1, _bump_last):
        assert not _no_hooks(model)
    assert _no_hooks(model)
    with pytest.raises(RuntimeError, match="boom"), record(model, [0, 1]), intervene(model, 0, _bump_last):
        raise RuntimeError("boom")
    assert _no_hooks(model)


def test_layer_indices(lm: tuple[Any, Any]) -> None:
    model, tok = lm
    assert get_layers(model) is model.model.layers
    assert [resolve_layer(model, i) for i in (-2, -1, 0, 1)] == [0, 1, 0, 1]
    with record(model, [-1]) as rec:
        out = model(**_batch(tok), output_hidden_states=True)
    assert list(rec) == [1]
    assert torch.equal(rec[-1], out.hidden_states[1][:, -1]) and rec[-1] is rec[1]
    for bad in (2, 40, -3):
        with pytest.raises(LayerError, match=r"model has 2 blocks \(valid -2\.\.1\)"):
            resolve_layer(model, bad)
    with pytest.raises(LayerError, match="out of range"):
        with record(model, [0, 2]):
            pass
    assert _no_hooks(model)
    with pytest.raises(LayerError, match="after the final norm"):
        resolve_layer(model, 2)  # hidden_states[2] exists but is no block input
    with pytest.raises(LayerError, match="decoder blocks"):
        get_layers(nn.Linear(2, 2))


class FakePeft(nn.Module):
    """Stands in for a peft wrapper: blocks reachable only through `get_base_model()`."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.wrapped = inner

    def get_base_model(self) -> nn.Module:
        return self.wrapped


def test_get_layers_through_wrappers(lm: tuple[Any, Any]) -> None:
    model, _ = lm
    assert get_layers(FakePeft(model)) is model.model.layers
    assert get_layers(model.model) is model.model.layers  # the bare base model (`.layers`)


def test_untuple_retuple() -> None:
    t, u = torch.zeros(2), torch.ones(2)
    assert untuple(t) is t and retuple(t, u) is u
    packed = (t, "cache", None)
    assert untuple(packed) is t
    again = retuple(packed, u)
    assert isinstance(again, tuple) and again[0] is u and again[1:] == ("cache", None)
    with pytest.raises(TypeError):
        untuple(("not a tensor",))


def test_intervene_changes_logits_without_in_place_edits(lm: tuple[Any, Any]) -> None:
    model, tok = lm
    batch = _batch(tok)
    base = model(**batch).logits
    with intervene(model, 1, lambda h, ctx: h):
        assert torch.equal(model(**batch).logits, base)
    with intervene(model, 1, lambda h, ctx: h.clone()):
        assert torch.equal(model(**batch).logits, base)
    received: list[tuple[torch.Tensor, torch.Tensor]] = []

    def bump(h: torch.Tensor, ctx: InterventionContext) -> torch.Tensor:
        received.append((h, h.clone()))
        return _bump_last(h, ctx)

    with intervene(model, 1, bump):
        changed = model(**batch).logits
    assert not torch.equal(changed[:, -1], base[:, -1])
    assert torch.equal(changed[:, :-1], base[:, :-1])  # causal: earlier positions untouched
    ((h, snapshot),) = received
    assert torch.equal(h, snapshot)

    def in_place(h: torch.Tensor, ctx: InterventionContext) -> torch.Tensor:
        return h.add_(1.0)

    with pytest.raises(RuntimeError, match="in place"), intervene(model, 0, in_place):
        model(**batch)


def test_prefill_only_inside_generate(lm: tuple[Any, Any]) -> None:
    model, tok = lm
    batch = _batch(tok)
    t = batch["input_ids"].shape[1]
    for prefill_only, expected in ((True, [(0, t)]), (False, [(0, t), (1, 1), (2, 1)])):
        seen: list[tuple[int, int]] = []

        def spy(h: torch.Tensor, ctx: InterventionContext, seen: list[tuple[int, int]] = seen) -> torch.Tensor:
            seen.append((ctx.call_index, h.shape[1]))
            return h

        with intervene(model, 0, spy, prefill_only=prefill_only) as handle:
            ids = model.generate(**batch, max_new_tokens=3, min_new_tokens=3, do_sample=False)
        assert ids.shape[1] == batch["input_ids"].shape[1] + 3
        assert seen == expected  # 1 prefill (T = prompt length) + 2 decode steps (T = 1)
        assert (handle.calls, handle.applied) == (3, len(expected))


def test_gradients_flow_through_fn(lm: tuple[Any, Any]) -> None:
    model, tok = lm
    scale = nn.Parameter(torch.tensor(1.0))
    with torch.enable_grad():
        with intervene(model, 1, lambda h, ctx: h * scale):
            loss = model(**_batch(tok)).logits.square().mean()
        loss.backward()
    assert scale.grad is not None and scale.grad.abs() > 0


def test_handle_position_and_reset(lm: tuple[Any, Any]) -> None:
    model, tok = lm
    batch = _batch(tok)
    seen: list[tuple[int, int | None, str]] = []

    def spy(h: torch.Tensor, ctx: InterventionContext) -> torch.Tensor:
        seen.append((ctx.call_index, ctx.position, ctx.tag))
        return h

    with intervene(model, -1, spy) as handle:
        handle.position = 5
        handle.tag = "first"  # type: ignore[attr-defined]
        model(**batch)
        model(**batch)
        assert seen == [(0, 5, "first")] and handle.calls == 2
        handle.reset()
        handle.position = 3
        handle.tag = "second"  # type: ignore[attr-defined]
        model(**batch)
    assert seen == [(0, 5, "first"), (0, 3, "second")]
    assert (handle.calls, handle.applied, handle.layer) == (1, 1, 1)


def test_nesting_follows_registration_order(lm: tuple[Any, Any]) -> None:
    model, tok = lm
    batch = _batch(tok)
    with record(model, [0, 1]) as clean:
        model(**batch)
    with record(model, [0, 1]) as outer, intervene(model, 0, _bump_last), record(model, [0, 1]) as inner:
        model(**batch)
    assert torch.equal(outer[0], clean[0])  # registered before the intervention: sees the original
    assert torch.equal(inner[0], clean[0] + 1.0)  # registered after: sees the intervened input
    assert torch.equal(outer[1], inner[1]) and not torch.equal(inner[1], clean[1])


def test_record_every_call(lm: tuple[Any, Any]) -> None:
    model, tok = lm
    batch = _batch(tok)
    with record(model, [1], every_call=True) as rec:
        model.generate(**batch, max_new_tokens=3, min_new_tokens=3, do_sample=False)
    assert [tuple(t.shape) for t in rec[1]] == [(2, 64)] * 3


class KwBlock(nn.Module):
    """A block that only accepts its input as the `hidden_states` keyword."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.lin = nn.Linear(d, d)

    def forward(self, *, hidden_states: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = hidden_states + self.lin(hidden_states)
        return out


class KwInner(nn.Module):
    def __init__(self, d: int, n: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(KwBlock(d) for _ in range(n))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        for block in self.layers:
            h = block(hidden_states=h)
        return h


class KwWrapper(nn.Module):
    def __init__(self, d: int = 8, n: int = 3) -> None:
        super().__init__()
        self.model = KwInner(d, n)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.model(h)
        return out


def test_keyword_hidden_states() -> None:
    torch.manual_seed(0)
    toy = KwWrapper()
    x = torch.randn(2, 4, 8)
    with torch.no_grad():
        h1 = toy.model.layers[0](hidden_states=x)
        with record(toy, [1], position=None) as rec:
            base = toy(x)
        assert torch.equal(rec[1], h1)
        with intervene(toy, 1, lambda h, ctx: h + 1.0):
            changed = toy(x)
        expected = toy.model.layers[2](hidden_states=toy.model.layers[1](hidden_states=h1 + 1.0))
    assert torch.equal(changed, expected) and not torch.equal(changed, base)
    assert all(not block._forward_pre_hooks for block in toy.model.layers)
