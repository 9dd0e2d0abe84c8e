"""What isolated one sandboxed run: the mechanisms that really held, as the supervisor measured them.

Why measured and not assumed: namespaces, Landlock, a mount, seccomp and a uid switch depend on the kernel, its
settings, the libraries installed and the container nsllm runs in. The supervisor reports the words `net= procs=
fs= landlock= disk= seccomp=` on its status pipe; this module turns them into an `Isolation` that reports,
execution records and `nsllm env` show as they are.

Example:
    >>> isolation_from_status({"net": "netns", "procs": "pidns", "fs": "guard", "landlock": "7"}).files
    'landlock (ABI 7)'
    >>> isolation_from_status({"net": "netns", "procs": "pidns", "fs": "guard", "disk": "tmpfs:256000000"}).disk
    'tmpfs 256 MB'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nsllm_cli.sandbox.disk import describe


@dataclass(frozen=True)
class Isolation:
    """Which mechanism was active for one run, so reports can say how much the sandbox really isolated."""

    network: str
    """"netns" (OS barrier), "guard" (audit hook), "off" (Limits.network=True)."""
    processes: str
    """"pidns", "subreaper" (tree kill via /proc), "pgroup" (process group only)."""
    files: str
    """"landlock (ABI 7)", or "reads not restricted (landlock unavailable: why); writes: uid+guard"."""
    landlock_abi: int = 0
    """The Landlock ABI that restricted reads and writes; 0: Landlock did not hold."""
    disk: str = "not reported"
    """"tmpfs 256 MB" (the kernel refuses writes past the budget), "watched 256 MB (no tmpfs: why)" (the supervisor
    stops the run) or "off" (Limits.disk_bytes <= 0)."""
    syscalls: str = "not reported"
    """"seccomp (48 denied)", or "not filtered (seccomp unavailable: why)"."""


def isolation_from_status(status: dict[str, str]) -> Isolation:
    """The supervisor's `net= procs= fs= landlock= disk= seccomp=` words as an Isolation (%-escaped reasons).

    Args:
        status: the supervisor's `key=value` words; `net`, `procs` and `fs` must be there.
    """
    from urllib.parse import unquote  # only when a run reports (urllib.parse imports re)

    abi, _, why = status.get("landlock", "0:not reported").partition(":")
    landlock_abi = int(abi) if abi.isdigit() else 0
    if landlock_abi > 0:
        files = f"landlock (ABI {landlock_abi})"
    else:
        files = f"reads not restricted (landlock unavailable: {unquote(why)}); writes: {status['fs']}"
    denied, _, why = status.get("seccomp", "0:not reported").partition(":")
    if denied.isdigit() and int(denied) > 0:
        syscalls = f"seccomp ({denied} denied)"
    else:
        syscalls = f"not filtered (seccomp unavailable: {unquote(why)})"
    return Isolation(
        network=status["net"],
        processes=status["procs"],
        files=files,
        landlock_abi=landlock_abi,
        disk=_disk(status.get("disk", "not reported"), unquote),
        syscalls=syscalls,
    )


def _disk(word: str, unquote: Callable[[str], str]) -> str:
    """The `disk=` word (tmpfs:BYTES, watched:BYTES:why, off) as people read it."""
    kind, _, rest = word.partition(":")
    budget, _, why = rest.partition(":")
    size = describe(int(budget)) if budget.isdigit() else budget
    if kind == "tmpfs":
        return f"tmpfs {size}"
    if kind == "watched":
        return f"watched {size} (no tmpfs: {unquote(why)})"
    return word
