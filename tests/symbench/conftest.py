"""Shared SymBench test helpers: the original data folder (skip cleanly when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

SYMBENCH = Path(__file__).resolve().parents[2].parent / "shared" / "symbench"


@pytest.fixture(scope="session")
def symbench_dir() -> Path:
    if not SYMBENCH.is_dir():
        pytest.skip("../shared/symbench is not present")
    return SYMBENCH
