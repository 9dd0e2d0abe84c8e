"""Encoders/decoders: both solvers, a schedule that reaches every layer, and the `train` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.errors import ArtifactError
from nsllm_cli.ns.encdec import ENC_SCHEDULE, fit_layers, lr_factor
from nsllm_cli.ns.train import load_encdec

runner = CliRunner()


def test_lr_factor_parses_string_keys_and_multiplies() -> None:
    f = lr_factor({"50": 0.5, "100": 0.5, "250": 0.1})  # type: ignore[dict-item]
    assert f(0) == 1.0 and f(49) == 1.0 and f(50) == 0.5 and f(100) == 0.25
    assert f(250) == pytest.approx(0.025)
    assert lr_factor(ENC_SCHEDULE)(500) == pytest.approx(0.5 * 0.5 * 0.1 * 0.4)


def _planted(n: int = 600, d: int = 24, dim: int = 32) -> tuple[dict[int, torch.Tensor], torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(dim, d, generator=gen) / d**0.5
    hidden = {3: torch.randn(n, d, generator=gen), 7: torch.randn(n, d, generator=gen)}
    targets = hidden[3] @ w.T
    return hidden, targets, w


def test_lstsq_recovers_a_planted_map() -> None:
    hidden, targets, w = _planted()
    fits = fit_layers(hidden, targets, solver="lstsq", alpha=1e-8)
    assert torch.allclose(fits[3][0], w, atol=1e-3)
    assert fits[3][1].shape == (24, 32)


def test_adam_schedule_reaches_every_layer_and_loss_falls() -> None:
    hidden, targets, _ = _planted()
    log: list[tuple[str, int, float, float]] = []
    fit_layers(
        hidden,
        targets,
        solver="adam",
        epochs=6,
        dec_epochs=3,
        batch_size=128,
        lr=1e-2,
        enc_schedule={2: 0.5, 4: 0.1},
        dec_schedule={1: 0.5},
        on_epoch=lambda phase, epoch, loss, lr: log.append((phase, epoch, loss, lr)),
    )
    enc = [e for e in log if e[0] == "encoder"]
    assert [round(e[3], 6) for e in enc] == [0.01, 0.005, 0.005, 0.0005, 0.0005, 0.0005]
    assert enc[-1][2] < enc[0][2]
    assert [e[1] for e in log if e[0] == "decoder"] == [1, 2, 3]


def test_train_cli_on_tiny_gather(tiny_dir: Path, tmp_path: Path) -> None:
    g = tmp_path / "g"
    result = runner.invoke(
        app,
        [
            "gather",
            "--recipe",
            "paper",
            "--model",
            str(tiny_dir),
            "--n-train",
            "60",
            "--n-val",
            "16",
            "--n-test",
            "0",
            "--run-dir",
            str(g),
        ],
    )
    assert result.exit_code == 0, result.output
    t = tmp_path / "t"
    result = runner.invoke(app, ["train", "--gather", str(g), "--vsa-dim", "256", "--run-dir", str(t)])
    assert result.exit_code == 0, result.output
    results = json.loads((t / "results.json").read_text())
    assert [r["layer"] for r in results["layers"]] == [0, 1, 2]
    assert results["best_layer"] in (0, 1, 2) and results["val_rows"] == 16
    assert (t / "artifacts" / "layers.png").stat().st_size > 1000
    assert "best layer" in result.stdout
    multi = results["multi"]  # block inputs 0 and 1 (2 = after the final norm is no block's input)
    assert (
        multi["read_layers"] == [0, 1]
        and multi["layer"] == 1
        and "multi-layer encoder: reads layers 0, 1" in result.stdout
    )
    _, menc, mdec, mmanifest = load_encdec(t / "artifacts", "multi")
    assert menc.shape == (256, 128) and mdec.shape == (64, 256) and mmanifest["meta"]["read_layers"] == [0, 1]
    vsa, enc, dec, manifest = load_encdec(t / "artifacts", 1)
    assert enc.shape == (256, 64) and dec.shape == (64, 256) and manifest["meta"]["layer"] == 1
    # an encoder never loads with other atoms
    from nsllm_cli.ns.problems import PROBLEM_TYPES
    from nsllm_cli.ns.vsa import VSA

    VSA.generate(types=PROBLEM_TYPES, dim=256, seed=5).save(t / "artifacts" / "vsa_atoms")
    with pytest.raises(ArtifactError, match="made with another vsa_atoms"):
        load_encdec(t / "artifacts", 1)


def test_train_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--gather", str(tmp_path)])
    assert result.exit_code == 1 and "not a gather run" in result.stderr


def test_decoder_stays_bounded_off_the_encoder_span() -> None:
    """Enc(h) spans d < D dims; the decoder must not explode on clean vectors outside that span."""
    gen = torch.Generator().manual_seed(0)
    d, dim, n = 24, 128, 800
    # a large mean and a fast-decaying spectrum, like real residual streams
    h = torch.randn(n, d, generator=gen) * torch.logspace(1, -4, d) + 20
    w = torch.randn(dim, d, generator=gen)
    targets = (h - h.mean(0)) @ w.T
    targets = targets / targets.norm(dim=1, keepdim=True).mean() * 3.2  # like |Enc(h)| of a problem vector
    probe = torch.randn(64, dim, generator=gen)
    probe = probe / probe.norm(dim=1, keepdim=True) * 2.2  # norm of a clean enc(r)

    def ratio(dec_alpha: float) -> float:
        _, dec = fit_layers({0: h}, targets, solver="lstsq", alpha=1e-12, dec_alpha=dec_alpha)[0]
        return float((probe @ dec.T).norm(dim=1).mean() / h.norm(dim=1).mean())

    assert ratio(1e-3) < 1.0  # default: injection smaller than the stream it is mixed into
    assert ratio(1e-8) > 100 * ratio(1e-3)  # what the barely regularised decoder did
