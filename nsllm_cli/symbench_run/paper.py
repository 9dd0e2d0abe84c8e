"""The paper's Table 1 (CodeSteer, arXiv 2502.04350) and its normalised score, so our runs sit beside it.

The normalised score of a method is its success rate relative to the best method on each task, averaged
over tasks (symbench.md, "Normalised score"). It depends on which methods are compared, so every number
we print says which set M it used: the paper's 13 methods plus the methods of the current run.

Example:
    >>> table = paper_table()
    >>> table.scores["GPT-4o + CodeSteer"]["S1"]
    93.0
    >>> round(ave_norm(table.scores, table.codes("seen"))["GPT-4o + CodeSteer"], 1)
    88.1
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

Scores = Mapping[str, Mapping[str, float]]
"""method -> task code (S1..S28, U1..U9) -> success rate in %."""


@dataclass(frozen=True)
class PaperTable:
    """Per-task success rates of the paper's 13 methods, the task names, and the published averages."""

    scores: dict[str, dict[str, float]]
    split: dict[str, str]
    """task code -> "seen" / "unseen"."""
    names: dict[str, str]
    """task code -> the paper's short task name."""
    published: dict[str, dict[str, float]] = field(default_factory=dict)
    """"seen" / "unseen" / "total" -> method -> the published Ave. Norm."""

    @property
    def methods(self) -> list[str]:
        return list(self.scores)

    def codes(self, split: str | None = None) -> list[str]:
        """Task codes in table order, optionally of one split."""
        return [c for c, s in self.split.items() if split in (None, s)]


@cache
def paper_table() -> PaperTable:
    """Table 1 as shipped in `paper_table1.csv` (read once)."""
    text = resources.files("nsllm_cli.symbench_run").joinpath("paper_table1.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(line for line in io.StringIO(text) if not line.startswith("#")))
    header, body = rows[0], rows[1:]
    methods = header[3:]
    scores: dict[str, dict[str, float]] = {m: {} for m in methods}
    split: dict[str, str] = {}
    names: dict[str, str] = {}
    published: dict[str, dict[str, float]] = {}
    for row in body:
        code, kind, task, values = row[0], row[1], row[2], [float(v) for v in row[3:]]
        if kind == "avg_norm":
            published[task] = dict(zip(methods, values, strict=True))
            continue
        split[code], names[code] = kind, task
        for method, value in zip(methods, values, strict=True):
            scores[method][code] = value
    return PaperTable(scores, split, names, published)


def ave_norm(scores: Scores, codes: Iterable[str]) -> dict[str, float | None]:
    """Ave. Norm. of every method over `codes`: mean over tasks of 100 * s(m, t) / max over methods of s(m', t).

    A task that some method lacks is left out for all (the compared set must be the same); a task whose best
    score is 0 is left out too (no paper task has one). A method with no task left gets None.
    """
    methods = list(scores)
    used = [c for c in codes if all(c in scores[m] for m in methods)]
    usable = [c for c in used if max(scores[m][c] for m in methods) > 0]
    out: dict[str, float | None] = {}
    for m in methods:
        if not usable:
            out[m] = None
            continue
        ratios = [100.0 * scores[m][c] / max(scores[k][c] for k in methods) for c in usable]
        out[m] = sum(ratios) / len(ratios)
    return out


def skipped_zero_tasks(scores: Scores, codes: Iterable[str]) -> list[str]:
    """Task codes that ave_norm leaves out because every method scored 0 on them."""
    methods = list(scores)
    return [c for c in codes if all(c in scores[m] for m in methods) and max(scores[m][c] for m in methods) <= 0]


def compare(run_scores: Scores, codes: Iterable[str] | None = None) -> dict[str, dict[str, float | None]]:
    """Ave. Norm. for seen / unseen / total with M = the paper's 13 methods plus this run's methods.

    Only tasks that this run scored are used, so a partial run is compared with the paper on the same tasks.
    Run method names must not clash with the paper's; they are suffixed " (this run)" when they do.
    """
    table = paper_table()
    merged: dict[str, dict[str, float]] = {m: dict(s) for m, s in table.scores.items()}
    for method, per_task in run_scores.items():
        name = method if method not in merged else f"{method} (this run)"
        merged[name] = dict(per_task)
    wanted = set(codes) if codes is not None else None
    out: dict[str, dict[str, float | None]] = {}
    for group in ("seen", "unseen", "total"):
        group_codes = table.codes(None if group == "total" else group)
        if wanted is not None:
            group_codes = [c for c in group_codes if c in wanted]
        out[group] = ave_norm(merged, group_codes)
    return out
