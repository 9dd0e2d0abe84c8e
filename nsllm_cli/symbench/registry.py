"""The task registry: every module in `nsllm_cli.symbench.tasks` is imported once and registers its task.

Tasks are chosen by name, by code (S15, U2) or by group (all, seen, unseen) with :func:`select_tasks`; stored
instances come from :func:`data_folder` (the folder given, else NSLLM_SYMBENCH_DIR).

Example:
    >>> [t.name for t in select_tasks("S2,game24,S2")]
    ['game24', 'path_plan']
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from pathlib import Path

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


def select_tasks(spec: str | None) -> list[Task]:
    """Tasks by name, by code (S15, U2), or the groups all / seen / unseen; an unknown name is a one-line error.

    Args:
        spec: comma-separated names, codes or groups (None: all), in any case; duplicates count once.

    Returns:
        The tasks, seen ones (S...) first, each group in code order.

    Raises:
        ConfigError: a name that is neither a task, a code nor a group.
    """
    known = all_tasks()
    by_code = {t.code.lower(): t for t in known.values()}
    chosen: list[Task] = []
    for raw in (spec or "all").split(","):
        name = raw.strip().lower()
        if not name:
            continue
        if name in ("all", "seen", "unseen"):
            chosen += [t for t in known.values() if name == "all" or t.seen == (name == "seen")]
        elif name in by_code:
            chosen.append(by_code[name])
        else:
            chosen.append(get_task(name))
    unique = list({t.name: t for t in chosen}.values())
    return sorted(unique, key=lambda t: (t.code[:1] != "S", int(t.code[1:] or 0)))


def data_folder(given: Path | None) -> Path | None:
    """The SymBench data folder: the one given, else NSLLM_SYMBENCH_DIR, else None (generated instances)."""
    env = os.environ.get("NSLLM_SYMBENCH_DIR")
    return given or (Path(env) if env else None)
