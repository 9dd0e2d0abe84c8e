"""Run folders: `runs/<command>-<YYYYmmdd-HHMMSS>-<4 hex>/` with config, status, metrics and results.

Every command that computes something gets one. The dashboard needs nothing but these files.

Example:
    >>> run = RunDir.create(Path("runs"), "generate", settings=settings, argv=["nsllm", "generate"])
    >>> run.log_metrics(step=1, loss=2.5)
    >>> run.finish(results={"answer": "47"})
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from nsllm_cli import __version__
from nsllm_cli.errors import NsllmError
from nsllm_cli.jsonl import append_jsonl, read_jsonl, write_json_atomic

if TYPE_CHECKING:
    from nsllm_cli.config import Settings

COMMAND_OPTIONS: ContextVar[dict[str, Any] | None] = ContextVar("nsllm_command_options", default=None)
"""The running command's options, set by the CLI (`cli/_resume.py`); `RunDir.create` records them so that
`--resume` can replay them."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_run_name(command: str) -> str:
    """`<command>-<YYYYmmdd-HHMMSS>-<4 hex>`: sortable by time, unique without a lock."""
    return f"{command}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def _claim(root: Path, name: str | None, command: str) -> Path:
    """The run folder: a given name is reused (resume); a generated one is claimed atomically, redrawn on a clash."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        for _ in range(100):
            path = root / (name or new_run_name(command))
            try:
                path.mkdir(exist_ok=name is not None)
            except FileExistsError:
                continue  # two runs started in the same second drew the same suffix
            (path / "artifacts").mkdir(exist_ok=True)
            return path
    except OSError as exc:
        raise NsllmError(f"cannot create a run folder in {root}: {exc.strerror or exc}") from exc
    raise NsllmError(f"cannot find a free run folder name in {root}")


@dataclass
class RunDir:
    """One run folder and its files."""

    path: Path
    started: float = field(default_factory=time.monotonic)

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def artifacts(self) -> Path:
        return self.path / "artifacts"

    @classmethod
    def create(
        cls,
        root: Path,
        command: str,
        *,
        settings: Settings,
        argv: list[str] | None = None,
        name: str | None = None,
        extra_config: dict[str, Any] | None = None,
    ) -> RunDir:
        """Create the folder and write `config.yaml`, `env.json` and a `running` status."""
        path = _claim(root, name, command)
        run = cls(path)
        config = {
            "command": command,
            "argv": list(argv if argv is not None else sys.argv),
            "nsllm_version": __version__,
            "settings": settings.redacted(),
            **({"options": options} if (options := COMMAND_OPTIONS.get()) is not None else {}),
            **({command: extra_config} if extra_config else {}),
        }
        (path / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        write_json_atomic(path / "env.json", environment_info())
        run.set_status("running")
        return run

    def set_status(self, state: str, error: str | None = None) -> None:
        """Write `status.json` (running / finished / failed / stopped)."""
        status_path = self.path / "status.json"
        previous: dict[str, Any] = {}
        if status_path.exists():
            import json

            previous = json.loads(status_path.read_text(encoding="utf-8"))
        status = {
            "state": state,
            "pid": os.getpid(),
            "started": previous.get("started", _now()),
            "ended": None if state == "running" else _now(),
            "error": error,
        }
        write_json_atomic(status_path, status)

    @contextmanager
    def guard(self) -> Iterator[RunDir]:
        """Mark the run `stopped` (Ctrl-C) or `failed` (with the error) when the body raises."""
        try:
            yield self
        except BaseException as exc:
            self.set_status("stopped" if isinstance(exc, KeyboardInterrupt) else "failed", error=str(exc))
            raise

    def log_metrics(self, **metrics: Any) -> None:
        """Append one metrics record; `elapsed_s` and `time` are added."""
        record = {**metrics, "elapsed_s": round(time.monotonic() - self.started, 3), "time": _now()}
        append_jsonl(self.metrics_path, record)

    def metrics(self) -> list[dict[str, Any]]:
        """All whole metrics records so far."""
        return list(read_jsonl(self.metrics_path))

    def write_results(self, results: dict[str, Any]) -> None:
        """Write `results.json` atomically."""
        write_json_atomic(self.path / "results.json", results)

    def finish(self, results: dict[str, Any] | None = None) -> None:
        """Write results (if any) and mark the run finished."""
        if results is not None:
            self.write_results(results)
        self.set_status("finished")


def environment_info() -> dict[str, Any]:
    """Versions and threads, read from package metadata so nothing heavy is imported here."""
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for pkg in ("torch", "transformers", "peft", "trl", "accelerate", "textual", "safetensors"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "nsllm": __version__,
        "packages": versions,
        "cpu_count": os.cpu_count(),
    }
