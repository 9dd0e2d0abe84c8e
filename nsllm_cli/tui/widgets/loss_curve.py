"""A loss curve drawn in braille characters: raw points, their EMA and eval losses, linear or log scale."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from nsllm_cli.tui.plot import BrailleCanvas, ema, fmt, scale

RAW, SMOOTH, EVAL = 0, 1, 2


class LossCurve(Widget):
    """A live loss curve; shows "not enough points yet" below two points."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "loss-curve--raw",
        "loss-curve--smooth",
        "loss-curve--eval",
        "loss-curve--axis",
    }
    """
    | Class | Description |
    | :- | :- |
    | `loss-curve--raw` | The raw loss when smoothing is on. |
    | `loss-curve--smooth` | The smoothed loss (or the raw loss when smoothing is off). |
    | `loss-curve--eval` | Eval losses. |
    | `loss-curve--axis` | Axis labels. |
    """

    DEFAULT_CSS = """
    LossCurve {
        height: 1fr;
        border: round $primary;
        padding: 0 1;
    }
    LossCurve > .loss-curve--raw { color: $text-muted; }
    LossCurve > .loss-curve--smooth { color: $accent; text-style: bold; }
    LossCurve > .loss-curve--eval { color: $warning; }
    LossCurve > .loss-curve--axis { color: $text-muted; }
    """

    log_scale: reactive[bool] = reactive(False)
    """Plot log10 of the loss (points <= 0 are left out)."""
    smooth: reactive[bool] = reactive(True)
    """Draw the EMA over the raw points."""
    empty_message: reactive[str] = reactive("no run selected")
    """What to show when there is nothing to plot."""

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """An empty curve.

        Args:
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.steps: list[float] = []
        self.losses: list[float] = []
        self.eval_points: list[tuple[float, float]] = []
        self._monotonic = True

    @property
    def point_count(self) -> int:
        """Loss points received so far."""
        return len(self.losses)

    def add_records(self, records: Iterable[dict[str, Any]]) -> int:
        """Take `loss` / `eval_loss` (against `step`) from metrics records.

        Returns:
            How many loss points were added.
        """
        added, records = 0, list(records)
        for record in records:
            step = _finite(record.get("step"))
            x = float(len(self.losses)) if step is None else step
            loss, eval_loss = _finite(record.get("loss")), _finite(record.get("eval_loss"))
            if loss is not None:
                if self.steps and x < self.steps[-1]:
                    self._monotonic = False
                self.steps.append(x)
                self.losses.append(loss)
                added += 1
            if eval_loss is not None:
                self.eval_points.append((x, eval_loss))
        if added or records:
            self._update_titles()
            self.refresh()
        return added

    def clear(self, message: str = "no run selected") -> None:
        """Drop every point and show `message` instead."""
        self.steps, self.losses, self.eval_points = [], [], []
        self._monotonic = True
        self.empty_message = message
        self._update_titles()
        self.refresh()

    def on_mount(self) -> None:
        self._update_titles()

    def watch_log_scale(self) -> None:
        self._update_titles()

    def watch_smooth(self) -> None:
        self._update_titles()

    def _update_titles(self) -> None:
        flags = (["log"] if self.log_scale else []) + (["EMA"] if self.smooth else [])
        self.border_title = "Loss" + "".join(f" · {f}" for f in flags)
        n = len(self.losses)
        self.border_subtitle = f"{n} points · last {fmt(self.losses[-1])}" if n else ""

    def render(self) -> Text:
        n = len(self.losses)
        if n < 2:
            hint = self.empty_message if n == 0 and self.empty_message else "not enough points yet"
            return Text(f"{hint} ({n} point{'s' if n != 1 else ''})", style="italic", justify="center")
        return self._plot(self.content_size.width, self.content_size.height)

    def _plot(self, width: int, height: int) -> Text:
        xs = self.steps if self._monotonic else [float(i) for i in range(len(self.losses))]
        raw = scale(self.losses, log=self.log_scale)
        smooth = scale(ema(self.losses), log=self.log_scale) if self.smooth else []
        ev = scale([v for _, v in self.eval_points], log=self.log_scale) if self._monotonic else []
        values = [v for v in (*raw, *smooth, *ev) if v is not None]
        if not values:
            return Text("no positive losses to plot on a log scale", style="italic", justify="center")
        lo, hi = min(values), max(values)
        if hi - lo < 1e-12:
            lo, hi = lo - 0.5, hi + 0.5
        labels = [self._label(hi), self._label((hi + lo) / 2), self._label(lo)]
        label_w = max(len(s) for s in labels) + 1
        plot_w, plot_h = width - label_w, height - 1
        if plot_w < 4 or plot_h < 2:
            return Text("(too small to plot)", style="italic")
        canvas = BrailleCanvas(plot_w, plot_h)
        dots_w, dots_h = canvas.dots
        x0, x1 = xs[0], xs[-1] if xs[-1] > xs[0] else xs[0] + 1

        def to_dot(x: float, y: float) -> tuple[int, int]:
            return round((x - x0) / (x1 - x0) * (dots_w - 1)), round((hi - y) / (hi - lo) * (dots_h - 1))

        series: list[tuple[int, Sequence[float], Sequence[float | None]]] = [(RAW, xs, raw), (SMOOTH, xs, smooth)]
        series.append((EVAL, [x for x, _ in self.eval_points], ev))
        for kind, sx, sy in series:
            segment: list[tuple[int, int]] = []
            for x, y in zip(sx, sy, strict=False):
                if y is None:
                    canvas.polyline(segment, kind)
                    segment = []
                    continue
                dot = to_dot(x, y)
                if not segment or segment[-1] != dot:
                    segment.append(dot)
            canvas.polyline(segment, kind)
        return self._text(canvas, labels, label_w, xs)

    def _text(self, canvas: BrailleCanvas, labels: list[str], label_w: int, xs: Sequence[float]) -> Text:
        styles: dict[int | None, Style] = {
            RAW: self.get_component_rich_style("loss-curve--raw" if self.smooth else "loss-curve--smooth"),
            SMOOTH: self.get_component_rich_style("loss-curve--smooth"),
            EVAL: self.get_component_rich_style("loss-curve--eval"),
            None: Style(),
        }
        axis = self.get_component_rich_style("loss-curve--axis")
        rows = canvas.rows()
        marks = {0: labels[0], len(rows) // 2: labels[1], len(rows) - 1: labels[2]}
        text = Text(no_wrap=True, overflow="crop")
        for r, row in enumerate(rows):
            text.append(marks.get(r, "").rjust(label_w - 1) + " ", axis)
            for ch, owner in row:
                text.append(ch, styles[owner])
            text.append("\n")
        first, last = _step_label(xs[0]), _step_label(xs[-1])
        gap = max(1, canvas.width - len(first) - len(last))
        text.append(" " * label_w + first + " " * gap + last, axis)
        return text

    def _label(self, value: float) -> str:
        return fmt(10**value) if self.log_scale else fmt(value)


def _finite(value: Any) -> float | None:
    """A finite number as float; None for anything else (missing, NaN, text, booleans)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _step_label(x: float) -> str:
    return str(int(x)) if x == int(x) else fmt(x)
