"""`nsllm dashboard`: the Textual dashboard of run folders (Textual is imported only when it runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nsllm_cli.cli._common import ConfigOpt, guarded, settings


@guarded
def dashboard(
    runs: Annotated[
        list[Path] | None,
        typer.Argument(help="Run folders to show (default: every run in the runs dir, live).", show_default=False),
    ] = None,
    runs_dir: Annotated[
        Path | None,
        typer.Option(
            "--runs-dir",
            help="Folder of run folders; new runs started from the dashboard go there "
            "(default: NSLLM_RUNS_DIR, else ./runs).",
        ),
    ] = None,
    interval: Annotated[
        float,
        typer.Option(
            "--interval", min=0.05, show_default=False, help="Seconds between reads of the run files (default 0.5)."
        ),
    ] = 0.5,
    stop_grace: Annotated[
        float,
        typer.Option(
            "--stop-grace",
            min=0.0,
            show_default=False,
            help="Seconds a run stopped with x gets after SIGINT before SIGTERM, and again before SIGKILL "
            "(default 10).",
        ),
    ] = 10.0,
    config: ConfigOpt = None,
) -> None:
    """Live dashboard of runs: loss curves, eval figures, side-by-side answers; start (n) and stop (x) runs."""
    from nsllm_cli.errors import DataError

    for run in runs or []:
        if not run.is_dir():
            raise DataError(f"run folder {run} does not exist")
    s = settings(config, runs_dir=runs_dir)
    from nsllm_cli.tui.dashboard import make_dashboard

    make_dashboard(runs_dir=s.runs_dir, runs=runs or [], poll_interval=interval, stop_grace=stop_grace).run()
