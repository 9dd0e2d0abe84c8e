"""The gold check: each stored instance's own gold answer, parsed and judged by its task's validator.

A stored gold answer that its own validator rejects cannot score a model fairly: a right answer fails and the stored
wrong one passes. `errata.json` excuses known-bad copies by hash; this check catches the copies nobody has seen yet
(e.g. a Logical Puzzle selection whose column sums to 5 under a sum <= 4 rule). Two outcomes are kept apart:

- `rejected`: the validator ran and said no. That is a data error (the same class as the errata).
- `validator error`: parsing or judging the gold raised. That is a bug in nsllm's task code, not proof that the data
  is bad; the instance still cannot be scored (the same crash would hit every model answer), so `bench symbench`
  leaves it out too, under this other name.

`bench symbench` runs the check with the fixed validators on every stored instance before it selects a test set
(`--paper-scoring` turns it off); `bench validate` reports the two outcomes with distinct exit codes.

Example:
    >>> problem = check_gold(get_task("mahjong"), inst)  # doctest: +SKIP
    >>> problem.kind, problem.reason  # doctest: +SKIP
    ('rejected', 'expected 2, got 0')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from nsllm_cli.symbench.base import Instance, Task

REJECTED = "rejected"
"""The validator rejected the stored gold: the data breaks its own task's rule."""
VALIDATOR_ERROR = "validator error"
"""The parser or validator raised on the stored gold: a bug in the task code, reported apart from data errors."""


@dataclass(frozen=True)
class GoldProblem:
    """One stored instance whose gold answer does not pass its own validator: `kind` is REJECTED or VALIDATOR_ERROR."""

    task: str
    id: str
    kind: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def check_gold(task: Task, inst: Instance, *, paper: bool = False) -> GoldProblem | None:
    """Run `inst`'s gold answer through `task`'s parser and validator (`paper`: the original one); None if it passes.

    The instance must be readable (`inst.error` is None); an unreadable sample is the caller's to report.
    """
    check = task.verify_paper if paper else task.verify
    try:
        verdict = check(inst, task.parse(task.gold_answer(inst)))
    except Exception as exc:  # noqa: BLE001 - any crash on one gold is reported for that instance, never raised
        return GoldProblem(task.name, inst.id, VALIDATOR_ERROR, f"{type(exc).__name__}: {exc}")
    if verdict.correct:
        return None
    return GoldProblem(task.name, inst.id, REJECTED, verdict.reason or "rejected without a reason")


def split_by_gold(task: Task, instances: Iterable[Instance]) -> tuple[list[Instance], list[GoldProblem]]:
    """The instances whose gold passes the fixed validator, and the problems of the others, in the given order."""
    kept: list[Instance] = []
    problems: list[GoldProblem] = []
    for inst in instances:
        problem = check_gold(task, inst)
        if problem is None:
            kept.append(inst)
        else:
            problems.append(problem)
    return kept, problems


def gold_summary(problems: Iterable[GoldProblem], *, on: bool) -> dict[str, Any]:
    """What `results.json` stores under "gold_check": whether it ran, counts per task and kind, and every instance."""
    listed = sorted(problems, key=lambda p: (p.task, p.id))
    per_task: dict[str, dict[str, int]] = {}
    for p in listed:
        counts = per_task.setdefault(p.task, {REJECTED: 0, VALIDATOR_ERROR: 0})
        counts[p.kind] += 1
    return {
        "on": on,
        "rule": "each stored instance's gold answer must pass its task's fixed validator"
        if on
        else "off (--paper-scoring): stored gold is not checked",
        "excluded": len(listed),
        "rejected": sum(p.kind == REJECTED for p in listed),
        "validator_errors": sum(p.kind == VALIDATOR_ERROR for p in listed),
        "per_task": per_task,
        "instances": [p.to_dict() for p in listed],
    }
