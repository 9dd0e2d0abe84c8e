"""`nsllm dashboard` from the command line: help, bad arguments, and a real terminal (tmux)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nsllm_cli.cli import app
from tests.tui._runs import losses, write_run

runner = CliRunner()
TMUX = shutil.which("tmux")
PURE = (
    "nsllm_cli.runs.index",
    "nsllm_cli.runs.tail",
    "nsllm_cli.runs.answers",
    "nsllm_cli.runs.launch",
    "nsllm_cli.tui.plot",
    "nsllm_cli.runs.follow",
)


def test_help_names_the_keys_and_options() -> None:
    result = runner.invoke(app, ["dashboard", "--help"])
    assert result.exit_code == 0
    for word in ("--runs-dir", "--interval", "RUNS"):
        assert word in result.output


def test_missing_run_folder_is_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["dashboard", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "does not exist" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_run_folder_readers_do_not_import_textual() -> None:
    code = f"import sys; import {', '.join(PURE)}; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[list[str]]:
    """A private tmux server (its own socket), killed afterwards."""
    if TMUX is None:
        pytest.skip("tmux is not installed")
    base = [TMUX, "-L", f"nsllm-test-{os.getpid()}-{tmp_path.name}"[:80]]
    yield base
    subprocess.run([*base, "kill-server"], capture_output=True, check=False)


def _wait_screen(tmux: list[str], condition: Callable[[str], bool], timeout: float = 30.0) -> str:
    deadline, screen = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        out = subprocess.run([*tmux, "capture-pane", "-p", "-t", "dash"], capture_output=True, text=True, check=False)
        screen = out.stdout
        if out.returncode == 0 and condition(screen):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"screen never matched; last screen:\n{screen}")


@pytest.mark.tui
def test_dashboard_in_a_real_terminal(tmux: list[str], runs_dir: Path) -> None:
    write_run(runs_dir, "finetune-20260101-000000-ab12", metrics=losses(20))
    nsllm = Path(sys.executable).with_name("nsllm")
    command = f"{shlex.quote(str(nsllm))} dashboard --runs-dir {shlex.quote(str(runs_dir))}"
    env = {**os.environ, "TERM": "xterm-256color"}
    subprocess.run([*tmux, "new-session", "-d", "-s", "dash", "-x", "100", "-y", "30", command], env=env, check=True)
    screen = _wait_screen(tmux, lambda s: "finetune-20260101-000000-ab12" in s and "20 points" in s)
    for title in ("Runs", "Loss · EMA", "Eval", "Answers", "Events"):
        assert title in screen
    subprocess.run([*tmux, "send-keys", "-t", "dash", "l"], check=True)
    _wait_screen(tmux, lambda s: "Loss · log · EMA" in s)
    subprocess.run([*tmux, "send-keys", "-t", "dash", "q"], check=True)
    deadline = time.monotonic() + 15
    while subprocess.run([*tmux, "has-session", "-t", "dash"], capture_output=True, check=False).returncode == 0:
        assert time.monotonic() < deadline, "the dashboard did not quit on q"
        time.sleep(0.2)
