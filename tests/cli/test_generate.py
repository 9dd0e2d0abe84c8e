"""`nsllm generate`, `env` and `models` against real models (tiny; embedded in slow tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from nsllm_cli.cli import app
from tests.conftest import nsllm_env

runner = CliRunner()


def test_generate_streams_and_records_a_run(tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NSLLM_API_KEY", "sk-secret-value")
    run_dir = tmp_path / "runs" / "gen1"
    result = runner.invoke(
        app,
        ["generate", "What is 2 + 2?", "--model", str(tiny_dir), "--max-new-tokens", "8", "--run-dir", str(run_dir)],
    )
    assert result.exit_code == 0, result.output
    results = json.loads((run_dir / "results.json").read_text())
    assert results["new_tokens"] >= 1
    assert results["model"]["kind"] == "local"
    assert result.stdout.strip() == results["answer"]
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert config["generate"]["prompt"] == "What is 2 + 2?"
    assert config["settings"]["api_key"] == "**********"
    assert "sk-secret-value" not in (run_dir / "config.yaml").read_text()
    assert json.loads((run_dir / "status.json").read_text())["state"] == "finished"


def test_greedy_generation_is_reproducible(tiny_dir: Path, tmp_path: Path) -> None:
    answers = []
    for i in range(2):
        args = ["generate", "Count to five", "--model", str(tiny_dir), "--max-new-tokens", "12"]
        result = runner.invoke(app, [*args, "--run-dir", str(tmp_path / f"r{i}")])
        assert result.exit_code == 0
        answers.append(json.loads((tmp_path / f"r{i}" / "results.json").read_text())["answer"])
    assert answers[0] == answers[1]


def test_env_json_reports_versions_paths_and_model(tmp_path: Path, model_cache: Path) -> None:
    result = runner.invoke(app, ["env", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["packages"]["torch"].startswith("2.13.0")
    assert info["paths"]["home"] == str(tmp_path / "home")
    assert info["paths"]["cache"] == str(model_cache)
    assert info["model"]["spec"] == "embedded"
    assert info["model"]["path"] == str(model_cache / "models" / "smollm2-135m-instruct")
    assert info["device"]["auto"] in {"cpu", "cuda"}
    table = runner.invoke(app, ["env", "--model", "tiny"])
    assert table.exit_code == 0 and "tiny" in table.stdout and "transformers" in table.stdout


def test_models_lists_cached_folders(tiny_dir: Path) -> None:
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    assert "smollm2-135m-instruct" in result.stdout and "tiny-llama" in result.stdout
    assert "ready" in result.stdout
    prepared = runner.invoke(app, ["models", "--prepare", "tiny"])
    assert prepared.exit_code == 0
    assert str(tiny_dir) in prepared.stdout.replace("\n", "")


@pytest.mark.slow
def test_generate_with_the_embedded_model_in_a_real_process(embedded_dir: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nsllm_cli",
            "generate",
            "What is 12 + 35?",
            "--max-new-tokens",
            "8",
            "--run-dir",
            str(tmp_path / "emb"),
        ],
        capture_output=True,
        text=True,
        env=nsllm_env(),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    answer = json.loads((tmp_path / "emb" / "results.json").read_text())["answer"]
    assert answer and proc.stdout.strip() == answer
    assert json.loads((tmp_path / "emb" / "results.json").read_text())["model"]["kind"] == "embedded"
