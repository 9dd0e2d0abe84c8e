"""The resource limits of one sandboxed run: what the supervisor sets with `setrlimit` and enforces itself.

Why one frozen value: every run is configured the same way (the steering loop, SymBench methods, `nsllm env`),
and a run's limits are reported with its result. The supervisor gets them in bytes through its JSON argument
(`supervisor.Config`).

Example:
    >>> Limits(timeout_s=2.0).memory_mb
    1024
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Resource limits for one execution (0 or less switches one limit off)."""

    timeout_s: float = 10.0
    """Wall-clock seconds before the supervisor kills everything the code started."""
    cpu_s: int = 10
    """CPU seconds (RLIMIT_CPU): SIGXCPU at the limit, SIGKILL one second later."""
    memory_mb: int = 1024
    """Address space in MiB (RLIMIT_AS): allocations past it raise MemoryError."""
    file_size_mb: int = 16
    """Largest file the code may write, in MiB (RLIMIT_FSIZE)."""
    max_processes: int = 64
    """Processes and threads the code may add (RLIMIT_NPROC, counted above what its uid already runs)."""
    output_bytes: int = 64_000
    """Bytes kept per stream (stdout, stderr); a flood of 16 times this (at least 1 MiB) stops the run."""
    network: bool = False
    """Allow the network (no network namespace, no audit-hook guard)."""
    open_files: int = 256
    """Open file descriptors (RLIMIT_NOFILE)."""
    disk_bytes: int = 256_000_000
    """Total bytes the code may keep in its temp folder and private /dev/shm (default 256 MB), and one file per
    16 kB of it: a size-limited tmpfs where a mount namespace can be made (the write fails with ENOSPC), else the
    supervisor watches the folder and stops the run (reason "disk")."""
