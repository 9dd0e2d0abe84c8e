"""The task registry: every module in `nsllm_cli.symbench.tasks` is imported once and registers its task."""

from __future__ import annotations

import importlib
import pkgutil

from nsllm_cli.errors import ConfigError
from nsllm_cli.symbench.base import TASKS, Task


def all_tasks() -> dict[str, Task]:
    """Name -> task, for every task module present (imported on first use)."""
    from nsllm_cli.symbench import tasks

    for module in pkgutil.iter_modules(tasks.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{tasks.__name__}.{module.name}")
    return dict(sorted(TASKS.items()))


def get_task(name: str) -> Task:
    """One task by name; an unknown name is a one-line error listing the known ones."""
    known = all_tasks()
    if name not in known:
        raise ConfigError(f"unknown SymBench task {name!r}; known: {', '.join(known)}")
    return known[name]
