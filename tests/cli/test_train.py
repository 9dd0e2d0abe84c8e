"""The `train` command: encoders/decoders from a gather run, saved and loaded (the solvers: tests/ns/test_encdec.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.errors import ArtifactError
from nsllm_cli.ns.paper.train import load_encdec

runner = CliRunner()


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
