"""Reading run folders for the dashboard: which runs exist, their state, command and last step (no Textual here).

A run folder is any folder holding one of `status.json`, `config.yaml`, `metrics.jsonl` or `samples.jsonl`
(`nsllm_cli.runs.RunDir` writes them). Folders without them are groups (e.g. `runs/demo/`) and are looked into
once. Every reader tolerates files that are missing, half-written or deleted while it reads.

Example:
    >>> index = RunsIndex(Path("runs"))
    >>> [(r.name, r.state, r.loss) for r in index.scan()]
    [('demo/finetune', 'finished', 1.599)]
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MARKERS = ("status.json", "config.yaml", "metrics.jsonl", "samples.jsonl")
"""Files that make a folder a run folder."""
SKIP = {"artifacts", "checkpoint", "activations", "tensorboard", "wandb", "__pycache__"}
"""Subfolders of runs that are never runs themselves."""
STATES = ("running", "finished", "failed", "stopped")
_COMMAND = re.compile(r"^command:\s*['\"]?([^'\"#\s]+)", re.MULTILINE)
_STAMP = re.compile(r"-\d{8}-\d{6}(-[0-9a-f]{4})?$")


@dataclass(frozen=True)
class RunInfo:
    """What the runs table shows about one run folder."""

    path: Path
    name: str
    """The folder relative to the runs dir (e.g. "demo/finetune"), or its name for runs outside it."""
    command: str
    state: str
    """running / finished / failed / stopped, "lost" (running, but its process is gone) or "unknown"."""
    pid: int | None = None
    started: str | None = None
    ended: str | None = None
    error: str | None = None
    step: int | None = None
    total_steps: int | None = None
    loss: float | None = None

    @property
    def key(self) -> str:
        """A stable identity for tables: the folder path as text."""
        return str(self.path)


def is_run_dir(path: Path) -> bool:
    """True if `path` holds one of the files every run folder has."""
    return any((path / marker).exists() for marker in MARKERS)


def find_run_dirs(runs_dir: Path) -> list[Path]:
    """Run folders directly in `runs_dir`, and in its group folders one level down; [] if it does not exist."""
    found: list[Path] = []
    for child in _subdirs(runs_dir):
        if is_run_dir(child):
            found.append(child)
        else:
            found.extend(grandchild for grandchild in _subdirs(child) if is_run_dir(grandchild))
    return found


def _subdirs(path: Path) -> list[Path]:
    try:
        entries = list(os.scandir(path))
    except OSError:
        return []
    out = []
    for entry in entries:
        try:
            if entry.is_dir() and not entry.name.startswith(".") and entry.name not in SKIP:
                out.append(Path(entry.path))
        except OSError:
            continue
    return sorted(out)


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object file, or None when it is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_status(run: Path) -> dict[str, Any]:
    """`status.json` of a run, or {} when there is none (yet) or it cannot be read."""
    return read_json(run / "status.json") or {}


def read_command(run: Path) -> str:
    """The `command:` of `config.yaml`, else the folder name without its time stamp (`finetune-2026…` → finetune)."""
    try:
        head = (run / "config.yaml").read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        head = ""
    match = _COMMAND.search(head)
    return match.group(1) if match else _STAMP.sub("", run.name)


def last_record(path: Path, *, window: int = 16384) -> dict[str, Any] | None:
    """The last whole, valid JSON object line of a JSONL file (reads only its tail), or None."""
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - window))
            data = fh.read()
    except OSError:
        return None
    lines = data.split(b"\n")[:-1]  # whatever follows the last newline is a partial line
    for raw in reversed(lines):
        try:
            obj = json.loads(raw.decode("utf-8", errors="replace"))
        except ValueError:
            continue
        if isinstance(obj, dict):
            return obj
    return None


def pid_alive(pid: int | None) -> bool:
    """True if a process with this pid exists on this machine (a zombie counts)."""
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def read_run(path: Path, name: str | None = None) -> RunInfo | None:
    """Everything the runs table shows for one folder, or None if the folder is gone."""
    if not path.is_dir():
        return None
    status = read_status(path)
    state = str(status.get("state") or "unknown")
    pid = status.get("pid") if isinstance(status.get("pid"), int) else None
    if state == "running" and pid is not None and not pid_alive(pid):
        state = "lost"
    last = last_record(path / "metrics.jsonl") or {}
    return RunInfo(
        path=path,
        name=name or path.name,
        command=read_command(path),
        state=state,
        pid=pid,
        started=_text(status.get("started")) or _mtime_iso(path),
        ended=_text(status.get("ended")),
        error=_text(status.get("error")),
        step=_int(last.get("step")),
        total_steps=_int(last.get("total_steps")),
        loss=_float(last.get("loss")),
    )


class RunsIndex:
    """The runs of one runs dir (plus pinned folders), re-read only when their files change."""

    def __init__(self, runs_dir: Path, pinned: Sequence[Path] = ()) -> None:
        """Index `runs_dir`, or only `pinned` when given.

        Args:
            runs_dir: The folder that holds run folders (it may not exist yet).
            pinned: Run folders to show instead of everything in `runs_dir`.
        """
        self.runs_dir = runs_dir
        self.pinned: list[Path] = list(pinned)
        self._cache: dict[Path, tuple[tuple[int, ...], RunInfo]] = {}

    def pin(self, path: Path) -> None:
        """Show `path` too (used for runs started from the dashboard while only pinned runs are shown)."""
        if self.pinned and path not in self.pinned:
            self.pinned.append(path)

    def invalidate(self) -> None:
        """Forget cached run details: the next scan re-reads every folder."""
        self._cache.clear()

    def folders(self) -> list[Path]:
        """The run folders to show, before reading them."""
        return list(self.pinned) if self.pinned else find_run_dirs(self.runs_dir)

    def scan(self) -> list[RunInfo]:
        """Every run, oldest first; runs whose files did not change since the last scan are not re-read."""
        runs: list[RunInfo] = []
        fresh: dict[Path, tuple[tuple[int, ...], RunInfo]] = {}
        for path in self.folders():
            signature = _signature(path)
            if signature is None:
                continue
            cached = self._cache.get(path)
            info = cached[1] if cached and cached[0] == signature and cached[1].state != "running" else None
            if info is None:
                info = read_run(path, self._name(path))
            if info is None:
                continue
            fresh[path] = (signature, info)
            runs.append(info)
        self._cache = fresh
        return sorted(runs, key=lambda r: (r.started or "", r.name))

    def _name(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.runs_dir.resolve()).as_posix()
        except (ValueError, OSError):
            return path.name


def _signature(path: Path) -> tuple[int, ...] | None:
    """Modification times and sizes of a run's marker files; None if the folder is gone."""
    try:
        if not path.is_dir():
            return None
    except OSError:
        return None
    parts: list[int] = []
    for marker in MARKERS:
        try:
            st = os.stat(path / marker)
            parts += [st.st_mtime_ns, st.st_size]
        except OSError:
            parts += [0, -1]
    return tuple(parts)


def summarize_results(results: dict[str, Any] | None, *, limit: int = 10) -> list[tuple[str, str]]:
    """The scalar leaves of `results.json` (two levels deep), formatted, as (key, value) pairs."""
    if not results:
        return []
    out: list[tuple[str, str]] = []
    for key, value in _leaves(results, prefix="", depth=2):
        out.append((key, format_value(value)))
        if len(out) >= limit:
            break
    return out


def _leaves(data: dict[str, Any], *, prefix: str, depth: int) -> Iterable[tuple[str, Any]]:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) <= 40):
            yield name, value
        elif isinstance(value, dict) and depth > 1:
            yield from _leaves(value, prefix=f"{name}.", depth=depth - 1)


def format_value(value: Any) -> str:
    """Numbers with 4 significant digits, everything else as text."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _mtime_iso(path: Path) -> str | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
    except OSError:
        return None
