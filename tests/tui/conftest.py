"""Fixtures for the Textual tests: a frozen cursor blink (runs folder and tiny models: tests/conftest.py;
helpers live in `_runs.py`)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inputs never blink, so screens are the same whenever they are read."""
    from textual.widgets import Input

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
