"""Run model-written Python in a separate, limited, killable process (being built, issue #4).

Example:
    >>> result = run_code("print(6 * 7)")  # doctest: +SKIP
    >>> result.stdout, result.ok  # doctest: +SKIP
    ('42\\n', True)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Resource limits for one execution."""

    timeout_s: float = 10.0
    cpu_s: int = 10
    memory_mb: int = 1024
    file_size_mb: int = 16
    max_processes: int = 64
    output_bytes: int = 64_000
    network: bool = False


@dataclass(frozen=True)
class ExecResult:
    """What happened: captured (capped) output, exit code, and why it stopped if it was stopped."""

    stdout: str
    stderr: str
    returncode: int | None
    timed_out: bool = False
    killed_reason: str | None = None  # "timeout", "memory", "cpu", "output", ... or None
    duration_s: float = 0.0
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and self.killed_reason is None


def run_code(code: str, limits: Limits | None = None) -> ExecResult:
    """Execute `code` with `python -I` in a fresh temp folder under `limits`."""
    raise NotImplementedError("the sandbox is being built (issue #4)")
