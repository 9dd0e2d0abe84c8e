"""The dashboard's event log: runs appearing and ending, files that could not be read, actions taken."""

from __future__ import annotations

import time

from textual.widgets import Log


class EventLog(Log):
    """A time-stamped log of dashboard events, newest at the bottom."""

    DEFAULT_CSS = """
    EventLog {
        border: round $primary;
        height: 1fr;
    }
    """

    def __init__(
        self,
        *,
        max_lines: int = 500,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """An empty log.

        Args:
            max_lines: Older lines are dropped past this many.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(max_lines=max_lines, name=name, id=id, classes=classes, disabled=disabled)
        self.border_title = "Events"
        self.events: list[str] = []
        """Every message logged (without time stamps), for tests and the status line."""

    def event(self, message: str) -> None:
        """Append one time-stamped line."""
        self.events.append(message)
        if self.max_lines and len(self.events) > self.max_lines:
            del self.events[: len(self.events) - self.max_lines]
        self.write_line(f"{time.strftime('%H:%M:%S')} {message}")
