"""Starting and stopping runs from the dashboard: subprocesses of `python -m nsllm_cli`, never training in-process.

A started run gets a fresh folder in the runs dir, `--run-dir <folder>` on its command line, a `running`
status.json written before it starts (the command then rewrites it with its own pid), and its console output
in `<folder>/log.txt`. Stopping sends SIGINT, which the commands turn into a clean `stopped` status
(`stopper.Stopper` escalates to SIGTERM and SIGKILL when that does not happen within a grace period).

Example:
    >>> started = launch_run(parse_command_line("finetune --train-run runs/t --steps 50"), Path("runs"))
    >>> started.process.poll()
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from nsllm_cli.jsonl import write_json_atomic
from nsllm_cli.runs.folder import new_run_name
from nsllm_cli.runs.index import read_status

_PREFIXES = (["nsllm"], ["python", "-m", "nsllm_cli"], ["python3", "-m", "nsllm_cli"])


class LaunchError(ValueError):
    """A command line that cannot be started, or a run that cannot be stopped; the message says why."""


@dataclass
class Launched:
    """A run started by the dashboard."""

    path: Path
    process: subprocess.Popen[bytes]
    argv: list[str]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_command_line(text: str) -> list[str]:
    """Split a typed command line; a leading `nsllm` or `python -m nsllm_cli` is dropped.

    Raises:
        LaunchError: empty, or unbalanced quotes.
    """
    try:
        args = shlex.split(text)
    except ValueError as exc:
        raise LaunchError(f"cannot parse the command line: {exc}") from None
    for prefix in _PREFIXES:
        if args[: len(prefix)] == prefix:
            args = args[len(prefix) :]
            break
    if not args:
        raise LaunchError("type a command, e.g. finetune --train-run runs/<train run> --steps 50")
    return args


def given_run_dir(args: Sequence[str]) -> Path | None:
    """The `--run-dir` the user typed, if any."""
    for i, arg in enumerate(args):
        if arg == "--run-dir" and i + 1 < len(args):
            return Path(args[i + 1])
        if arg.startswith("--run-dir="):
            return Path(arg.split("=", 1)[1])
    return None


def command_name(args: Sequence[str]) -> str:
    """A folder-name-safe command word: `bench math ...` → bench-math, `finetune ...` → finetune."""
    words = [a for a in args[:2] if re.fullmatch(r"[A-Za-z][\w-]*", a)]
    name = "-".join(words[:2] if words[:1] in (["bench"], ["steer"], ["finetune"]) else words[:1])
    return name or "run"


def launch_run(args: Sequence[str], runs_dir: Path, *, python: str | None = None) -> Launched:
    """Start `python -m nsllm_cli <args> --run-dir <new folder>` without waiting for it.

    Args:
        args: The command's arguments (no `nsllm` prefix).
        runs_dir: Where the new run folder is created (a `--run-dir` in `args` wins).
        python: The interpreter (default: the one running the dashboard).

    Returns:
        The folder, the process and the full argv.

    Raises:
        LaunchError: the folder cannot be created or the process cannot start.
    """
    args = list(args)
    target = given_run_dir(args)
    try:
        if target is None:
            runs_dir.mkdir(parents=True, exist_ok=True)
            target = _claim(runs_dir, command_name(args))
            cut = args.index("--") if "--" in args else len(args)  # options go before a `--`
            args[cut:cut] = ["--run-dir", str(target)]
        else:
            target.mkdir(parents=True, exist_ok=True)
        write_json_atomic(
            target / "status.json", {"state": "running", "pid": None, "started": _now(), "ended": None, "error": None}
        )
        argv = [python or sys.executable, "-m", "nsllm_cli", *args]
        with open(target / "log.txt", "ab") as log:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
    except OSError as exc:
        if target is not None and target.is_dir():
            finish_status(target, None, error=f"could not start: {exc}")
        raise LaunchError(f"cannot start the run: {exc}") from exc
    return Launched(path=target, process=process, argv=argv)


def _claim(runs_dir: Path, command: str) -> Path:
    for _ in range(100):
        path = runs_dir / new_run_name(command)
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise OSError(f"no free run folder name in {runs_dir}")


def finish_status(run: Path, returncode: int | None, *, error: str | None = None, stopped: bool = False) -> str | None:
    """After a started process exited: if its status still says running, record how it ended.

    A command that ignores `--run-dir` or dies before writing its status would otherwise look running forever.
    `stopped`: the dashboard killed it (SIGKILL after its grace period), so a -9 means stopped, not failed.

    Returns:
        The state written, or None when the command had already written its own final status.
    """
    status = read_status(run)
    if status.get("state") not in (None, "running"):
        return None
    if returncode == 0:
        state = "finished"
    elif returncode in (130, 143, -signal.SIGINT, -signal.SIGTERM) or (stopped and returncode == -signal.SIGKILL):
        state = "stopped"
    else:
        state = "failed"
    if error is None and state == "failed":
        error = f"exited with code {returncode}" + _last_line(run / "log.txt")
    record = {"state": state, "pid": status.get("pid"), "started": status.get("started") or _now()}
    try:
        write_json_atomic(run / "status.json", {**record, "ended": _now(), "error": error})
    except OSError:
        return None  # the folder was deleted meanwhile
    return state


def _last_line(path: Path) -> str:
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    except OSError:
        return ""
    lines = [line for line in lines if line]
    return f": {lines[-1][:200]}" if lines else ""


def is_nsllm_process(pid: int) -> bool:
    """True if `pid` is a live `nsllm ...` or `python -m nsllm_cli ...` process (reads Linux /proc; False elsewhere)."""
    if pid <= 1 or pid == os.getpid():
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    parts = [p.decode("utf-8", errors="replace") for p in cmdline.split(b"\0") if p]
    if any(os.path.basename(p) == "nsllm" for p in parts[:2]):  # `nsllm ...` or `python .../bin/nsllm ...`
        return True
    return any(a == "-m" and b in ("nsllm_cli", "nsllm_cli.__main__") for a, b in zip(parts, parts[1:], strict=False))


def stop_run(run: Path, children: dict[Path, subprocess.Popen[bytes]]) -> int:
    """Send SIGINT to a running run: a process we started, or a live nsllm process named in its status.json.

    Returns:
        The pid that was signalled.

    Raises:
        LaunchError: the run is not running, or its pid is not one we may signal.
    """
    child = children.get(run)
    if child is not None and child.poll() is None:
        child.send_signal(signal.SIGINT)
        return child.pid
    status = read_status(run)
    if status.get("state") != "running":
        raise LaunchError(f"{run.name} is not running (state: {status.get('state', 'unknown')})")
    pid = status.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool):
        raise LaunchError(f"{run.name}: status.json names no pid")
    if not is_nsllm_process(pid):
        raise LaunchError(f"{run.name}: pid {pid} is not a live nsllm process on this machine; not signalling it")
    try:
        os.kill(pid, signal.SIGINT)
    except OSError as exc:
        raise LaunchError(f"{run.name}: cannot signal pid {pid}: {exc.strerror or exc}") from exc
    return pid
