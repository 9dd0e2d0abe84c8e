"""Stopping a run for sure: SIGINT first, then SIGTERM, then SIGKILL, each after a grace period the user sees.

A command stops cleanly on SIGINT (it saves its checkpoint and writes a `stopped` status). One that does not
within `grace` seconds (stuck in a C call, or an old build started with SIGINT ignored) gets SIGTERM, and after
another `grace` seconds SIGKILL; a run killed that way is recorded as `stopped`, with why, since it cannot
write its own status any more. Pressing stop again skips the wait and sends the next signal at once.

The clock is injectable, so the escalation is tested without sleeping. Nothing here uses Textual.

Example:
    >>> stopper = Stopper(grace=10)
    >>> stopper.stop(run, children)       # SIGINT now
    >>> events = stopper.tick()           # call on every poll: escalates when a grace period ran out
    >>> stopper.describe()                # "stopping finetune-1: SIGINT sent 3 s ago, SIGTERM in 7 s"
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nsllm_cli.runs.launch import LaunchError, finish_status, is_nsllm_process, stop_run

LADDER = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
"""The signals sent, in order."""


@dataclass
class Stopping:
    """A run being stopped: who, and the last signal sent to it and when."""

    run: Path
    pid: int
    child: subprocess.Popen[bytes] | None
    step: int = 0
    """Index in LADDER of the last signal sent."""
    sent_at: float = 0.0
    first_at: float = 0.0

    @property
    def signal_name(self) -> str:
        return LADDER[self.step].name


@dataclass
class Stopper:
    """Escalates stops of runs; the dashboard calls `stop` on a key press and `tick` on every poll."""

    grace: float = 10.0
    """Seconds to wait after each signal before sending the next."""
    clock: Callable[[], float] = time.monotonic
    pending: dict[Path, Stopping] = field(default_factory=dict)
    killed: set[Path] = field(default_factory=set)
    """Runs that needed SIGKILL: their exit code -9 means `stopped`."""

    def stop(self, run: Path, children: dict[Path, subprocess.Popen[bytes]]) -> tuple[int, str]:
        """SIGINT to `run`; if it is already being stopped, the next signal at once.

        Returns:
            The pid signalled and the signal's name.

        Raises:
            LaunchError: the run is not running, or its pid is not one we may signal.
        """
        now = self.clock()
        current = self.pending.get(run)
        if current is not None and self._alive(current):
            self._escalate(current, now)
            return current.pid, current.signal_name
        pid = stop_run(run, children)
        child = children.get(run)
        self.pending[run] = Stopping(run, pid, child if child is not None and child.pid == pid else None, 0, now, now)
        return pid, "SIGINT"

    def tick(self) -> list[str]:
        """Forget runs that ended; escalate the ones whose grace period ran out. Returns event lines."""
        events: list[str] = []
        now = self.clock()
        for run, stopping in list(self.pending.items()):
            if not self._alive(stopping):
                del self.pending[run]
                events.append(
                    f"{run.name}: pid {stopping.pid} ended {now - stopping.first_at:.1f} s after the stop request"
                )
            elif now - stopping.sent_at >= self.grace and stopping.step + 1 < len(LADDER):
                before = stopping.signal_name
                try:
                    self._escalate(stopping, now)
                except LaunchError as exc:
                    events.append(f"⚠ {exc}")
                    continue
                events.append(
                    f"{run.name}: still running {self.grace:g} s after {before}; "
                    f"sent {stopping.signal_name} (pid {stopping.pid})"
                )
        return events

    def describe(self) -> str:
        """One status-line text for the runs being stopped (empty when none)."""
        now = self.clock()
        parts = []
        for stopping in self.pending.values():
            ago = now - stopping.sent_at
            text = f"stopping {stopping.run.name}: {stopping.signal_name} sent {ago:.0f} s ago"
            if stopping.step + 1 < len(LADDER):
                text += f", {LADDER[stopping.step + 1].name} in {max(0.0, self.grace - ago):.0f} s"
            parts.append(text)
        return " · ".join(parts)

    def _alive(self, stopping: Stopping) -> bool:
        if stopping.child is not None:
            return stopping.child.poll() is None
        return is_nsllm_process(stopping.pid)

    def _escalate(self, stopping: Stopping, now: float) -> None:
        if stopping.step + 1 >= len(LADDER):
            return
        signum = LADDER[stopping.step + 1]
        try:
            if stopping.child is not None:
                stopping.child.send_signal(signum)
            elif is_nsllm_process(stopping.pid):  # never signal a pid that was reused by something else
                os.kill(stopping.pid, signum)
        except OSError as exc:
            raise LaunchError(f"{stopping.run.name}: cannot signal pid {stopping.pid}: {exc.strerror or exc}") from exc
        stopping.step, stopping.sent_at = stopping.step + 1, now
        if signum == signal.SIGKILL:
            self.killed.add(stopping.run)
            if stopping.child is None:  # not ours to reap: write the status it can no longer write itself
                waited = now - stopping.first_at
                finish_status(
                    stopping.run,
                    -signal.SIGKILL,
                    stopped=True,
                    error=f"killed with SIGKILL: no clean stop {waited:.0f} s after SIGINT and SIGTERM",
                )
