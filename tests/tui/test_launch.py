"""Starting runs as `python -m nsllm_cli` subprocesses and stopping them with SIGINT, carefully."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nsllm_cli.runs.launch import (
    LaunchError,
    command_name,
    finish_status,
    is_nsllm_process,
    launch_run,
    parse_command_line,
    stop_run,
)
from tests.tui._runs import SLEEPER, read_status, start_sleeper, write_run


@pytest.fixture
def fake_nsllm(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A sleeping process whose command line is `python …/bin/nsllm`, like a real run."""
    script = tmp_path / "bin" / "nsllm"
    script.parent.mkdir()
    script.write_text(SLEEPER, encoding="utf-8")
    process = start_sleeper([sys.executable, str(script)])
    yield process
    process.kill()
    process.wait()


def test_parse_command_line() -> None:
    assert parse_command_line("nsllm finetune --steps 50") == ["finetune", "--steps", "50"]
    assert parse_command_line("python -m nsllm_cli bench math --method 'base,ns'") == [
        "bench",
        "math",
        "--method",
        "base,ns",
    ]
    with pytest.raises(LaunchError, match="type a command"):
        parse_command_line("  nsllm ")
    with pytest.raises(LaunchError, match="cannot parse"):
        parse_command_line("finetune --x 'oops")
    assert command_name(["bench", "math", "--limit", "3"]) == "bench-math"
    assert command_name(["finetune", "--steps", "5"]) == "finetune" and command_name(["--x"]) == "run"


def test_launch_adds_a_new_run_dir_and_logs_the_output(runs_dir: Path) -> None:
    started = launch_run(["env", "--json"], runs_dir)
    code = started.process.wait(timeout=60)
    assert started.path.parent == runs_dir and started.path.name.startswith("env-")
    assert started.argv[-2:] == ["--run-dir", str(started.path)]
    assert started.argv[:3] == [sys.executable, "-m", "nsllm_cli"]
    assert code == 2  # `env` has no --run-dir: the run fails, visibly
    assert "--run-dir" in (started.path / "log.txt").read_text(encoding="utf-8")
    assert read_status(started.path)["state"] == "running"  # until the dashboard sees it exit
    assert finish_status(started.path, code) == "failed"
    status = read_status(started.path)
    assert status["state"] == "failed" and status["error"].startswith("exited with code 2: ")
    assert finish_status(started.path, code) is None  # a final status is never overwritten


def test_a_given_run_dir_is_kept(runs_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "mine"
    started = launch_run(["env", "--run-dir", str(target)], runs_dir, python=sys.executable)
    started.process.wait(timeout=60)
    assert started.path == target and started.argv.count("--run-dir") == 1


def test_run_dir_goes_before_a_double_dash(runs_dir: Path) -> None:
    true = shutil.which("true") or "/bin/true"
    started = launch_run(["generate", "--", "--not-an-option"], runs_dir, python=true)
    assert started.process.wait(timeout=10) == 0
    assert started.argv[3:] == ["generate", "--run-dir", str(started.path), "--", "--not-an-option"]
    assert finish_status(started.path, 0) == "finished"


def test_finish_status_states(runs_dir: Path) -> None:
    for code, state in ((0, "finished"), (130, "stopped"), (-signal.SIGINT, "stopped"), (1, "failed")):
        run = write_run(runs_dir, f"r{code}", state="running")
        assert finish_status(run, code) == state


def test_stop_signals_a_live_nsllm_process(runs_dir: Path, fake_nsllm: subprocess.Popen[bytes]) -> None:
    run = write_run(runs_dir, "finetune-1", state="running", pid=fake_nsllm.pid)
    assert is_nsllm_process(fake_nsllm.pid)
    assert stop_run(run, {}) == fake_nsllm.pid
    assert fake_nsllm.wait(timeout=10) != 0


def test_stop_refuses_other_processes_and_finished_runs(runs_dir: Path) -> None:
    other = subprocess.Popen(["sleep", "30"])
    try:
        run = write_run(runs_dir, "finetune-1", state="running", pid=other.pid)
        with pytest.raises(LaunchError, match="not a live nsllm process"):
            stop_run(run, {})
        assert other.poll() is None
        done = write_run(runs_dir, "finetune-2", state="finished", pid=other.pid)
        with pytest.raises(LaunchError, match="not running"):
            stop_run(done, {})
        nopid = write_run(runs_dir, "finetune-3", state="running")
        with pytest.raises(LaunchError, match="names no pid"):
            stop_run(nopid, {})
    finally:
        other.kill()
        other.wait()
    assert not is_nsllm_process(1) and not is_nsllm_process(2**22 + 12345)


def test_stop_prefers_our_own_child(runs_dir: Path, tmp_path: Path) -> None:
    child = start_sleeper([sys.executable, "-c", SLEEPER])
    try:
        run = write_run(runs_dir, "mine", state="running")  # pid not written yet
        assert stop_run(run, {run: child}) == child.pid
        assert child.wait(timeout=10) != 0
    finally:
        child.kill()
        child.wait()
