"""What one sandboxed run produced: capped output, exit code, why it was stopped, and what isolated it.

Why its own module: the parent reads three pipes (stdout, stderr and the supervisor's status words) into a
`Captured`, and this module alone decides what that means: which limit stopped the code, whether it timed out,
and which isolation held. Run records (`steer.records`) store `ExecResult` as it is.

Example:
    >>> ExecResult(stdout="42\\n", stderr="", returncode=0).ok
    True
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

from nsllm_cli.sandbox.isolation import Isolation, isolation_from_status


@dataclass(frozen=True)
class ExecResult:
    """What happened: captured (capped) output, exit code, and why it stopped if it was stopped."""

    stdout: str
    stderr: str
    returncode: int | None
    """The code's exit code; negative: killed by that signal; None: the supervisor could not report it."""
    timed_out: bool = False
    killed_reason: str | None = None
    """"timeout", "memory", "cpu", "file_size", "disk", "seccomp", "output", "killed" or None."""
    duration_s: float = 0.0
    truncated: bool = False
    """A stream gave more than `Limits.output_bytes`; the rest was read and dropped."""
    isolation: Isolation | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and self.killed_reason is None


@dataclass
class Captured:
    """The raw bytes the parent read from the supervisor's pipes."""

    stdout: bytearray
    stderr: bytearray
    status: bytearray
    """The supervisor's `key=value` words (`child=`, `code=`, `why=`, `net=`, `procs=`, `fs=`, `landlock=`, `disk=`,
    `seccomp=`, `full=`)."""
    truncated: bool = False
    stopped_for: str | None = None
    """"output" or "timeout" when the parent had to intervene."""


def to_result(got: Captured, duration: float) -> ExecResult:
    """Turn the raw capture and the supervisor's `key=value` status into an ExecResult."""
    status = dict(t.split("=", 1) for t in got.status.decode("ascii", "replace").split() if "=" in t)
    why = status.get("why", "")
    stderr = got.stderr.decode("utf-8", "replace")
    returncode: int | None = None
    if "code" in status:
        returncode = os.waitstatus_to_exitcode(int(status["code"]))
    elif why or got.stopped_for:
        returncode = -signal.SIGKILL
    timed_out = why in ("timeout", "parent") or got.stopped_for == "timeout"
    reason: str | None = None
    if got.stopped_for == "output" or why == "output":
        reason = "output"
    elif timed_out:
        reason = "timeout"
    elif why == "disk":
        reason = "disk"  # the watched temp folder passed its budget
    elif returncode is None:
        reason = "killed"  # the supervisor itself died (killed by the code?) before it could report
    elif returncode != 0:
        reason = _reason_from_exit(returncode, stderr) or ("disk" if status.get("full") == "1" else None)
    isolation = None
    if {"net", "procs", "fs"} <= status.keys():
        isolation = isolation_from_status(status)
    return ExecResult(
        stdout=got.stdout.decode("utf-8", "replace"),
        stderr=stderr,
        returncode=returncode,
        timed_out=timed_out,
        killed_reason=reason,
        duration_s=duration,
        truncated=got.truncated,
        isolation=isolation,
    )


def _reason_from_exit(returncode: int, stderr: str) -> str | None:
    """Name the limit behind a failure: the signal the kernel sent, or the last line of the traceback."""
    by_signal = {-signal.SIGXCPU: "cpu", -signal.SIGXFSZ: "file_size", -signal.SIGKILL: "killed"}
    if hasattr(signal, "SIGSYS"):
        by_signal[-signal.SIGSYS] = "seccomp"  # a system call of another ABI (libseccomp's bad-architecture action)
    if returncode in by_signal:
        return by_signal[returncode]
    lines = stderr.rstrip().splitlines()
    last = lines[-1] if lines else ""
    if last.startswith("MemoryError"):
        return "memory"
    if "[Errno 27]" in last or "File too large" in last:
        return "file_size"
    if "[Errno 28]" in last or "No space left on device" in last:
        return "disk"  # the tmpfs budget (disk.py)
    return None
