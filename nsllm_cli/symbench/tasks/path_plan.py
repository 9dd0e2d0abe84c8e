"""S2 Path Plan: waypoints `[(x, y), ...]` through a 3 x 3 m room with coloured rectangular areas.

The original has no data folder: its script hard-coded 14 layouts x 10 instructions, so `load` raises DataError and
nsllm generates seeded layouts instead. The room is [-1.5, 1.5]^2 with four wall strips 0.1 m thick along its
sides (the original's walls); areas are `{colour: (x0, x1, y0, y1)}`.

Validation (the original's rule): the path starts and ends exactly at the given points; no straight segment between
consecutive waypoints touches a wall; every required area is entered and no forbidden area is touched, where a
segment "enters" a rectangle when it intersects it, boundary included. Order is not checked (the original did not).
Fix: the original `eval`ed the waypoint text; nsllm uses `ast.literal_eval` (regex fallback for pairs).

Generator: areas sit inside the cells of a 3 x 3 grid over [-1.3, 1.3]^2 with margins, so the grid lines are free
corridors and a gold path exists (corridors to a cell corner, into the area's centre, back out). Complexity =
number of required + forbidden areas (complexity + 1, at most 8 of the 9 cells).
"""

from __future__ import annotations

import ast
import math
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, register

Point = tuple[float, float]
Rect = tuple[float, float, float, float]
WALLS: list[Rect] = [(-1.5, -1.4, -1.5, 1.5), (1.4, 1.5, -1.5, 1.5), (-1.5, 1.5, -1.5, -1.4), (-1.5, 1.5, 1.4, 1.5)]
COLOURS = ["red", "blue", "green", "yellow", "purple", "orange", "pink", "brown", "cyan"]
GRID = [-1.3, -1.3 + 2.6 / 3, -1.3 + 5.2 / 3, 1.3]
CORNERS: list[Point] = [(-1.3, -1.3), (1.3, -1.3), (-1.3, 1.3), (1.3, 1.3)]
_PAIR = re.compile(r"[\(\[]\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*[\)\]]")


def segment_hits_rect(a: Point, b: Point, rect: Rect) -> bool:
    """Whether segment ab meets the closed rectangle (Liang-Barsky clipping)."""
    x0, x1, y0, y1 = rect
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in ((-dx, a[0] - x0), (dx, x1 - a[0]), (-dy, a[1] - y0), (dy, y1 - a[1])):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def _hits(points: Sequence[Point], rect: Rect) -> bool:
    if len(points) == 1:
        return segment_hits_rect(points[0], points[0], rect)
    return any(segment_hits_rect(points[k], points[k + 1], rect) for k in range(len(points) - 1))


def _snap(v: float) -> float:
    return round(v, 4)


def gold_path(data: dict[str, Any]) -> list[Point]:
    """Along the grid lines to a corner of each required area's cell, into its centre and back, then to the end."""
    path: list[Point] = [tuple(data["start"])]
    here: Point = path[0]

    def go(to: Point) -> None:
        nonlocal here
        if here[0] != to[0] and here[1] != to[1]:
            path.append((to[0], here[1]))
        if here != to:
            path.append(to)
        here = to

    for colour in data["required"]:
        i, j = data["cells"][colour]
        corner = (_snap(GRID[i]), _snap(GRID[j]))
        x0, x1, y0, y1 = data["areas"][colour]
        go(corner)
        path.append((_snap((x0 + x1) / 2), _snap((y0 + y1) / 2)))
        path.append(corner)
    go(tuple(data["end"]))
    return path


def question_text(data: dict[str, Any]) -> str:
    areas = "; ".join(f"a {c} area {tuple(r)}" for c, r in data["areas"].items())
    walls = ", ".join(str(w) for w in WALLS)
    required = ", then ".join(f"the {c} area" for c in data["required"])
    forbidden = " or ".join(f"the {c} area" for c in data["forbidden"])
    instruction = f"Go into {required}" + (f"; never enter {forbidden}" if forbidden else "") + "."
    return (
        "Plan the trajectory of a mobile robot in a square room. Every area is an axis-aligned rectangle given as "
        "(x_start, x_end, y_start, y_end).\n"
        f"There are four black walls {walls}. The coloured areas are: {areas}.\n"
        f"The robot starts at {tuple(data['start'])} and must stop at {tuple(data['end'])}; the trajectory must never "
        "touch a wall.\n"
        f"Instruction: {instruction}\n"
        "The trajectory is made of straight segments between consecutive waypoints. A segment enters an area when it "
        "intersects the rectangle, boundary included, so a segment that must avoid an area may not touch its "
        "boundary.\n"
        "Answer with the list of waypoints surrounded by <<<>>>, e.g. <<<[(-1.3, -1.3), (0.0, -1.3), (1.3, 1.3)]>>>."
    )


