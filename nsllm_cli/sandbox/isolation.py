"""What isolated one sandboxed run: the mechanisms that really held, as the supervisor measured them.

Why measured and not assumed: namespaces, Landlock and a uid switch depend on the kernel, its settings and the
container nsllm runs in. The supervisor reports the words `net= procs= fs= landlock=` on its status pipe; this
module turns them into an `Isolation` that reports and `nsllm env` show as they are.

Example:
    >>> isolation_from_status({"net": "netns", "procs": "pidns", "fs": "guard", "landlock": "7"}).files
    'landlock (ABI 7)'
"""

from __future__ import annotations

from dataclasses import dataclass


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


def isolation_from_status(status: dict[str, str]) -> Isolation:
    """The supervisor's `net= procs= fs= landlock=` words as an Isolation (landlock=ABI, or 0:why, %-escaped).

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
    return Isolation(network=status["net"], processes=status["procs"], files=files, landlock_abi=landlock_abi)
