"""The NS intervention: reading (type, x, y) from a hidden state, the symbolic result, the gate, the mix,
where the hook writes (one position or every later one), and the multi-layer reads; small tensors first,
then the tiny model."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import torch

from nsllm_cli.hooks import intervene
from nsllm_cli.ns.batches import answer_ids, build_batch
from nsllm_cli.ns.injection import attach
from nsllm_cli.ns.paper.intervention import NSIntervention
from nsllm_cli.ns.problems import PROBLEM_TYPES, UNSEEN_TYPES, is_unseen, make_problem, solve
from nsllm_cli.ns.prompts import answer_text, ns_messages
from nsllm_cli.ns.trainer import forward_answers
from nsllm_cli.ns.vsa import VSA

DIM = 1024


@pytest.fixture(scope="module")
def vsa() -> VSA:
    return VSA.generate(types=PROBLEM_TYPES, dim=DIM, max_digits=3, seed=0)


def _identity(vsa: VSA, **kw: Any) -> NSIntervention:
    """Hidden states of size D that *are* VSA vectors: Enc and Dec are the identity."""
    return NSIntervention(vsa, torch.eye(DIM), torch.eye(DIM), layer=0, **kw)


def _problems(vsa: VSA) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    x, y = torch.tensor([866, 500, 12]), torch.tensor([46, 3, 8])
    t = torch.tensor([PROBLEM_TYPES.index(name) for name in ("gcd", "bitwise_xor", "lcm")])
    return x, y, t, vsa.encode_problem(x, y, t)


def test_decode_reads_the_problem_and_solves_it_per_item(vsa: VSA) -> None:
    x, y, t, h = _problems(vsa)
    d = _identity(vsa).decode(h)
    assert d.x.tolist() == x.tolist() and d.y.tolist() == y.tolist() and d.type_idx.tolist() == t.tolist()
    assert d.result.tolist() == [solve("gcd", 866, 46), solve("bitwise_xor", 500, 3), solve("lcm", 12, 8) % 1000]
    assert d.gate.all()  # type scores of clean vectors are about 1, above the default 0.8


def test_forward_mixes_the_decoded_result_where_the_gate_is_open(vsa: VSA) -> None:
    _, _, _, h = _problems(vsa)
    ns = _identity(vsa, mix=0.25)
    out = ns(h)
    assert ns.last is not None
    m = vsa.encode_number(ns.last.result)
    assert torch.allclose(out, 0.75 * m + 0.25 * h, atol=1e-5)  # h' = (1 - w) m + w h
    assert torch.equal(_identity(vsa, gate=1e9)(h), h)  # closed gate: untouched


def test_oracle_mode_uses_the_truth_and_opens_the_gate(vsa: VSA) -> None:
    ns = _identity(vsa, oracle=True)
    ns.truth = (torch.tensor([7]), torch.tensor([5]), torch.tensor([PROBLEM_TYPES.index("gcd")]))
    d = ns.decode(torch.zeros(1, DIM))  # nothing readable in h
    assert d.x.tolist() == [7] and d.result.tolist() == [1] and d.gate.all()


def test_hook_writes_one_position_or_every_later_one(vsa: VSA) -> None:
    _, _, _, h = _problems(vsa)
    hidden = torch.stack([torch.randn_like(h), h, torch.randn_like(h)], dim=1)  # (B, T=3, D), problem at 1
    last = _identity(vsa, inject="last")
    out = last.hook_fn(hidden, SimpleNamespace(position=1, call_index=0))
    assert torch.equal(out[:, 0], hidden[:, 0]) and torch.equal(out[:, 2], hidden[:, 2])
    assert torch.allclose(out[:, 1], last(h), atol=1e-6)
    every = _identity(vsa, inject="every")
    out = every.hook_fn(hidden, SimpleNamespace(position=1, call_index=0))
    assert every.last is not None
    m = vsa.encode_number(every.last.result)
    assert torch.equal(out[:, 0], hidden[:, 0])
    assert torch.allclose(out[:, 2], 0.5 * m + 0.5 * hidden[:, 2], atol=1e-5)
    step = torch.randn(3, 1, DIM)  # a decode step reuses the m read at the prefill
    assert torch.allclose(every.hook_fn(step, SimpleNamespace(call_index=1)), 0.5 * m[:, None] + 0.5 * step, atol=1e-5)
    assert last.prefill_only and not every.prefill_only


def test_only_the_decoder_trains_and_bad_options_are_refused(vsa: VSA) -> None:
    ns = _identity(vsa)
    assert ns.trainable_parameters() == DIM * DIM
    assert [name for name, p in ns.named_parameters() if p.requires_grad] == ["decoder.weight"]
    with pytest.raises(ValueError, match="inject"):
        _identity(vsa, inject="sometimes")
    with pytest.raises(ValueError, match="read_layers"):
        NSIntervention(vsa, torch.eye(DIM), torch.eye(DIM), layer=1, read_layers=[1, 0])
    assert all(is_unseen(t) for t in UNSEEN_TYPES) and not is_unseen("gcd")


# -- on the tiny model ---------------------------------------------------------------------------------


def _ns(layer: int = 1, **kw: Any) -> NSIntervention:
    vsa = VSA.generate(types=PROBLEM_TYPES, dim=256, seed=0)
    gen = torch.Generator().manual_seed(0)
    enc, dec = torch.randn(256, 64, generator=gen) * 0.1, torch.randn(64, 256, generator=gen) * 0.1
    return NSIntervention(vsa, enc, dec, layer=layer, **kw)


def test_intervention_is_per_item_and_gated(tiny: tuple[Any, Any]) -> None:
    model, tok = tiny
    probs = [make_problem("gcd", 866, 46), make_problem("bitwise_xor", 500, 3)]
    pairs = [answer_ids(tok, ns_messages(p, seed=0), answer_text(p.solution)) for p in probs]
    batch = build_batch(tok, pairs)
    ns = _ns(oracle=True)
    ns.truth = (torch.tensor([866, 500]), torch.tensor([46, 3]), torch.tensor([p.type_index for p in probs]))
    with torch.no_grad():
        ref, _ = forward_answers(model, batch, None)
        changed, _ = forward_answers(model, batch, ns)
    assert ns.last is not None
    assert ns.last.result.tolist() == [solve("gcd", 866, 46), solve("bitwise_xor", 500, 3)]
    assert not torch.allclose(ref, changed)
    closed = _ns(gate=1e9)  # no type score passes: the model must be untouched
    with torch.no_grad():
        same, _ = forward_answers(model, batch, closed)
    assert torch.allclose(ref, same, atol=1e-5)  # (a KV-cached prefix may differ in the last bits)


def test_intervene_with_ns_in_generate(tiny: tuple[Any, Any]) -> None:
    model, tok = tiny
    ns = _ns(oracle=False, gate=-1e9)
    enc = tok(["What is 4 AND 2?"], return_tensors="pt")
    with intervene(model, ns.layer, ns.hook_fn, prefill_only=True) as handle:
        model.generate(**enc, max_new_tokens=3, do_sample=False, pad_token_id=tok.pad_token_id)
    assert handle.applied == 1 and ns.last is not None and ns.last.gate.all()


def test_inject_every_reaches_the_answer_positions_and_decode_steps(tiny: tuple[Any, Any]) -> None:
    model, tok = tiny
    probs = [make_problem("gcd", 866, 46), make_problem("bitwise_xor", 500, 3)]
    batch = build_batch(tok, [answer_ids(tok, ns_messages(p, seed=0), answer_text(p.solution)) for p in probs])
    with torch.no_grad():
        last, _ = forward_answers(model, batch, _ns(gate=-1e9, inject="last"))
        every, _ = forward_answers(model, batch, _ns(gate=-1e9, inject="every"))
        closed, _ = forward_answers(model, batch, _ns(gate=1e9, inject="every"))
        base, _ = forward_answers(model, batch, None)
    # the first answer logit comes from the last prompt token, the same in both modes; later ones differ
    assert torch.allclose(last[:, 0], every[:, 0], atol=1e-5)
    assert not torch.allclose(last[:, 1:], every[:, 1:], atol=1e-3)
    assert torch.allclose(closed, base, atol=1e-5)  # a closed gate leaves every position alone
    ns = _ns(gate=-1e9, inject="every")
    assert not ns.prefill_only
    enc = tok(["What is 4 AND 2?"], return_tensors="pt")
    with intervene(model, ns.layer, ns.hook_fn, prefill_only=ns.prefill_only) as handle:
        model.generate(**enc, max_new_tokens=4, min_new_tokens=4, do_sample=False, pad_token_id=tok.pad_token_id)
    assert handle.calls == 4 and handle.applied == 4  # the prefill and three decode steps
    with pytest.raises(ValueError, match="inject"):
        _ns(inject="sometimes")


def test_multi_layer_encoder_reads_every_layer_at_the_position(tiny: tuple[Any, Any]) -> None:
    from nsllm_cli.hooks import record

    model, tok = tiny
    vsa = VSA.generate(types=PROBLEM_TYPES, dim=256, seed=0)
    gen = torch.Generator().manual_seed(0)
    enc, dec = torch.randn(256, 128, generator=gen), torch.randn(64, 256, generator=gen) * 0.1
    ns = NSIntervention(vsa, enc, dec, layer=1, gate=-1e9, read_layers=[0, 1])
    probs = [make_problem("gcd", 866, 46), make_problem("bitwise_xor", 500, 3)]
    batch = build_batch(tok, [answer_ids(tok, ns_messages(p, seed=0), answer_text(p.solution)) for p in probs])
    p_len = batch.prompt_len
    with torch.no_grad():
        with record(model, [0, 1], position=p_len - 1) as rec:
            model(**batch.model_inputs())
        expect = ns.decode(torch.cat([rec[0], rec[1]], dim=-1))
        for prefix_cache in (False, True):
            forward_answers(model, batch, ns, prefix_cache=prefix_cache)
            assert ns.last is not None
            assert torch.equal(ns.last.x, expect.x) and torch.equal(ns.last.y, expect.y)
            assert torch.allclose(ns.last.score, expect.score, atol=1e-4)
        with pytest.raises(RuntimeError, match="attach"), intervene(model, 1, ns.hook_fn):
            model(**batch.model_inputs())
        with attach(model, ns):
            model(**batch.model_inputs())
    assert not ns._read  # the reads are dropped when the context closes
    with pytest.raises(ValueError, match="read_layers"):
        NSIntervention(vsa, enc, dec, layer=0, read_layers=[0, 1])
