"""Inspect's in-process `eval()` configures process-wide state (a handler and a level on the root logger, environment
variables from its own settings); the tests of other modules run in the same process, so each test here hands both
back as it found them."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def restore_process_state() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    environ = dict(os.environ)
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
    for key in [k for k in os.environ if k not in environ]:
        del os.environ[key]
    os.environ.update(environ)
