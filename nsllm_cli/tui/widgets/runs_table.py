"""The runs table: one row per run folder, updated in place so the cursor stays on its run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from nsllm_cli.runs.index import RunInfo
from nsllm_cli.tui.plot import fmt

COLUMNS: tuple[tuple[str, str], ...] = (
    ("run", "Run"),
    ("command", "Command"),
    ("state", "State"),
    ("started", "Started"),
    ("step", "Step"),
    ("loss", "Loss"),
)
STATE_STYLES = {
    "running": "bold green",
    "finished": "blue",
    "failed": "bold red",
    "stopped": "yellow",
    "lost": "magenta",
}


class RunsTable(DataTable[str | Text]):
    """Run folders with command, state, start time, last step and loss; the highlighted row is the selected run."""

    DEFAULT_CSS = """
    RunsTable {
        border: round $primary;
        height: 1fr;
    }
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """An empty table; rows arrive through :meth:`update_runs`.

        Args:
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled, cursor_type="row", zebra_stripes=True)
        self.border_title = "Runs"
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    @property
    def highlighted_key(self) -> str | None:
        """The key (folder path) of the highlighted run, if any."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    def update_runs(self, runs: Sequence[RunInfo]) -> None:
        """Make the rows match `runs`: drop vanished runs, update changed cells, append new runs."""
        wanted = {run.key for run in runs}
        for row_key in list(self.rows):
            if row_key.value not in wanted:
                self.remove_row(row_key)
        for run in runs:
            cells = run_cells(run)
            if run.key in self.rows:
                for (column, _), value in zip(COLUMNS, cells, strict=True):
                    if self.get_cell(run.key, column) != value:
                        self.update_cell(run.key, column, value)
            else:
                self.add_row(*cells, key=run.key)
        self.border_subtitle = f"{len(runs)} run{'s' if len(runs) != 1 else ''}"

    def highlight(self, key: str) -> None:
        """Move the cursor to the run with this key (no-op if it is not shown)."""
        if key in self.rows:
            self.move_cursor(row=self.get_row_index(key))


def run_cells(run: RunInfo) -> tuple[str | Text, ...]:
    """The cells of one row."""
    step = "" if run.step is None else f"{run.step}" + (f"/{run.total_steps}" if run.total_steps else "")
    return (
        run.name,
        run.command,
        Text(run.state, style=STATE_STYLES.get(run.state, "dim")),
        _when(run.started),
        step,
        "" if run.loss is None else fmt(run.loss),
    )


def _when(stamp: str | None) -> str:
    """An ISO time stamp as local `MM-DD HH:MM`."""
    if not stamp:
        return ""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%m-%d %H:%M")
    except ValueError:
        return stamp[:16]
