"""One rich progress bar for every engine that reports `start` / `progress` / `step` events."""

from __future__ import annotations

from typing import Any

from nsllm_cli.cli._common import err_console


class EventProgress:
    """Progress bar fed by engine events.

    Args:
        label: text before the bar.
        template: extra column, formatted with the latest payload fields (e.g. "{loss:.4f}").
        defaults: initial values of the fields used by `template`.
        total: known total; a `start` event's `total` replaces it.
    """

    def __init__(
        self, label: str, template: str = "", defaults: dict[str, Any] | None = None, total: int | None = None
    ) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.fields = dict(defaults or {})
        columns: list[Any] = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
        if template:
            columns.append(TextColumn("{task.fields[extra]}"))
        self.template = template
        self.progress = Progress(*columns, TimeRemainingColumn(), console=err_console())
        self.task = self.progress.add_task(label, total=total, extra=self._extra())

    def _extra(self) -> str:
        return self.template.format(**self.fields) if self.template else ""

    def __enter__(self) -> EventProgress:
        self.progress.__enter__()
        return self

    def on_event(self, kind: str, payload: dict[str, Any]) -> None:
        """Advance on `start`, `progress` and `step` events; other kinds are ignored."""
        if kind not in ("start", "progress", "step"):
            return
        self.fields.update({k: v for k, v in payload.items() if k in self.fields})
        completed = payload.get("done", payload.get("step", payload.get("start_step")))
        update: dict[str, Any] = {"extra": self._extra()}
        if kind == "start" and payload.get("total") is not None:
            update["total"] = payload["total"]
        if completed is not None:
            update["completed"] = completed
        self.progress.update(self.task, **update)

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)


class TallyProgress:
    """Progress bar over items that end right or wrong (samples, trajectories), with a running tally.

    Engines report `skip` (items already done on a resume), then one event per finished item; `on_item` is
    what the command calls for each, with whether it was correct and the error if it failed.
    """

    def __init__(self, label: str, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[extra]}"), TimeRemainingColumn(),
                                 console=err_console())  # fmt: skip
        self.task = self.progress.add_task(label, total=total, extra="")
        self.done = self.scored = self.correct = self.errors = 0

    def __enter__(self) -> TallyProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def resumed(self, done: int, total: int, what: str) -> None:
        """Count the items a resumed run already has, and say so ("resuming: 2 of 3 <what>")."""
        self.done = done
        if done:
            self.progress.console.print(f"resuming: {done} of {total} {what}")
        self._update()

    def on_item(self, correct: bool, error: str | None = None, where: str = "") -> None:
        """One finished item; an error is printed above the bar (escaped: model text may hold markup)."""
        self.done += 1
        if error:
            from rich.markup import escape

            self.errors += 1
            self.progress.console.print(f"[yellow]{escape(where)}: {escape(error[:300])}[/]")
        else:
            self.scored += 1
            self.correct += bool(correct)
        self._update()

    def _update(self) -> None:
        rate = f"{100 * self.correct / self.scored:.0f}% correct" if self.scored else ""
        extra = rate + (f" · {self.errors} errors" if self.errors else "")
        self.progress.update(self.task, completed=self.done, extra=extra)
