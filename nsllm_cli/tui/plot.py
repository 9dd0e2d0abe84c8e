"""Line plots in braille characters (2 x 4 dots per terminal cell) and EMA smoothing; no Textual here.

It stays in `tui/` because it renders: it turns the loss curve's points into the characters that
`widgets/loss_curve.py` styles with the theme's component classes (no run-folder reading here).

Why not Textualize's `textual-plotext` widget (checked against textual 8.2.8 in a scratch install, not added):
- Its newest release (1.0.1, 2024-11) requires ``plotext>=5.2.8,<6``, pinning plotext one major version
  behind (6.1.0); its metadata asks only ``textual>=0.86.2``, so support for textual 8 is untested upstream
  (a smoke test rendered).
- plotext's log scale fails on a loss of 0 (``yscale("log")`` then ``build()`` raises ``ValueError: math
  domain error``), so `scale` (log10 with gaps for values <= 0, NaN and infinities) would still be needed.
- The curve colours each cell by the last series drawn there from the Textual theme's component classes
  (raw, EMA, eval, axis); plotext's themes would replace that and change what the dashboard shows.

Example:
    >>> canvas = BrailleCanvas(20, 5)
    >>> canvas.polyline([(0, 19), (39, 0)], series=0)
    >>> ["".join(ch for ch, _ in row) for row in canvas.rows()]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

_BASE = 0x2800
_DOT = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
"""Bit of the dot at (row 0-3, column 0-1) inside one braille cell."""


class BrailleCanvas:
    """A grid of `width` x `height` cells, i.e. (2 * width) x (4 * height) dots; y grows downwards."""

    def __init__(self, width: int, height: int) -> None:
        """An empty canvas.

        Args:
            width: Cells across.
            height: Cells down.
        """
        self.width, self.height = max(width, 0), max(height, 0)
        self._bits = [[0] * self.width for _ in range(self.height)]
        self._series: list[list[int | None]] = [[None] * self.width for _ in range(self.height)]

    @property
    def dots(self) -> tuple[int, int]:
        """(dots across, dots down)."""
        return 2 * self.width, 4 * self.height

    def set(self, x: int, y: int, series: int = 0) -> None:
        """Light the dot at (x, y); dots outside the canvas are ignored. The last series drawn owns the cell."""
        if 0 <= x < 2 * self.width and 0 <= y < 4 * self.height:
            row, col = y // 4, x // 2
            self._bits[row][col] |= _DOT[y % 4][x % 2]
            self._series[row][col] = series

    def line(self, x0: int, y0: int, x1: int, y1: int, series: int = 0) -> None:
        """A straight line of dots (Bresenham)."""
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        while True:
            self.set(x0, y0, series)
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def polyline(self, points: Sequence[tuple[int, int]], series: int = 0) -> None:
        """Consecutive points joined by lines (one point is one dot)."""
        if len(points) == 1:
            self.set(*points[0], series)
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            self.line(x0, y0, x1, y1, series)

    def rows(self) -> list[list[tuple[str, int | None]]]:
        """Each cell as (character, owning series or None for blank)."""
        return [
            [(chr(_BASE + bits) if bits else " ", owner) for bits, owner in zip(bit_row, owner_row, strict=True)]
            for bit_row, owner_row in zip(self._bits, self._series, strict=True)
        ]


def smoothing_weight(n: int) -> float:
    """EMA weight that grows with the number of points: light for a handful, about 0.9 for hundreds."""
    return 0.9 * (2.0 / (1.0 + math.exp(-n / 40.0)) - 1.0)


def ema(values: Sequence[float], weight: float | None = None) -> list[float]:
    """Debiased exponential moving average (as TensorBoard's smoothing): the first value is not dragged to 0.

    Args:
        values: The raw series.
        weight: Between 0 (no smoothing) and 1; default :func:`smoothing_weight` of the length.
    """
    w = smoothing_weight(len(values)) if weight is None else min(max(weight, 0.0), 0.999)
    out, last, norm = [], 0.0, 0.0
    for value in values:
        last = w * last + (1 - w) * value
        norm = w * norm + (1 - w)
        out.append(last / norm)
    return out


def scale(values: Sequence[float], *, log: bool) -> list[float | None]:
    """Values as plotted: log10 on a log axis (None for values <= 0), None for NaN and infinities."""
    out: list[float | None] = []
    for v in values:
        if not math.isfinite(v) or (log and v <= 0):
            out.append(None)
        else:
            out.append(math.log10(v) if log else v)
    return out


def fmt(value: float) -> str:
    """A compact axis label: 4 significant digits."""
    return f"{value:.4g}"