@register
class PathPlan(Task):
    name = "path_plan"
    title = "Path Plan"
    code = "S2"
    seen = True
    folder = "path_plan"

    def load(self, data_dir: Path) -> list[Instance]:
        raise DataError(
            "Path Plan: the original has no data folder (its 14 layouts x 10 instructions were hard-coded in its "
            "script); generate instances instead"
        )

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        rng = random.Random(seed)
        total = max(2, min(complexity + 1, 8))
        required_n = (total + 1) // 2
        out = []
        for i in range(n):
            picked = rng.sample([(a, b) for a in range(3) for b in range(3)], total)
            colours = rng.sample(COLOURS, total)
            areas: dict[str, list[float]] = {}
            cells: dict[str, list[int]] = {}
            for colour, (a, b) in zip(colours, picked, strict=True):
                lo_x, hi_x, lo_y, hi_y = GRID[a] + 0.1, GRID[a + 1] - 0.1, GRID[b] + 0.1, GRID[b + 1] - 0.1
                w, h = rng.uniform(0.25, hi_x - lo_x), rng.uniform(0.25, hi_y - lo_y)
                x0, y0 = rng.uniform(lo_x, hi_x - w), rng.uniform(lo_y, hi_y - h)
                areas[colour] = [round(x0, 2), round(x0 + w, 2), round(y0, 2), round(y0 + h, 2)]
                cells[colour] = [a, b]
            start, end = rng.sample(CORNERS, 2)
            data = {
                "areas": areas,
                "cells": cells,
                "start": list(start),
                "end": list(end),
                "required": colours[:required_n],
                "forbidden": colours[required_n:],
                "complexity": complexity,
            }
            data["solution"] = [list(p) for p in gold_path(data)]
            question = question_text(data)
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        """Waypoints as (x, y) floats via `ast.literal_eval` (regex fallback); unreadable text gives []."""
        block = last_answer(text)
        if block is None:
            return None
        block = block.strip().strip("`'\"")
        try:
            value = ast.literal_eval(block)
            points = [(float(p[0]), float(p[1])) for p in value if len(p) == 2]
            if len(points) == len(value):
                return points
        except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
            pass
        return [(float(x), float(y)) for x, y in _PAIR.findall(block)]

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, list) or not answer:
            return Verdict.wrong("no waypoints")
        try:
            points: list[Point] = [(float(x), float(y)) for x, y in answer]
        except (TypeError, ValueError):
            return Verdict.wrong("waypoints are not (x, y) pairs")
        data = instance.data
        if not all(math.isclose(a, b, abs_tol=1e-6) for a, b in zip(points[0], data["start"], strict=True)):
            return Verdict.wrong(f"starts at {points[0]}, not {tuple(data['start'])}")
        if not all(math.isclose(a, b, abs_tol=1e-6) for a, b in zip(points[-1], data["end"], strict=True)):
            return Verdict.wrong(f"ends at {points[-1]}, not {tuple(data['end'])}")
        for wall in WALLS:
            if _hits(points, wall):
                return Verdict.wrong(f"touches the wall {wall}")
        for colour in data["forbidden"]:
            if _hits(points, tuple(data["areas"][colour])):
                return Verdict.wrong(f"enters the forbidden {colour} area")
        for colour in data["required"]:
            if not _hits(points, tuple(data["areas"][colour])):
                return Verdict.wrong(f"never enters the {colour} area")
        return Verdict.ok()

    def gold_answer(self, instance: Instance) -> str:
        return "<<<" + str([tuple(p) for p in instance.data["solution"]]) + ">>>"
