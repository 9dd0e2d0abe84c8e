"""Training instances for steering data: generated from seen tasks only, disjoint from their test sets.

Training instances come from seeds of the "train" split, and every one whose content hash is in the task's
frozen test set is dropped (codesteer.md §9, §14.1-2), as is any repeat of an earlier training instance.

Example:
    >>> pool = training_pool(["pooling"], n_per_task=10, seed=0)  # doctest: +SKIP
    >>> len(pool.instances), pool.overlaps  # doctest: +SKIP
    (10, {'pooling': 0})
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nsllm_cli.errors import ConfigError
from nsllm_cli.symbench.base import Instance, NeedsExternalData, Task
from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.splits import COMPLEXITIES, instance_hash, split_seed, test_set

log = logging.getLogger(__name__)

MAX_BATCHES = 4
"""Generation batches tried per task to make up for instances dropped as test overlaps or duplicates."""


@dataclass
class TrainingPool:
    """Training instances of seen tasks, with what was dropped or skipped on the way."""

    instances: list[Instance] = field(default_factory=list)
    overlaps: dict[str, int] = field(default_factory=dict)
    """Task -> generated instances dropped because their content hash is in the task's test set."""
    duplicates: dict[str, int] = field(default_factory=dict)
    """Task -> generated instances dropped because an earlier training instance had the same content."""
    notes: list[str] = field(default_factory=list)
    """One line per skipped or short task (external data, fewer instances than asked)."""


def training_pool(
    tasks: Iterable[str | Task],
    n_per_task: int,
    seed: int,
    test_seed: int = 0,
    test_limit: int | None = None,
    data_dir: Path | None = None,
) -> TrainingPool:
    """`n_per_task` generated training instances per seen task, disjoint by content hash from its test set.

    Seeds come from `split_seed("train", task, seed)`, one per complexity 1-5 (levels interleaved, like the test
    sets), plus further batches when drops leave a task short. The test set is the one `bench` uses:
    `splits.test_set(task, data_dir=data_dir, limit=test_limit, seed=test_seed)`.

    Raises:
        ConfigError: a task is unseen (its name is given: unseen tasks never appear in training data) or unknown.
    """
    resolved = [get_task(t) if isinstance(t, str) else t for t in tasks]
    unseen = [t.name for t in resolved if not t.seen]
    if unseen:
        raise ConfigError(f"unseen tasks never get training data (codesteer.md §9): {', '.join(unseen)}")
    pool = TrainingPool()
    for task in resolved:
        if task.external:
            pool.notes.append(f"{task.name}: skipped, its instances come from external data and cannot be generated")
            continue
        banned = {
            instance_hash(i) for i in test_set(task, data_dir=data_dir, limit=test_limit, seed=test_seed).instances
        }
        try:
            kept, overlaps, dups = _generate(task, n_per_task, split_seed("train", task.name, seed), banned)
        except NeedsExternalData as exc:
            pool.notes.append(f"{task.name}: skipped ({exc})")
            continue
        pool.instances += kept
        pool.overlaps[task.name], pool.duplicates[task.name] = overlaps, dups
        if len(kept) < n_per_task:
            pool.notes.append(f"{task.name}: only {len(kept)} of {n_per_task} distinct training instances")
    return pool


def training_instances(
    tasks: Iterable[str | Task],
    n_per_task: int,
    seed: int,
    test_seed: int = 0,
    test_limit: int | None = None,
    data_dir: Path | None = None,
) -> list[Instance]:
    """The instances of :func:`training_pool`; its notes and drop counts go to the log."""
    pool = training_pool(tasks, n_per_task, seed, test_seed=test_seed, test_limit=test_limit, data_dir=data_dir)
    for note in pool.notes:
        log.warning("%s", note)
    for name, count in pool.overlaps.items():
        if count:
            log.info("%s: %d generated instance(s) dropped as test-set overlaps", name, count)
    return pool.instances


def _generate(task: Task, n: int, base: int, banned: set[str]) -> tuple[list[Instance], int, int]:
    """Interleaved batches over the complexities until `n` instances pass; (kept, overlaps, duplicates)."""
    kept: list[Instance] = []
    seen: set[str] = set()
    overlaps = dups = 0
    per_level = math.ceil(n / len(COMPLEXITIES)) if n > 0 else 0
    for batch in range(MAX_BATCHES if n > 0 else 0):
        offset = base + batch * len(COMPLEXITIES)
        levels = [task.generate(per_level, seed=offset + level, complexity=level) for level in COMPLEXITIES]
        for inst in (i for group in zip(*levels, strict=False) for i in group):
            digest = instance_hash(inst)
            if digest in banned:
                overlaps += 1
            elif digest in seen:
                dups += 1
            else:
                seen.add(digest)
                kept.append(inst)
                if len(kept) == n:
                    return kept, overlaps, dups
    return kept, overlaps, dups
