"""The shapes every per-task SymBench test repeats, written once: stored gold answers load, parse and verify (known-bad
data only where errata.json lists it), generated instances verify with their own gold and are reproducible.

The task-specific checks (perturbed answers that must fail, simulators, size measures) stay in each test file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from nsllm_cli.symbench.base import Instance, NeedsExternalData, Task
from nsllm_cli.symbench.errata import erratum_for

Gold = tuple[Instance, Any]
"""A stored instance and its gold answer as `task.parse` reads it."""


def _golds(
    task: Task, data_dir: Path, kind: type | tuple[type, ...] | None, paper: bool
) -> tuple[list[Gold], list[Gold]]:
    instances = task.load(data_dir)
    assert instances, f"no {task.name} instances under {data_dir}"
    good: list[Gold] = []
    rejected: list[Gold] = []
    for inst in instances:
        assert inst.error is None, inst.error
        gold = task.parse(task.gold_answer(inst))
        if kind is not None:
            assert isinstance(gold, kind), (inst.id, gold)
        if paper:
            assert task.verify_paper(inst, gold).correct, inst.id
        verdict = task.verify(inst, gold)
        (good if verdict.correct else rejected).append((inst, gold))
    return good, rejected


def stored_golds(
    task: Task, data_dir: Path, kind: type | tuple[type, ...] | None = None, *, paper: bool = False
) -> list[Gold]:
    """Every stored instance with its gold answer, which must parse (to `kind`) and pass `verify` (and, with
    `paper`, `verify_paper`); asserts there is at least one and that none failed to load."""
    good, rejected = _golds(task, data_dir, kind, paper)
    assert not rejected, [(i.id, task.verify(i, g).reason) for i, g in rejected[:5]]
    return good


def stored_golds_with_errata(
    task: Task, data_dir: Path, kind: type | tuple[type, ...] | None = None, *, paper: bool = False
) -> tuple[list[Gold], list[Gold]]:
    """As `stored_golds` for a task with known-bad data: `(accepted, rejected)`, where the rejected ids must be
    exactly those of the instances that an erratum of errata.json matches (same id and data hash)."""
    good, rejected = _golds(task, data_dir, kind, paper)
    listed = {inst.id for inst, _ in good + rejected if erratum_for(inst) is not None}
    assert {inst.id for inst, _ in rejected} == listed
    return good, rejected


def rejects(task: Task, inst: Instance, *answers: Any) -> None:
    """Each answer fails `verify` on `inst`."""
    for answer in answers:
        assert not task.verify(inst, answer).correct, (inst.id, answer)


def generated_batches(task: Task, complexities: Iterable[int], n: int, seed: int) -> list[list[Instance]]:
    """`task.generate(n, seed, c)` for each complexity; every instance must pass `verify` with its own gold."""
    batches = []
    for complexity in complexities:
        batch = task.generate(n, seed=seed, complexity=complexity)
        for inst in batch:
            verdict = task.verify(inst, task.parse(task.gold_answer(inst)))
            assert verdict.correct, (complexity, inst.id, verdict.reason, inst.data)
        batches.append(batch)
    return batches


def assert_grows(sizes: Sequence[Any]) -> None:
    """Never smaller from one complexity to the next, and larger at the end than at the start."""
    assert list(sizes) == sorted(sizes) and sizes[0] < sizes[-1], sizes


def assert_reproducible(task: Task, n: int, seed: int, complexity: int) -> None:
    """The same seed gives the same instances (every field of every instance)."""
    first = [inst.to_dict() for inst in task.generate(n, seed=seed, complexity=complexity)]
    assert first == [inst.to_dict() for inst in task.generate(n, seed=seed, complexity=complexity)]


def assert_needs_external_data(task: Task) -> None:
    """A task built on an external dataset has no generator."""
    assert task.external
    with pytest.raises(NeedsExternalData):
        task.generate(1, seed=0, complexity=1)
