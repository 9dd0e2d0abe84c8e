"""The selected run, read incrementally: metrics, samples grouped by question, results.json (no Textual).

Example:
    >>> follower = RunFollower(Path("runs/finetune-…"))
    >>> update = follower.poll()
    >>> update.metrics.records, follower.latest, follower.answers.methods
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nsllm_cli.runs.answers import AnswerGroups
from nsllm_cli.runs.index import read_json
from nsllm_cli.runs.tail import JsonlTail, TailUpdate


@dataclass
class FollowUpdate:
    """What one poll of the selected run found."""

    metrics: TailUpdate
    samples: TailUpdate
    questions: set[str] = field(default_factory=set)
    """Answer rows added or changed by new samples."""
    results: bool = False
    """results.json appeared, changed or vanished."""

    @property
    def changed(self) -> bool:
        """Anything the panels must redraw."""
        m, s = self.metrics, self.samples
        return bool(m.records or m.reset or s.records or s.reset or self.results)


class RunFollower:
    """Everything the dashboard shows about one run, kept up to date by :meth:`poll`."""

    def __init__(self, path: Path) -> None:
        """Follow `path` from the start of its files.

        Args:
            path: The run folder.
        """
        self.path = path
        self.metrics = JsonlTail(path / "metrics.jsonl")
        self.samples = JsonlTail(path / "samples.jsonl")
        self.answers = AnswerGroups()
        self.latest: dict[str, Any] | None = None
        """The last metrics record."""
        self.best_eval: float | None = None
        """The lowest `eval_loss` so far."""
        self.results: dict[str, Any] | None = None
        self._results_sig: tuple[int, int] | None = None

    def poll(self) -> FollowUpdate:
        """Read what was appended or changed since the last poll; never raises for file-system races."""
        update = FollowUpdate(metrics=self.metrics.poll(), samples=self.samples.poll())
        if update.metrics.reset:
            self.latest, self.best_eval = None, None
        if update.metrics.records:
            self.latest = update.metrics.records[-1]
            evals = [float(r["eval_loss"]) for r in update.metrics.records if _number(r.get("eval_loss"))]
            if evals:
                self.best_eval = min(evals + ([self.best_eval] if self.best_eval is not None else []))
        if update.samples.reset:
            self.answers = AnswerGroups()
        if update.samples.records:
            update.questions = self.answers.add(update.samples.records)
        update.results = self._read_results()
        return update

    def _read_results(self) -> bool:
        try:
            st = os.stat(self.path / "results.json")
            sig: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except OSError:
            sig = None
        if sig == self._results_sig:
            return False
        self._results_sig = sig
        self.results = read_json(self.path / "results.json") if sig else None
        return True


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
