"""`nsllm dashboard`: a live view of run folders. It reads files and launches subprocesses; it never trains.

Every `poll_interval` seconds it re-lists the runs dir and reads what was appended to the selected run's
`metrics.jsonl` and `samples.jsonl` (by byte offset), so new points appear without a restart. Corrupt lines,
an empty runs dir and a run deleted while shown give a message, never a crash.

Example:
    >>> app = make_dashboard(runs_dir=Path("runs"))
    >>> app.run()
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Header, Static

from nsllm_cli.runs.follow import RunFollower
from nsllm_cli.runs.index import RunInfo, RunsIndex
from nsllm_cli.runs.launch import LaunchError, finish_status, launch_run, parse_command_line
from nsllm_cli.runs.stopper import Stopper
from nsllm_cli.tui.start_run import StartRunScreen
from nsllm_cli.tui.widgets.answers_panel import AnswersPanel
from nsllm_cli.tui.widgets.eval_panel import EvalPanel
from nsllm_cli.tui.widgets.event_log import EventLog
from nsllm_cli.tui.widgets.loss_curve import LossCurve
from nsllm_cli.tui.widgets.runs_table import RunsTable

W = TypeVar("W", bound=Widget)


class Dashboard(App[None]):
    """Runs, the selected run's loss curve, eval figures and side-by-side answers, and an event log."""

    CSS_PATH = "dashboard.tcss"
    TITLE = "nsllm dashboard"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh", id="dashboard.refresh"),
        Binding("l", "toggle_log", "Log scale", id="dashboard.toggle_log"),
        Binding("s", "toggle_smooth", "Smoothing", id="dashboard.toggle_smooth"),
        Binding("n", "start_run", "Start run", id="dashboard.start_run"),
        Binding("x", "stop_run", "Stop run", id="dashboard.stop_run"),
        Binding("q", "quit", "Quit", id="dashboard.quit"),
    ]

    def __init__(
        self, runs_dir: Path, runs: Sequence[Path] = (), *, poll_interval: float = 0.5, stop_grace: float = 10.0
    ) -> None:
        """A dashboard over `runs_dir` (or only over `runs`, when given).

        Args:
            runs_dir: The folder of run folders; new runs started from the dashboard go there.
            runs: Run folders to show instead of everything in `runs_dir`.
            poll_interval: Seconds between reads of the run files.
            stop_grace: Seconds a stopped run gets after SIGINT before SIGTERM, and after SIGTERM before SIGKILL.
        """
        super().__init__()
        self.runs_dir = runs_dir.absolute()
        self.index = RunsIndex(self.runs_dir, pinned=[Path(r).absolute() for r in runs])
        self.poll_interval = poll_interval
        self.runs: dict[str, RunInfo] = {}
        """The runs listed by the last poll, by key (folder path as text)."""
        self.selected: Path | None = None
        self.procs: dict[Path, subprocess.Popen[bytes]] = {}
        """Runs started from this dashboard that have not been seen to exit yet."""
        self.stopper = Stopper(grace=stop_grace)
        """Runs being stopped, escalated from SIGINT to SIGTERM to SIGKILL."""
        self.status_text = ""
        """The status line, as text."""
        self.message = ""
        """The latest warning; it stays in the status line until the next one."""
        self._message_at = 0.0
        self._scanned = False
        self._shown_run: RunInfo | None = None
        self.follower: RunFollower | None = None
        """The files of the selected run, read incrementally."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="top"):
            yield RunsTable(id="runs")
            with Vertical(id="right"):
                yield LossCurve(id="curve")
                yield EvalPanel(id="eval")
        with Horizontal(id="bottom"):
            yield AnswersPanel(id="answers")
            yield EventLog(id="events")
        yield Static("", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = str(self.runs_dir)
        self.log_event(
            f"watching {self.runs_dir}" + (f" ({len(self.index.pinned)} pinned runs)" if self.index.pinned else "")
        )
        self.poll()
        self.set_interval(self.poll_interval, self.poll)

    # -- polling -------------------------------------------------------------------------------------------------

    def poll(self) -> None:
        """Reap started runs, re-list the runs, read what the selected run appended; never raises."""
        if not self._widgets_ready():
            return  # the app is starting or shutting down
        try:
            for event in self.stopper.tick():
                self.log_event(event)
            self._reap_children()
            self._refresh_runs()
            self._follow_selected()
        except Exception as exc:  # noqa: BLE001 - a file-system surprise must not kill the UI
            self.warn(f"refresh failed: {type(exc).__name__}: {exc}")
        self._update_status()

    def _part(self, kind: type[W], selector: str | None = None) -> W:
        """A widget of the main screen, also while a modal is on top."""
        screen = self.screen_stack[0]
        return screen.query_one(selector, kind) if selector else screen.query_one(kind)

    def _widgets_ready(self) -> bool:
        try:
            self._part(LossCurve)
        except (NoMatches, IndexError):
            return False
        return True

    def _reap_children(self) -> None:
        for path, process in list(self.procs.items()):
            code = process.poll()
            if code is None:
                continue
            del self.procs[path]
            killed = path in self.stopper.killed
            error = "killed with SIGKILL: no clean stop after SIGINT and SIGTERM" if killed else None
            state = finish_status(path, code, stopped=killed, error=error)
            note = f"; status was still running, marked {state}" if state else ""
            self.log_event(f"{path.name}: pid {process.pid} exited with code {code}{note}")

    def _refresh_runs(self) -> None:
        runs = self.index.scan()
        fresh = {run.key: run for run in runs}
        if self._scanned:
            for key in fresh.keys() - self.runs.keys():
                self.log_event(f"new run {fresh[key].name} ({fresh[key].state})")
            for key in self.runs.keys() - fresh.keys():
                self.log_event(f"run {self.runs[key].name} disappeared")
            for key, run in fresh.items():
                old = self.runs.get(key)
                if old is not None and old.state != run.state:
                    error = f": {run.error}" if run.error else ""
                    self.log_event(f"{run.name}: {old.state} → {run.state}{error}")
        elif not runs:
            self.log_event(f"no runs in {self.runs_dir} yet; press n to start one")
        first = not self._scanned
        self._scanned = True
        self.runs = fresh
        table = self._part(RunsTable)
        table.update_runs(runs)
        if self.selected is not None and str(self.selected) not in fresh:
            self._selected_gone()
        if self.selected is None and runs:
            key = _default_run(runs, self.index.pinned) if first else (table.highlighted_key or runs[-1].key)
            table.highlight(key)
            self.select_run(Path(key))
        elif not runs:
            self._part(LossCurve).clear("no runs yet: press n to start one")

    def _selected_gone(self) -> None:
        assert self.selected is not None
        self.warn(f"run {self.selected.name} was deleted while shown")
        self.selected, self.follower = None, None
        self._part(LossCurve).clear("the selected run was deleted")
        self._part(AnswersPanel).clear_answers("the selected run was deleted")
        self._part(EvalPanel).show(None)

    def select_run(self, path: Path) -> None:
        """Show `path` in the curve, eval and answers panels (read from the start of its files)."""
        if path == self.selected:
            return
        self.selected, self.follower = path, RunFollower(path)
        self._part(LossCurve).clear("waiting for metrics.jsonl")
        self._part(AnswersPanel).clear_answers("no samples.jsonl in this run (yet)")
        self._follow_selected(force=True)
        self._update_status()

    def _follow_selected(self, *, force: bool = False) -> None:
        follower = self.follower
        if follower is None:
            return
        if not follower.path.is_dir():
            self._selected_gone()
            return
        run = self.runs.get(str(follower.path))
        name = run.name if run else follower.path.name
        update = follower.poll()
        curve, panel = self._part(LossCurve), self._part(AnswersPanel)
        metrics, samples = update.metrics, update.samples
        if metrics.reset:
            self.log_event(f"{name}: metrics.jsonl was truncated or replaced; reading it again")
            curve.clear("waiting for metrics.jsonl")
        for what, tail, got in (("metrics", follower.metrics, metrics), ("samples", follower.samples, samples)):
            if got.new_corrupt:
                self.warn(f"{name}: skipped {got.new_corrupt} corrupt {what} line(s) ({tail.last_error})")
        if metrics.records:
            curve.add_records(metrics.records)
        if not curve.point_count:
            curve.empty_message = (
                "no metrics.jsonl in this run" if follower.metrics.missing else "waiting for loss values"
            )
        if samples.reset:
            panel.clear_answers("samples.jsonl was replaced; reading it again")
        if samples.records:
            panel.show(follower.answers, update.questions)
        if force or update.changed or run != self._shown_run:
            self._part(EvalPanel).show(
                run,
                latest=follower.latest,
                best_eval=follower.best_eval,
                accuracy=follower.answers.accuracy(),
                results=follower.results,
            )
            self._shown_run = run

    def _update_status(self) -> None:
        if self.runs:
            parts = [f"{len(self.runs)} run{'s' if len(self.runs) != 1 else ''} in {self.runs_dir}"]
        else:
            where = "" if self.runs_dir.is_dir() or self.index.pinned else " (it does not exist yet)"
            parts = [f"no runs in {self.runs_dir}{where}: press n to start one"]
        if self.follower is not None:
            tail, name = self.follower.metrics, self.follower.path.name
            points = self._part(LossCurve).point_count
            if tail.missing:
                bits = [f"{name}: no metrics.jsonl"]
            else:
                bits = [f"{name}: {points} loss point{'s' if points != 1 else ''}"]
            if tail.corrupt:
                bits.append(f"{tail.corrupt} corrupt line{'s' if tail.corrupt != 1 else ''} skipped")
            if tail.partial:
                bits.append("partial last line pending")
            parts.append(", ".join(bits))
        if self.stopper.pending:
            parts.append(self.stopper.describe())
        if self.message:
            parts.append(f"⚠ {self.message}")
        text = " · ".join(parts)
        if text != self.status_text:
            self.status_text = text
            self._part(Static, "#status").update(text)

    # -- messages ------------------------------------------------------------------------------------------------

    def log_event(self, message: str) -> None:
        """One line in the event log."""
        self._part(EventLog).event(message)

    def warn(self, message: str) -> None:
        """A problem worth seeing: event log, status line and a notification."""
        now = time.monotonic()
        if message == self.message and now - self._message_at < 5:
            return  # the same problem seen again by the next poll: once is enough
        self.message, self._message_at = message, now
        self.log_event(f"⚠ {message}")
        self.notify(message, severity="warning", markup=False)
        self._update_status()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "runs" and event.row_key.value is not None:
            self.select_run(Path(event.row_key.value))

    # -- actions ---------------------------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        """Re-read every run folder now."""
        self.index.invalidate()
        self.poll()
        self.log_event("refreshed")

    def action_toggle_log(self) -> None:
        """Loss curve: log10 axis on/off."""
        curve = self._part(LossCurve)
        curve.log_scale = not curve.log_scale
        self.log_event(f"log scale {'on' if curve.log_scale else 'off'}")

    def action_toggle_smooth(self) -> None:
        """Loss curve: EMA smoothing on/off."""
        curve = self._part(LossCurve)
        curve.smooth = not curve.smooth
        self.log_event(f"smoothing {'on' if curve.smooth else 'off'}")

    def action_start_run(self) -> None:
        """Ask for a command line and start it as a subprocess."""
        self.push_screen(StartRunScreen(str(self.runs_dir)), self._start_from_text)

    def _start_from_text(self, text: str | None) -> None:
        if not text:
            return
        try:
            self.start_run(parse_command_line(text))
        except LaunchError as exc:
            self.warn(str(exc))

    def start_run(self, args: Sequence[str]) -> Path | None:
        """Launch `python -m nsllm_cli <args> --run-dir <new folder>`, list it and select it.

        Returns:
            The new run folder, or None when it could not start (a warning says why).
        """
        try:
            launched = launch_run(args, self.runs_dir)
        except LaunchError as exc:
            self.warn(str(exc))
            return None
        self.procs[launched.path] = launched.process
        self.index.pin(launched.path)
        self.log_event(f"started {launched.path.name} (pid {launched.process.pid}): nsllm {' '.join(args)}")
        self.poll()
        self._part(RunsTable).highlight(str(launched.path))
        self.select_run(launched.path)
        return launched.path

    def action_stop_run(self) -> None:
        """Send SIGINT to the selected run, if it is running and is ours or a live nsllm process; SIGTERM and
        SIGKILL follow after the grace period, or at once when stop is pressed again."""
        if self.selected is None:
            self.warn("no run selected")
            return
        try:
            pid, name = self.stopper.stop(self.selected, self.procs)
        except LaunchError as exc:
            self.warn(str(exc))
            return
        grace = self.stopper.grace
        after = {"SIGINT": f"; SIGTERM follows in {grace:g} s", "SIGTERM": f"; SIGKILL follows in {grace:g} s"}
        self.log_event(f"sent {name} to {self.selected.name} (pid {pid}){after.get(name, '')}")
        self._update_status()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Refresh runs", "Re-read every run folder now (r)", self.action_refresh)
        yield SystemCommand("Toggle log scale", "Loss curve: log10 axis on/off (l)", self.action_toggle_log)
        yield SystemCommand("Toggle smoothing", "Loss curve: EMA smoothing on/off (s)", self.action_toggle_smooth)
        yield SystemCommand(
            "Start a run", "Launch nsllm <command> … as a subprocess with a new --run-dir (n)", self.action_start_run
        )
        yield SystemCommand(
            "Stop the selected run",
            "SIGINT to the selected run; SIGTERM, then SIGKILL after the grace period or on x again (x)",
            self.action_stop_run,
        )


def _default_run(runs: Sequence[RunInfo], pinned: Sequence[Path]) -> str:
    """The run selected at start: the first pinned one, else the newest running one, else the newest."""
    if pinned:
        for path in pinned:
            if str(path) in {r.key for r in runs}:
                return str(path)
    running = [r for r in runs if r.state == "running"]
    return (running or list(runs))[-1].key


def make_dashboard(
    *, runs_dir: Path | None = None, runs: Sequence[Path] = (), poll_interval: float = 0.5, stop_grace: float = 10.0
) -> Dashboard:
    """The dashboard app, for the CLI and the tests.

    Args:
        runs_dir: The folder of run folders (default: the `runs_dir` setting, NSLLM_RUNS_DIR or ./runs).
        runs: Show only these run folders.
        poll_interval: Seconds between reads of the run files.
        stop_grace: Seconds between the signals of a stop (SIGINT, SIGTERM, SIGKILL).

    Example:
        >>> async with make_dashboard(runs_dir=tmp_path).run_test() as pilot:
        ...     await pilot.press("l")
    """
    if runs_dir is None:
        from nsllm_cli.config import load_settings

        runs_dir = load_settings().runs_dir
    return Dashboard(runs_dir, runs, poll_interval=poll_interval, stop_grace=stop_grace)
