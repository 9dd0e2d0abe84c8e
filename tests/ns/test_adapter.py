"""The paper's bottleneck baseline: both projections train, no gate, resumable, usable by bench."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.ns.adapter import BottleneckAdapter, finetune_adapter, load_adapter
from nsllm_cli.ns.splits import generate_splits

runner = CliRunner()


def _load(tiny_dir: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(str(tiny_dir)), AutoTokenizer.from_pretrained(str(tiny_dir))


def test_adapter_mixes_at_one_position_without_gate() -> None:
    adapter = BottleneckAdapter(8, layer=0, width=16, mix=0.5, seed=0)
    assert adapter.trainable_parameters() == 2 * 8 * 16
    hidden = torch.randn(2, 5, 8)
    out = adapter.hook_fn(hidden, type("Ctx", (), {"position": 3})())
    assert torch.equal(out[:, :3], hidden[:, :3]) and torch.equal(out[:, 4:], hidden[:, 4:])
    assert torch.allclose(out[:, 3], 0.5 * adapter.up(adapter.down(hidden[:, 3])) + 0.5 * hidden[:, 3])
    enc, dec = torch.randn(16, 8), torch.randn(8, 16)
    reused = BottleneckAdapter(8, layer=0, width=16, init_from=(enc, dec))
    assert torch.equal(reused.down.weight, enc) and torch.equal(reused.up.weight, dec)


def test_adapter_trains_resumes_and_reloads(tiny_dir: Path, tmp_path: Path) -> None:
    model, tok = _load(tiny_dir)
    probs = generate_splits(n_train=8, n_val=0, n_test=0, seed=0)["train"]
    log: list[dict[str, Any]] = []
    adapter = BottleneckAdapter(64, layer=1, width=32, seed=0)
    finetune_adapter(
        model,
        tok,
        probs,
        adapter,
        tmp_path / "a",
        steps=12,
        lr=1e-2,
        on_event=lambda k, p: log.append(p) if k == "step" else None,
    )
    assert log[-1]["loss"] < log[0]["loss"]
    loaded = load_adapter(tmp_path / "a" / "adapter")
    assert torch.equal(loaded.down.weight, adapter.down.weight) and loaded.layer == 1

    def die(kind: str, payload: dict[str, Any]) -> None:
        if kind == "step" and payload["step"] == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        finetune_adapter(
            model,
            tok,
            probs,
            BottleneckAdapter(64, layer=1, width=32),
            tmp_path / "b",
            steps=4,
            checkpoint_every=2,
            on_event=die,
        )
    resumed = BottleneckAdapter(64, layer=1, width=32)
    finetune_adapter(model, tok, probs, resumed, tmp_path / "b", steps=4, checkpoint_every=2)
    straight = BottleneckAdapter(64, layer=1, width=32)
    finetune_adapter(model, tok, probs, straight, tmp_path / "c", steps=4, checkpoint_every=2)
    assert torch.allclose(resumed.up.weight, straight.up.weight, atol=1e-6)


def test_adapter_through_the_cli(tiny_dir: Path, tmp_path: Path) -> None:
    model = ["--model", str(tiny_dir)]
    g, t, f, b = (tmp_path / n for n in "gtfb")
    assert (
        runner.invoke(
            app,
            [
                "gather",
                "--recipe",
                "paper",
                *model,
                "--n-train",
                "24",
                "--n-val",
                "8",
                "--n-test",
                "0",
                "--layers",
                "1",
                "--run-dir",
                str(g),
            ],
        ).exit_code
        == 0
    )
    assert runner.invoke(app, ["train", "--gather", str(g), "--vsa-dim", "128", "--run-dir", str(t)]).exit_code == 0
    result = runner.invoke(
        app,
        [
            "finetune",
            "--method",
            "adapter",
            "--train-run",
            str(t),
            *model,
            "--n-train",
            "16",
            "--steps",
            "2",
            "--init-from-encdec",
            "--run-dir",
            str(f),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((f / "results.json").read_text())
    assert summary["method"] == "adapter" and summary["trainable_parameters"] == 2 * 64 * 128
    result = runner.invoke(
        app,
        [
            "bench",
            "math",
            *model,
            "--method",
            "base,adapter",
            "--adapter-run",
            str(f),
            "--per-type",
            "1",
            "--run-dir",
            str(b),
        ],
    )
    assert result.exit_code == 0, result.output
    assert set(json.loads((b / "results.json").read_text())["per_type"]) == {"base", "adapter"}
