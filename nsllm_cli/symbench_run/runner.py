"""Run SymBench samples concurrently, one JSONL record per finished sample, resumable after a kill.

A job is one (task, instance, method). Jobs run on a thread pool (`concurrency` at once: API calls spend
their time waiting, so threads overlap them; a local model serialises itself). Each finished job is
appended to `samples.jsonl` as one whole line before the next is counted, so a killed run loses at most
the samples in flight, and `--resume` skips every (task, id, method) that already has a good record.

A bad sample never aborts the run: a provider that keeps failing, a validator that crashes on odd data or
an unreadable answer become a record with an `error`, reported at the end and retried on resume.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nsllm_cli.consent import CodeExecutionNotAllowedError
from nsllm_cli.errors import ConfigError, NsllmError
from nsllm_cli.events import Event
from nsllm_cli.jsonl import append_jsonl, read_jsonl
from nsllm_cli.pool import as_finished
from nsllm_cli.providers.base import Provider
from nsllm_cli.steer.final_answer import extract
from nsllm_cli.symbench.base import Instance, Task
from nsllm_cli.symbench.scoring import verdicts
from nsllm_cli.symbench.splits import instance_hash
from nsllm_cli.symbench_run.methods import MethodSetup, answer

SAMPLES = "samples.jsonl"


@dataclass(frozen=True)
class Job:
    """One question to answer with one method."""

    task: Task
    instance: Instance
    method: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.task.name, self.instance.id, self.method)


def record_key(record: Mapping[str, Any]) -> tuple[str, str, str]:
    """The (task, id, method) a sample record belongs to."""
    return (str(record.get("task")), str(record.get("id")), str(record.get("method")))


def finished_records(path: Path) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The last good (error-free) record of every key in a samples file; partial lines are ignored."""
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for rec in read_jsonl(path):
        if not rec.get("error"):
            out[record_key(rec)] = rec
    return out


def check_manifest(path: Path, manifest: Mapping[str, Any]) -> None:
    """A resumed run must select the same instances as before, or its old records would mean something else.

    Args:
        path: the `manifest.json` of the run being resumed (nothing is checked when it is missing).
        manifest: task name -> the new selection's manifest (with its instance `hashes`).

    Raises:
        ConfigError: a task's instances differ from the ones the run was started with.
    """
    if not path.is_file():
        return
    old = json.loads(path.read_text(encoding="utf-8"))
    changed = [name for name in manifest if name in old and old[name]["hashes"] != manifest[name]["hashes"]]
    if changed:
        raise ConfigError(
            f"the test instances of {', '.join(changed)} differ from the run being resumed (other --seed, --limit or "
            "data?): use the same options, or start a new run"
        )


def run_job(job: Job, setup: MethodSetup, extractor: Provider | None = None) -> dict[str, Any]:
    """Answer, extract and verify one job; the sample record (never raises for a bad sample)."""
    task, inst = job.task, job.instance
    start = time.perf_counter()
    rec: dict[str, Any] = {
        "task": task.name,
        "code": task.code,
        "split": "seen" if task.seen else "unseen",
        "id": inst.id,
        "method": job.method,
        "instance_hash": instance_hash(inst),
        "instance": inst.to_dict(),
    }
    try:
        result = answer(job.method, task.prompt(inst), setup)
    except CodeExecutionNotAllowedError:
        raise  # a setting, not a bad sample: the caller stops the run with one clear line
    except NsllmError as exc:
        return {**rec, "error": f"{type(exc).__name__}: {exc}", "seconds": round(time.perf_counter() - start, 3)}
    transcript = result.to_dict()
    rec |= {
        "response": result.final_response,
        "execution": result.final_execution,
        "stop_reason": result.stop_reason,
        "rounds": transcript["rounds"],
        "usage": transcript["usage"],
        "usage_by_role": transcript["usage_by_role"],
    }
    try:
        found = extract(task, inst, result, extractor)
        rec |= {"text_answer": found.text_answer, "code_answer": found.code_answer, "code_ran": found.code_ran}
        rec["extracted_by"] = {"text": found.text_via, "code": found.code_via}
        rec["llm_rescued"] = found.rescued_by_llm
        if found.calls:
            rec["extractor_calls"] = [c.to_dict() for c in found.calls]
        fixed, paper = verdicts(task.verify, inst, found), verdicts(task.verify_paper, inst, found)
        rec |= {"verdict": fixed["or"], "verdict_strict": fixed["strict"], "verdicts": fixed}
        rec |= {"verdict_paper": paper["or"], "verdict_paper_strict": paper["strict"]}
    except NsllmError as exc:
        rec["error"] = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # a validator crashing on odd data is a bad sample, not a dead run
        rec["error"] = f"validator failed: {type(exc).__name__}: {exc}"
    rec["seconds"] = round(time.perf_counter() - start, 3)
    return rec


def run_jobs(
    jobs: Sequence[Job],
    setups: Mapping[str, MethodSetup],
    run_path: Path,
    *,
    concurrency: int = 1,
    extractor: Provider | None = None,
    on_event: Event | None = None,
) -> list[dict[str, Any]]:
    """Run every job not already finished in `run_path/samples.jsonl`; return the new records in finishing order.

    Events: "skip" (already done, with the count), "start" (jobs to run), "sample" (one record), "done".
    """
    emit = on_event or (lambda kind, payload: None)
    path = run_path / SAMPLES
    done = finished_records(path)
    todo = [j for j in jobs if j.key not in done]
    emit("skip", {"done": len(jobs) - len(todo), "total": len(jobs)})
    emit("start", {"todo": len(todo), "total": len(jobs), "concurrency": concurrency})
    lock = threading.Lock()
    new: list[dict[str, Any]] = []

    def finish(rec: dict[str, Any]) -> None:
        with lock:
            append_jsonl(path, rec)
            new.append(rec)
        emit("sample", rec)

    for rec in as_finished(todo, lambda job: run_job(job, setups[job.method], extractor), concurrency=concurrency,
                           name="symbench"):  # fmt: skip
        finish(rec)
    emit("done", {"new": len(new)})
    return new
