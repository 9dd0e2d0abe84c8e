"""Fixtures for the dashboard tests: a runs folder and a frozen cursor blink (helpers live in `_runs.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inputs never blink, so screens are the same whenever they are read."""
    from textual.widgets import Input

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    """An empty runs folder (the isolated NSLLM_RUNS_DIR)."""
    path = tmp_path / "runs"
    path.mkdir()
    return path
