"""The resumable collection driver: one record per instance appended to a JSONL file, on threads, with a report.

A collection skips every (task, id) that already has an error-free record of its kind, runs the rest (maybe on
threads), appends each record as one whole line the moment it exists, and counts what it wrote. A provider error
on one instance becomes a record with `error` (retried on the next resume) and never stops the others.

Example:
    >>> pool = training_pool(["pooling"], n_per_task=10, seed=0)  # doctest: +SKIP
    >>> report = collect(pool.instances, task=gpt4o, steer=gpt4o, out_path=Path("traj.jsonl"))  # doctest: +SKIP
    >>> report.written, report.correct  # doctest: +SKIP
    (10, 7)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nsllm_cli.errors import ConfigError
from nsllm_cli.events import Event, ignore
from nsllm_cli.jsonl import append_jsonl, read_jsonl
from nsllm_cli.pool import as_finished
from nsllm_cli.providers.base import Provider
from nsllm_cli.steer.collect.records import one_trajectory
from nsllm_cli.steer.collect.settings import collect_settings
from nsllm_cli.symbench.base import Instance, Task
from nsllm_cli.symbench.registry import get_task


@dataclass
class CollectReport:
    """What a collection run did."""

    out_path: Path
    total: int = 0
    """Instances asked for."""
    skipped: int = 0
    """Instances already in `out_path` (resume)."""
    written: int = 0
    """New records without an error."""
    correct: int = 0
    kept: int = 0
    """New records usable for SFT: the correct ones, or all of them with keep_failed."""
    errors: list[str] = field(default_factory=list)
    """"task/id: error" per instance that failed (written with `error`, retried on resume)."""
    stopped: bool = False


def done_keys(path: Path, kind: str = "trajectory") -> set[tuple[str, str]]:
    """(task, id) of every error-free record of `kind` ("trajectory" or "tree") already in a file."""
    return {
        (str(r.get("task")), str(r.get("id")))
        for r in read_jsonl(path)
        if not r.get("error") and r.get("kind", "trajectory") == kind
    }


def seen_tasks(instances: Sequence[Instance]) -> dict[str, Task]:
    """The task of every instance; instances of unseen tasks are refused before anything runs.

    Raises:
        ConfigError: an instance belongs to an unseen or unknown task.
    """
    tasks = {name: get_task(name) for name in sorted({i.task for i in instances})}
    unseen = [name for name, t in tasks.items() if not t.seen]
    if unseen:
        raise ConfigError(f"unseen tasks never get training data (codesteer.md §9): {', '.join(unseen)}")
    return tasks


def drive(
    instances: Sequence[Instance],
    out_path: Path,
    work: Callable[[Task, Instance], dict[str, Any]],
    *,
    kind: str,
    keep_failed: bool,
    concurrency: int,
    on_event: Event,
    should_stop: Callable[[], bool] | None,
) -> CollectReport:
    """Resume, run `work` per instance (maybe on threads), append each record, and count."""
    tasks = seen_tasks(instances)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    done = done_keys(out_path, kind)
    todo = [i for i in instances if (i.task, i.id) not in done]
    report = CollectReport(out_path, total=len(instances), skipped=len(instances) - len(todo))
    on_event("skip", {"done": report.skipped, "total": report.total})
    on_event("start", {"todo": len(todo), "total": report.total, "concurrency": concurrency})
    lock = threading.Lock()

    def finish(rec: dict[str, Any]) -> None:
        with lock:
            append_jsonl(out_path, rec)
            if rec.get("error"):
                report.errors.append(f"{rec['task']}/{rec['id']}: {rec['error']}")
            else:
                report.written += 1
                report.correct += bool(rec.get("correct"))
                report.kept += bool(rec.get("correct")) or keep_failed
        on_event("error" if rec.get("error") else "record", summary(rec))

    def stopping() -> bool:
        report.stopped = should_stop is not None and should_stop()
        return report.stopped

    for rec in as_finished(todo, lambda inst: work(tasks[inst.task], inst), concurrency=concurrency,
                           should_stop=stopping, name="collect"):  # fmt: skip
        finish(rec)
    on_event("done", {"written": report.written, "correct": report.correct, "errors": len(report.errors)})
    return report


def summary(rec: dict[str, Any]) -> dict[str, Any]:
    """The fields of a record that its "record" or "error" event carries."""
    keys = ("kind", "task", "id", "correct", "n_rounds", "stop_reason", "n_trajectories", "error")
    return {k: rec[k] for k in keys if k in rec}


def collect(
    instances: Sequence[Instance],
    *,
    task: Provider,
    steer: Provider,
    out_path: Path,
    keep_failed: bool = False,
    concurrency: int = 1,
    on_event: Event | None = None,
    should_stop: Callable[[], bool] | None = None,
    **options: Any,
) -> CollectReport:
    """Run the steering loop (API steerer) on every instance and append one trajectory record each to `out_path`.

    Every finished trajectory is written with its `correct` flag, so a resume never pays for it twice; the SFT
    builder keeps the correct ones unless told otherwise (`keep_failed` here only sets `CollectReport.kept`).
    Instances whose (task, id) already has an error-free record are skipped. A provider error on one instance
    is written as a record with `error` (retried on the next resume) and never stops the others.

    Args:
        instances: training instances (see :func:`training_pool`); all of seen tasks.
        task: the TaskLLM. steer: the API steerer.
        out_path: the trajectory JSONL, appended to.
        keep_failed: count failed trajectories as kept too.
        concurrency: instances in flight at once (threads; records are then written in finishing order).
        on_event: `on_event(kind, payload)`: "skip", "start", "loop" (a steering-loop event, with task and id),
            "record", "error", "done".
        should_stop: polled between instances; True ends the run cleanly (`report.stopped`).
        **options: the run settings, fields of :class:`~nsllm_cli.steer.collect.settings.CollectSettings`
            (checker_llm, max_rounds, allow_code, executor, self_check_enabled, task_params, steer_params,
            paraphrase, extractor).

    Raises:
        ConfigError: an instance belongs to an unseen or unknown task.
        CodeExecutionNotAllowed: code would have to run but `allow_code` is False.
        TypeError: an option that is not a run setting.
    """
    emit = on_event or ignore
    settings = collect_settings("collect", task=task, steer=steer, options=options)
    return drive(
        instances,
        out_path,
        lambda bench, inst: one_trajectory(settings, bench, inst, emit),
        kind="trajectory",
        keep_failed=keep_failed,
        concurrency=concurrency,
        on_event=emit,
        should_stop=should_stop,
    )
