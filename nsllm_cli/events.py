"""The progress-event callback every engine takes: `on_event(kind, payload)`, and the one that ignores them.

Engines (gather, training loops, benches, the steering loop) report progress through this one shape so that
the CLI's progress bars, the dashboard's metrics and the tests can listen without the engine knowing them.

Example:
    >>> def train(..., on_event: Event = ignore) -> None:
    ...     on_event("step", {"step": 1, "loss": 0.5})
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Event = Callable[[str, dict[str, Any]], None]
"""`on_event(kind, payload)`: kind is e.g. "start", "step", "sample", "finish"; payload is JSON-safe."""


def ignore(kind: str, payload: dict[str, Any]) -> None:
    """The default listener: drops every event."""
