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
