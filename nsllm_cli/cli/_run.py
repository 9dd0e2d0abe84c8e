"""The run folder a command writes (`--resume RUN` reopens RUN, `--run-dir D` names it, else a new one in the
runs dir), and the listener that sends a trainer's step events to its metrics and to the progress bar.

Example:
    >>> run = open_run(s, "finetune", run_dir=None, extra_config={"steps": 100})
    >>> reporter, on_event = report_steps(run, s, progress)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nsllm_cli.cli._progress import EventProgress
    from nsllm_cli.config import Settings
    from nsllm_cli.events import Event
    from nsllm_cli.reporting import Reporter
    from nsllm_cli.runs import RunDir


def open_run(
    s: Settings,
    command: str,
    *,
    run_dir: Path | None,
    extra_config: dict[str, Any],
    resume: Path | None = None,
) -> RunDir:
    """Create (or, with `resume`, reopen) the command's run folder, recording `s` and `extra_config`."""
    from nsllm_cli.runs import RunDir

    target = resume or run_dir
    return RunDir.create(
        target.parent if target else s.runs_dir,
        command,
        settings=s,
        name=target.name if target else None,
        extra_config=extra_config,
    )


def report_steps(run: RunDir, s: Settings, progress: EventProgress) -> tuple[Reporter, Event]:
    """The run's metrics reporter (close it when done) and a listener that logs `step` events to it and feeds
    every event to `progress`."""
    from nsllm_cli.reporting import Reporter

    reporter = Reporter(run, wandb=s.wandb, tensorboard=s.tensorboard)

    def on_event(kind: str, payload: dict[str, Any]) -> None:
        if kind == "step":
            reporter.log(**payload)
        progress.on_event(kind, payload)

    return reporter, on_event
