"""The eval panel: the selected run's latest metrics, eval loss, accuracy per method and results.json."""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from nsllm_cli.runs.index import RunInfo, format_value, summarize_results

STANDARD = {"step", "total_steps", "epoch", "phase", "loss", "eval_loss", "lr", "tokens_per_s", "elapsed_s"}
STANDARD |= {"remaining_s", "time", "steps_per_s"}
"""Metrics fields shown in their own rows (or not at all); any other field is shown as an extra."""


class EvalPanel(VerticalScroll):
    """Key figures of the selected run, as a two-column table."""

    DEFAULT_CSS = """
    EvalPanel {
        border: round $primary;
        height: 1fr;
        padding: 0 1;
    }
    EvalPanel > Static { width: 1fr; }
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """An empty panel.

        Args:
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.border_title = "Eval"
        self.rows: list[tuple[str, str]] = []
        """What is shown, as (key, value) text pairs."""

    def compose(self) -> ComposeResult:
        yield Static(Text("no run selected", style="italic"), id="eval-body")

    def show(
        self,
        run: RunInfo | None,
        *,
        latest: dict[str, Any] | None = None,
        best_eval: float | None = None,
        accuracy: dict[str, tuple[int, int]] | None = None,
        results: dict[str, Any] | None = None,
    ) -> None:
        """Replace the content with the figures of `run` (None: nothing selected)."""
        body = self.query_one("#eval-body", Static)
        if run is None:
            self.rows = []
            body.update(Text("no run selected", style="italic"))
            return
        rows = [("state", run.state + (f" ({run.error})" if run.error else ""))]
        rows += _metrics_rows(latest or {}, best_eval)
        for method, (right, judged) in (accuracy or {}).items():
            if judged:
                rows.append((f"acc {method}", f"{right}/{judged} ({100 * right / judged:.0f}%)"))
        rows += [(f"results {k}", v) for k, v in summarize_results(results)]
        self.rows = rows
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")
        for key, value in rows:
            table.add_row(key, value)
        body.update(table)


def _metrics_rows(latest: dict[str, Any], best_eval: float | None) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if "step" in latest:
        total = latest.get("total_steps")
        rows.append(("step", f"{latest['step']}" + (f"/{total}" if total else "")))
    for key in ("epoch", "phase", "loss", "eval_loss", "lr"):
        if latest.get(key) is not None:
            rows.append((key, format_value(latest[key])))
    if best_eval is not None:
        rows.append(("best eval_loss", format_value(best_eval)))
    if latest.get("tokens_per_s") is not None:
        rows.append(("tokens/s", format_value(latest["tokens_per_s"])))
    elif latest.get("steps_per_s") is not None:
        rows.append(("steps/s", format_value(latest["steps_per_s"])))
    for key in ("elapsed_s", "remaining_s"):
        if isinstance(latest.get(key), int | float):
            rows.append((key.removesuffix("_s"), _duration(float(latest[key]))))
    extras = [(k, v) for k, v in latest.items() if k not in STANDARD and isinstance(v, int | float | str)]
    rows += [(k, format_value(v)) for k, v in extras[:6]]
    return rows


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
