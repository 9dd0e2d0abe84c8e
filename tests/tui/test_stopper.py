"""Stop escalation: SIGINT, then SIGTERM, then SIGKILL after a visible grace period, on real processes."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nsllm_cli.runs.launch import finish_status
from nsllm_cli.runs.stopper import Stopper
from tests.tui._runs import read_status, write_run

STUBBORN = (
    "import signal, time\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('ready', flush=True)\n"
    "time.sleep(120)\n"
)
"""A process named like nsllm that ignores SIGINT and SIGTERM: only SIGKILL ends it."""

POLITE_ON_TERM = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))\n"
    "print('ready', flush=True)\n"
    "time.sleep(120)\n"
)


class Clock:
    """A clock the test moves by hand, so no test waits out a grace period."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _start(tmp_path: Path, code: str) -> subprocess.Popen[str]:
    script = tmp_path / "bin" / "nsllm"
    script.parent.mkdir(exist_ok=True)
    script.write_text(code, encoding="utf-8")
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


@pytest.fixture
def stubborn(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = _start(tmp_path, STUBBORN)
    yield process
    process.kill()
    process.wait()


def _gone(process: subprocess.Popen[str], timeout: float = 10) -> int:
    return process.wait(timeout=timeout)


def test_a_stubborn_external_run_is_escalated_to_sigkill_and_recorded_stopped(
    runs_dir: Path, stubborn: subprocess.Popen[str]
) -> None:
    run = write_run(runs_dir, "finetune-1", state="running", pid=stubborn.pid)
    clock = Clock()
    stopper = Stopper(grace=10, clock=clock)
    assert stopper.stop(run, {}) == (stubborn.pid, "SIGINT")
    assert stopper.describe() == "stopping finetune-1: SIGINT sent 0 s ago, SIGTERM in 10 s"
    clock.now += 9.5
    assert stopper.tick() == [] and stubborn.poll() is None
    assert stopper.describe().endswith("SIGTERM in 0 s")
    clock.now += 0.5
    assert stopper.tick() == [f"finetune-1: still running 10 s after SIGINT; sent SIGTERM (pid {stubborn.pid})"]
    time.sleep(0.2)
    assert stubborn.poll() is None  # it ignores SIGTERM too
    assert stopper.describe() == "stopping finetune-1: SIGTERM sent 0 s ago, SIGKILL in 10 s"
    clock.now += 10
    assert stopper.tick()[0].endswith(f"sent SIGKILL (pid {stubborn.pid})")
    assert _gone(stubborn) == -9
    status = read_status(run)
    assert status["state"] == "stopped" and status["error"].startswith("killed with SIGKILL")
    stubborn.wait()
    clock.now += 1
    assert stopper.tick() == [f"finetune-1: pid {stubborn.pid} ended 21.0 s after the stop request"]
    assert not stopper.pending


def test_stopping_again_sends_the_next_signal_at_once(runs_dir: Path, tmp_path: Path) -> None:
    child = _start(tmp_path, POLITE_ON_TERM)
    try:
        run = write_run(runs_dir, "mine", state="running")
        stopper = Stopper(grace=3600, clock=Clock())
        assert stopper.stop(run, {run: child}) == (child.pid, "SIGINT")  # type: ignore[dict-item]
        time.sleep(0.2)
        assert child.poll() is None
        assert stopper.stop(run, {run: child}) == (child.pid, "SIGTERM")  # type: ignore[dict-item]
        assert _gone(child) == 143
        assert run not in stopper.killed
        assert finish_status(run, 143) == "stopped"
    finally:
        child.kill()
        child.wait()


def test_finish_status_counts_a_kill_as_stopped_only_when_we_killed_it(runs_dir: Path) -> None:
    assert finish_status(write_run(runs_dir, "a", state="running"), -9) == "failed"
    assert finish_status(write_run(runs_dir, "b", state="running"), -9, stopped=True) == "stopped"
    assert finish_status(write_run(runs_dir, "c", state="running"), -15) == "stopped"
