"""Put a task, solver or scorer in the `nsllm/` namespace before Inspect AI's decorator names it.

Inspect names an extension's objects after the top-level package of the module that defines them (see the
docstring of the `nsllm` package for why that cannot be `nsllm_cli`). Apply this below Inspect's decorator:

Example:
    >>> @task
    ... @in_namespace
    ... def symbench(...) -> Task: ...  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import nsllm

F = TypeVar("F", bound=Callable[..., Any])


def in_namespace(fn: F) -> F:
    """`fn`, declared a member of the `nsllm` package, so Inspect registers it as `nsllm/<its name>`."""
    fn.__module__ = nsllm.__name__
    return fn
