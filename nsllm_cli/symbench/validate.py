"""`bench validate`: run every task's validator on the stored gold answers of a folder in the original layout.

A validator that rejects a gold answer is either wrong or has found bad data; both must be seen, so failures
are listed with the instance id and the validator's reason. Known-bad stored data, listed with its hash in
`errata.json`, is counted apart as `excluded`; a sample that could not be read (`Instance.error`) is a failure.
A validator that raises on a gold answer has not judged the data: that is counted apart as a validator error
(`TaskReport.crashes`), so the CLI can tell "the data has errors" from "the validator crashed".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Task
from nsllm_cli.symbench.errata import erratum_for
from nsllm_cli.symbench.gold import VALIDATOR_ERROR, check_gold


@dataclass
class TaskReport:
    """Gold-answer check of one task: counts, data failures, validator crashes and excluded known-bad data (id,
    reason), or why skipped."""

    task: str
    passed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    skipped: str | None = None
    excluded: list[tuple[str, str]] = field(default_factory=list)
    """Rejected gold answers of stored data listed in errata.json (same id and data hash), with the erratum's reason."""
    crashes: list[tuple[str, str]] = field(default_factory=list)
    """Gold answers on which the parser or validator raised (a bug in the task code, not a verdict on the data)."""

    @property
    def failed(self) -> int:
        return len(self.failures)


def validate_task(task: Task, data_dir: Path, *, paper: bool = False) -> TaskReport:
    """Check every stored instance of `task` under `data_dir`; a task without its folder is skipped, not failed."""
    report = TaskReport(task.name)
    if not (data_dir / task.folder).exists():
        report.skipped = f"no {task.folder} in {data_dir}"
        return report
    try:
        instances = task.load(data_dir)
    except DataError as exc:
        report.failures.append(("(load)", str(exc)))
        return report
    for inst in instances:
        if inst.error is not None:  # an unreadable sample: a data problem, never shown to the validator
            report.failures.append((inst.id, inst.error))
            continue
        problem = check_gold(task, inst, paper=paper)
        if problem is None:
            report.passed += 1
        elif problem.kind == VALIDATOR_ERROR:  # a crash on one instance is reported for it, not fatal to the run
            report.crashes.append((inst.id, problem.reason))
        elif (erratum := erratum_for(inst)) is not None:
            report.excluded.append((inst.id, erratum.reason))
        else:
            report.failures.append((inst.id, problem.reason))
    return report


def validate_all(
    tasks: Sequence[Task], data_dir: Path, *, paper: bool = False, on_task: Callable[[TaskReport], Any] | None = None
) -> list[TaskReport]:
    """`validate_task` for each task, in order."""
    if not data_dir.is_dir():
        raise DataError(f"{data_dir}: no such folder (expected a copy of SymBench's dataset_gather)")
    reports = []
    for task in tasks:
        reports.append(validate_task(task, data_dir, paper=paper))
        if on_task is not None:
            on_task(reports[-1])
    return reports
