"""The PEFT LoRA baseline: trains on the same loss, saves a peft adapter that reloads identically, resumes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.ns.batches import answer_ids, build_batch
from nsllm_cli.ns.lora import finetune_lora, load_lora
from nsllm_cli.ns.prompts import answer_text, ns_messages
from nsllm_cli.ns.splits import generate_splits

runner = CliRunner()


def _load(tiny_dir: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(str(tiny_dir)), AutoTokenizer.from_pretrained(str(tiny_dir))


def test_lora_trains_saves_and_reloads(tiny_dir: Path, tmp_path: Path) -> None:
    model, tok = _load(tiny_dir)
    probs = generate_splits(n_train=8, n_val=0, n_test=0, seed=0)["train"]
    log: list[dict[str, Any]] = []
    summary = finetune_lora(
        model,
        tok,
        probs,
        tmp_path / "run",
        steps=15,
        lr=1e-2,
        dropout=0.0,
        on_event=lambda k, p: log.append(p) if k == "step" else None,
    )
    assert log[-1]["loss"] < log[0]["loss"]
    assert summary["trainable_parameters"] > 0
    assert (tmp_path / "run" / "lora" / "adapter_model.safetensors").is_file()
    pairs = [answer_ids(tok, ns_messages(p, seed=0), answer_text(p.solution)) for p in probs[:3]]
    batch = build_batch(tok, pairs)
    with torch.no_grad():
        trained_logits = model(**batch.model_inputs()).logits  # `model` now carries the adapter layers
    fresh, _ = _load(tiny_dir)
    reloaded = load_lora(fresh, tmp_path / "run" / "lora")
    with torch.no_grad():
        assert torch.allclose(reloaded(**batch.model_inputs()).logits, trained_logits, atol=1e-5)
        base, _ = _load(tiny_dir)
        assert not torch.allclose(base(**batch.model_inputs()).logits, trained_logits, atol=1e-3)


def test_lora_resumes_from_its_checkpoint(tiny_dir: Path, tmp_path: Path) -> None:
    probs = generate_splits(n_train=8, n_val=0, n_test=0, seed=0)["train"]
    model, tok = _load(tiny_dir)

    def die(kind: str, payload: dict[str, Any]) -> None:
        if kind == "step" and payload["step"] == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        finetune_lora(model, tok, probs, tmp_path / "r", steps=4, checkpoint_every=2, on_event=die)
    starts: list[int] = []
    model, tok = _load(tiny_dir)
    finetune_lora(
        model,
        tok,
        probs,
        tmp_path / "r",
        steps=4,
        checkpoint_every=2,
        on_event=lambda k, p: starts.append(p["start_step"]) if k == "start" else None,
    )
    assert starts == [2]


def test_lora_through_the_cli(tiny_dir: Path, tmp_path: Path) -> None:
    f = tmp_path / "f"
    result = runner.invoke(
        app,
        [
            "finetune",
            "--method",
            "lora",
            "--model",
            str(tiny_dir),
            "--n-train",
            "16",
            "--steps",
            "2",
            "--run-dir",
            str(f),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads((f / "results.json").read_text())["method"] == "lora"
    b = tmp_path / "b"
    result = runner.invoke(
        app,
        [
            "bench",
            "math",
            "--model",
            str(tiny_dir),
            "--method",
            "base,lora",
            "--lora-run",
            str(f),
            "--per-type",
            "1",
            "--run-dir",
            str(b),
        ],
    )
    assert result.exit_code == 0, result.output
    assert set(json.loads((b / "results.json").read_text())["per_type"]) == {"base", "lora"}
