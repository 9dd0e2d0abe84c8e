"""What the hostile sandbox tests share: a first line that tags each run, and the check that a run left nothing.

Every hostile snippet starts with `PRELUDE`, which prints the run's unique folder and uid; `assert_contained` then
looks in /proc for any process that still carries either, and checks that the folder is gone.
"""

from __future__ import annotations

import os
from pathlib import Path

from nsllm_cli.sandbox import ExecResult, run_code

PRELUDE = "import os, sys\nprint('TAG', os.getcwd(), os.getuid(), flush=True)\n"
"""First line of every hostile snippet: the run's unique folder and uid, to look for survivors afterwards."""


def tag(result: ExecResult) -> tuple[str, int]:
    """The run's folder and uid, as its first line printed them."""
    line = next(line for line in result.stdout.splitlines() if line.startswith("TAG "))
    _, folder, uid = line.split()
    return folder, int(uid)


def survivors(result: ExecResult) -> list[str]:
    """Processes that still carry the run's folder in their command line, or the run's own uid (root runs)."""
    folder, uid = tag(result)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            owner = entry.stat().st_uid
        except OSError:
            continue
        if folder.encode() in cmdline or (uid != os.getuid() and owner == uid):
            found.append(f"{entry.name}: {cmdline[:80]!r}")
    return found


def assert_contained(result: ExecResult) -> None:
    """Nothing survives, the folder is gone, and the parent can run the next snippet normally."""
    assert survivors(result) == []
    assert not Path(tag(result)[0]).exists()
    assert run_code("print('alive')").stdout == "alive\n"
