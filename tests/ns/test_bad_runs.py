"""Runs that do not fit together are one-line errors that change nothing: another model, other atoms, an empty run."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nsllm_cli.cli import app

runner = CliRunner()


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return h.hexdigest()


def _ok(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output


def _fails(args: list[str], message: str) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def runs(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    model = ["--model", str(tiny_dir)]
    _ok(
        [
            "gather",
            "--recipe",
            "paper",
            *model,
            "--n-train",
            "40",
            "--n-val",
            "8",
            "--n-test",
            "0",
            "--run-dir",
            str(root / "g"),
        ]
    )
    _ok(["train", "--gather", str(root / "g"), "--vsa-dim", "256", "--run-dir", str(root / "t")])
    ft = ["finetune", *model, "--train-run", str(root / "t"), "--n-train", "16", "--steps", "2", "--batch-size", "4"]
    _ok([*ft, "--run-dir", str(root / "f")])
    other = root / "other-model"
    shutil.copytree(tiny_dir, other)
    config = json.loads((other / "config.json").read_text())
    config["rms_norm_eps"] = config.get("rms_norm_eps", 1e-5) * 10  # same shapes, another model
    (other / "config.json").write_text(json.dumps(config))
    return {"root": root, "g": root / "g", "t": root / "t", "f": root / "f", "other": other, "tiny": tiny_dir}


def test_a_run_made_with_another_model_is_refused(runs: dict[str, Path]) -> None:
    before = _digest(runs["t"]), _digest(runs["f"])
    other = ["--model", str(runs["other"])]
    _fails(["finetune", *other, "--train-run", str(runs["t"]), "--n-train", "8", "--steps", "1"], "another model")
    _fails(["bench", "math", *other, "--method", "ns", "--ns-run", str(runs["f"]), "--per-type", "1"], "was trained on")
    _fails(["train", "--gather", str(runs["g"]), "--layers", "9"], "not gathered")
    assert (_digest(runs["t"]), _digest(runs["f"])) == before


def test_a_run_with_other_atoms_is_refused(runs: dict[str, Path], tmp_path: Path) -> None:
    from nsllm_cli.ns.problems import PROBLEM_TYPES
    from nsllm_cli.ns.vsa import VSA

    t2, f2 = tmp_path / "t2", tmp_path / "f2"
    shutil.copytree(runs["t"], t2)
    shutil.copytree(runs["f"], f2)
    VSA.generate(types=PROBLEM_TYPES, dim=256, seed=7).save(t2 / "artifacts" / "vsa_atoms")
    VSA.generate(types=PROBLEM_TYPES, dim=256, seed=7).save(f2 / "artifacts" / "ns" / "vsa_atoms")
    before = _digest(t2), _digest(f2)
    model = ["--model", str(runs["tiny"])]
    _fails(["finetune", *model, "--train-run", str(t2), "--n-train", "8", "--steps", "1"], "vsa_atoms")
    _fails(["bench", "math", *model, "--method", "ns", "--ns-run", str(f2), "--per-type", "1"], "vsa_atoms")
    assert (_digest(t2), _digest(f2)) == before


def test_empty_and_unfinished_runs_are_refused(runs: dict[str, Path], tmp_path: Path) -> None:
    empty = tmp_path / "empty-gather"
    shutil.copytree(runs["g"], empty)
    (empty / "activations" / "rows.jsonl").write_text("")
    for shard in (empty / "activations").glob("h_L*.safetensors"):
        shard.unlink()
    _fails(["train", "--gather", str(empty)], str(empty))
    _fails(["train", "--gather", str(tmp_path)], "not a gather run")
    _fails(["finetune", "--train-run", str(runs["g"]), "--model", str(runs["tiny"])], "not a finished train run")
    _fails(["bench", "math", "--method", "ns", "--ns-run", str(runs["t"])], "not a finished finetune run")
