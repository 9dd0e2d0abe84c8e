"""Braille canvas and EMA smoothing."""

from __future__ import annotations

import math

from nsllm_cli.tui.plot import BrailleCanvas, ema, scale, smoothing_weight


def test_canvas_lights_dots_and_keeps_the_last_series() -> None:
    canvas = BrailleCanvas(2, 1)
    canvas.set(0, 0, series=0)
    canvas.set(3, 3, series=1)
    canvas.set(99, 99)  # outside: ignored
    rows = canvas.rows()
    assert rows == [[("⠁", 0), ("⢀", 1)]]


def test_line_is_continuous() -> None:
    canvas = BrailleCanvas(4, 2)
    canvas.polyline([(0, 7), (7, 0)], series=2)
    lit = sum(bin(ord(ch) - 0x2800).count("1") for row in canvas.rows() for ch, _ in row if ch != " ")
    assert lit == 8  # one dot per column of a 45-degree line
    assert all(owner == 2 for row in canvas.rows() for ch, owner in row if ch != " ")


def test_ema_is_debiased_and_smooths() -> None:
    assert ema([5.0, 5.0, 5.0], weight=0.9) == [5.0, 5.0, 5.0]
    values = [1.0, 0.0] * 10
    smooth = ema(values, weight=0.8)
    assert max(smooth[5:]) - min(smooth[5:]) < 0.5
    assert 0 < smoothing_weight(5) < smoothing_weight(500) < 0.9


def test_scale_drops_what_cannot_be_plotted() -> None:
    assert scale([100.0, 0.0, math.nan], log=True) == [2.0, None, None]
    assert scale([1.0, -1.0, math.inf], log=False) == [1.0, -1.0, None]
