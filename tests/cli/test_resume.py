"""`--resume RUN` replays the run's own options; a bad `--layers` fails before any weights load."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from nsllm_cli.cli import app

runner = CliRunner()
SMALL = ["--model", "tiny", "--layers", "0", "--n-train", "8", "--n-val", "2", "--shard-size", "4", "--batch-size", "4"]


@pytest.fixture
def no_weights(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every call of `load_model` (the only route to the weights), made to fail so that none goes unnoticed."""
    calls: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        raise AssertionError("weights loaded")

    monkeypatch.setattr("nsllm_cli.models.resolve.load_model", refuse)
    return calls


@pytest.mark.parametrize(
    "args",
    [
        ["--layers", "99"],
        ["--layers", "-99"],
        ["--layers", "1"],
        ["--recipe", "paper", "--layers", "99", "--n-train", "4"],
    ],
)
def test_a_layer_out_of_range_fails_before_the_weights_load(
    tiny_dir: Path, no_weights: list[Any], args: list[str]
) -> None:
    result = runner.invoke(app, ["gather", "--model", "tiny", *args])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and ("out of range" in lines[0] or "below the last block" in lines[0]), result.stderr
    assert no_weights == []


def _partial_copy(run: Path, to: Path) -> Path:
    """`run` as a kill -9 after its first shard leaves it: one shard and its rows, status `running`."""
    shutil.copytree(run, to)
    acts = to / "activations"
    rows = (acts / "rows.jsonl").read_text().splitlines(keepends=True)
    (acts / "rows.jsonl").write_text("".join(rows[:4]))
    for shard in acts.glob("*.safetensors"):
        if shard.name != "reader_train_00000.safetensors":
            shard.unlink()
    (to / "results.json").unlink()
    status = json.loads((to / "status.json").read_text())
    (to / "status.json").write_text(json.dumps({**status, "state": "running", "ended": None}))
    return to


def test_resume_takes_the_runs_own_options(tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    full = tmp_path / "full"
    result = runner.invoke(app, ["gather", *SMALL, "--run-dir", str(full)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((full / "config.yaml").read_text())["options"]["n_train"] == 8
    partial = _partial_copy(full, tmp_path / "partial")

    monkeypatch.setenv("NSLLM_MODEL", str(tmp_path / "no-such-model"))  # the run's recorded model wins
    result = runner.invoke(app, ["gather", "--resume", str(partial)])
    assert result.exit_code == 0, result.output
    rows = (partial / "activations" / "rows.jsonl").read_text()
    assert rows == (full / "activations" / "rows.jsonl").read_text()  # completed, no row twice
    assert json.loads((partial / "status.json").read_text())["state"] == "finished"
    assert sorted(p.name for p in (partial / "activations").iterdir()) == sorted(
        p.name for p in (full / "activations").iterdir()
    )
    same = runner.invoke(app, ["gather", "--resume", str(partial), "--n-train", "8", "--model", "tiny"])
    assert same.exit_code == 0, same.output  # typing a recorded value again is fine


def test_resume_with_a_contradicting_flag_is_one_line_naming_both_values(tmp_path: Path, no_weights: list[Any]) -> None:
    run = tmp_path / "run"
    run.mkdir()
    config = {"command": "gather", "settings": {"model": "tiny", "seed": 0}, "options": {"n_train": 8, "layers": "0"}}
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    result = runner.invoke(app, ["gather", "--resume", str(run), "--layers", "1,0"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--layers 1,0" in lines[0] and "--layers 0" in lines[0], result.stderr
    result = runner.invoke(app, ["gather", "--resume", str(run), "--seed", "3"])
    assert result.exit_code == 1 and "--seed 3" in result.stderr and "--seed 0" in result.stderr
    assert no_weights == []


def test_resume_of_a_folder_without_config_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["gather", "--resume", str(tmp_path)])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "config.yaml" in result.stderr
