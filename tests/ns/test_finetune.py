"""Teacher-forced batches and resumable decoder fine-tuning on the tiny model (the hook: test_intervention.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.errors import DataError
from nsllm_cli.ns.batches import answer_ids, answer_loss, build_batch
from nsllm_cli.ns.paper.finetune import check_training_types, finetune_ns
from nsllm_cli.ns.paper.intervention import NSIntervention
from nsllm_cli.ns.problems import PROBLEM_TYPES, make_problem
from nsllm_cli.ns.prompts import answer_text, ns_messages
from nsllm_cli.ns.splits import generate_splits
from nsllm_cli.ns.store import load_ns
from nsllm_cli.ns.trainer import forward_answers, step_items
from nsllm_cli.ns.vsa import VSA

runner = CliRunner()


def _ns(layer: int = 1, **kw: Any) -> NSIntervention:
    vsa = VSA.generate(types=PROBLEM_TYPES, dim=256, seed=0)
    gen = torch.Generator().manual_seed(0)
    enc, dec = torch.randn(256, 64, generator=gen) * 0.1, torch.randn(64, 256, generator=gen) * 0.1
    return NSIntervention(vsa, enc, dec, layer=layer, **kw)


def test_answer_ids_and_batch_alignment(tiny: tuple[Any, Any]) -> None:
    model, tok = tiny
    probs = [make_problem("gcd", 866, 47), make_problem("bitwise_or", 5, 3)]
    pairs = [answer_ids(tok, ns_messages(p, seed=0), answer_text(p.solution)) for p in probs]
    for (_, a), p in zip(pairs, probs, strict=True):
        assert tok.decode(a[:-1]).strip() == str(p.solution) and a[-1] == tok.eos_token_id
    batch = build_batch(tok, pairs)
    assert batch.input_ids.shape[1] == batch.prompt_len + max(len(a) for _, a in pairs)
    # answer-only logits (logits_to_keep) give the same loss as the full forward with shifted labels
    with torch.no_grad():
        fast_logits, fast_labels = forward_answers(model, batch, None)
        full = model(**batch.model_inputs()).logits
    assert torch.allclose(answer_loss(fast_logits, fast_labels), answer_loss(full, batch.labels), atol=1e-5)


def test_unseen_types_are_refused() -> None:
    probs = [make_problem("gcd", 4, 2), make_problem("addition", 1, 2)]
    with pytest.raises(DataError, match="unseen types"):
        check_training_types(probs, allow_unseen=False)
    assert len(check_training_types(probs, allow_unseen=True)) == 2


def test_step_items_are_a_function_of_the_step() -> None:
    probs = generate_splits(n_train=20, n_val=0, n_test=0, seed=0)["train"]
    assert step_items(probs, 3, 8, 0) == step_items(probs, 3, 8, 0)
    epoch = [p for s in range(5) for p in step_items(probs, s, 4, 0)]
    assert sorted(epoch, key=lambda p: p.row) == sorted(probs, key=lambda p: p.row)  # one epoch = each once


def test_loss_falls_schedule_applies_and_resume_is_exact(tiny: tuple[Any, Any], tmp_path: Path) -> None:
    model, tok = tiny
    probs = generate_splits(n_train=8, n_val=0, n_test=0, seed=0)["train"]
    log: list[dict[str, Any]] = []
    ns = _ns(oracle=True)
    finetune_ns(
        model,
        tok,
        probs,
        ns,
        tmp_path / "a",
        steps=12,
        lr=1e-2,
        schedule={6: 0.5},
        on_event=lambda k, p: log.append(p) if k == "step" else None,
    )
    losses = [r["loss"] for r in log]
    assert losses[-1] < losses[0]
    assert [r["lr"] for r in log][4:7] == [pytest.approx(1e-2), pytest.approx(5e-3), pytest.approx(5e-3)]
    assert all(r["gate_rate"] == 1.0 and r["decoded_ok"] == 1.0 for r in log)
    assert all(not p.requires_grad for p in model.parameters())

    # kill after step 5 (checkpoint every 2 -> step 4 on disk), resume, compare with an uninterrupted run
    killed = _ns(oracle=True)

    def die(kind: str, payload: dict[str, Any]) -> None:
        if kind == "step" and payload["step"] == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        finetune_ns(model, tok, probs, killed, tmp_path / "b", steps=8, lr=1e-2, checkpoint_every=2, on_event=die)
    resumed = _ns(oracle=True)
    starts: list[int] = []
    finetune_ns(
        model,
        tok,
        probs,
        resumed,
        tmp_path / "b",
        steps=8,
        lr=1e-2,
        checkpoint_every=2,
        on_event=lambda k, p: starts.append(p["start_step"]) if k == "start" else None,
    )
    straight = _ns(oracle=True)
    finetune_ns(model, tok, probs, straight, tmp_path / "c", steps=8, lr=1e-2, checkpoint_every=2)
    assert starts == [4]
    assert torch.allclose(resumed.decoder.weight, straight.decoder.weight, atol=1e-6)
    loaded, manifest = load_ns(tmp_path / "c" / "ns")
    assert torch.equal(loaded.decoder.weight, straight.decoder.weight) and manifest["meta"]["layer"] == 1


def test_finetune_cli_refusals(tiny_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["finetune", "--train-run", str(tmp_path), "--method", "telepathy"])
    assert result.exit_code == 1 and "unknown --method 'telepathy'" in result.stderr
    result = runner.invoke(app, ["finetune", "--method", "adapter"])
    assert result.exit_code == 1 and "--train-run" in result.stderr
    result = runner.invoke(app, ["finetune", "--method", "ns"])
    assert result.exit_code == 1 and "--train-run" in result.stderr
    result = runner.invoke(app, ["finetune", "--train-run", str(tmp_path), "--model", str(tiny_dir)])
    assert result.exit_code == 1 and "not a finished train run" in result.stderr


@pytest.mark.parametrize("inject", ["last", "every"])
def test_prefix_cache_gives_the_same_loss_and_gradient(tiny: tuple[Any, Any], inject: str) -> None:
    model, tok = tiny
    probs = [make_problem("gcd", 866, 46), make_problem("bitwise_xor", 500, 3), make_problem("lcm", 12, 8)]
    batch = build_batch(tok, [answer_ids(tok, ns_messages(p, seed=0), answer_text(p.solution)) for p in probs])
    ns = _ns(gate=-1e9, inject=inject)
    results = []
    for prefix_cache in (False, True):
        ns.decoder.zero_grad()
        logits, labels = forward_answers(model, batch, ns, prefix_cache=prefix_cache)
        loss = answer_loss(logits, labels)
        loss.backward()
        assert ns.decoder.weight.grad is not None
        results.append((logits.detach(), loss.item(), ns.decoder.weight.grad.clone()))
    (full_logits, full_loss, full_grad), (fast_logits, fast_loss, fast_grad) = results
    assert full_logits.shape == fast_logits.shape
    assert torch.allclose(full_logits, fast_logits, atol=1e-4)
    assert abs(full_loss - fast_loss) < 1e-5
    assert full_grad.abs().max() > 0 and torch.allclose(full_grad, fast_grad, atol=1e-6, rtol=1e-4)


def test_save_and_load_keep_inject_and_oracle(tmp_path: Path) -> None:
    from nsllm_cli.ns.paper.store import save_ns

    save_ns(tmp_path / "ns", _ns(inject="every", oracle=True), meta={})
    loaded, _ = load_ns(tmp_path / "ns")
    assert loaded.inject == "every" and loaded.oracle


def test_legacy_loss_matches_the_first_token_ce_and_runs_free(tiny: tuple[Any, Any]) -> None:
    from nsllm_cli.ns.paper.finetune import legacy_loss

    model, tok = tiny
    probs = [make_problem("gcd", 866, 46), make_problem("bitwise_xor", 500, 3)]
    batch = build_batch(tok, [answer_ids(tok, ns_messages(p, seed=0), answer_text(p.solution)) for p in probs])
    ns = _ns(gate=-1e9)
    one = legacy_loss(model, batch, ns, max_new_tokens=1)
    logits, labels = forward_answers(model, batch, ns)
    first = torch.nn.functional.cross_entropy(logits[:, 0].float(), labels[:, 0])
    assert torch.allclose(one, first, atol=1e-5)  # step 0 of a free run is teacher-forced step 0
    many = legacy_loss(model, batch, ns, max_new_tokens=7)
    assert torch.isfinite(many)
    many.backward()
    assert ns.decoder.weight.grad is not None and ns.decoder.weight.grad.abs().max() > 0
