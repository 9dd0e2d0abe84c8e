"""Trajectories for training the steering model: SFT runs and DPO trees on seen-task training instances (issue #6).

Training instances are generated from the seen tasks only, from seeds of the "train" split, and every one whose
content hash is in the task's frozen test set is dropped (codesteer.md §9, §14.1-2). :func:`collect` runs the
steering loop with an API steerer on each and appends one JSONL trajectory per instance; :func:`collect_tree`
samples alternative guidances round by round for DPO (codesteer.md §10, general scheme). The SFT/DPO datasets
are built from these files by :mod:`nsllm_cli.steer.datasets`.

Trajectory record (one JSONL line per instance)::

    {"kind": "trajectory", "task", "id", "instance_hash", "instance": Instance.to_dict(), "correct": bool,
     "n_rounds": int, "stop_reason", "answer", "verdict", "verdict_strict",
     "rounds": [{"user": steer_input_train, "assistant": guidance, "control": "Code"|...|null}, ...],
     "transcript": SteerResult.to_dict(), "error": null | "one line"}

Example:
    >>> pool = training_pool(["pooling"], n_per_task=10, seed=0)  # doctest: +SKIP
    >>> report = collect(pool.instances, task=gpt4o, steer=gpt4o, out_path=Path("traj.jsonl"))  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nsllm_cli.consent import CodeExecutionNotAllowedError
from nsllm_cli.errors import ConfigError, NsllmError
from nsllm_cli.events import Event, ignore
from nsllm_cli.jsonl import append_jsonl, read_jsonl
from nsllm_cli.pool import as_finished
from nsllm_cli.providers.base import GenParams, Provider
from nsllm_cli.sandbox import run_code
from nsllm_cli.steer.final_answer import extract
from nsllm_cli.steer.loop import TASK_PARAMS, prefix_of
from nsllm_cli.steer.loop import steer as steer_loop
from nsllm_cli.steer.records import Executor, SteerResult
from nsllm_cli.symbench.base import Instance, NeedsExternalData, Task
from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.scoring import verdicts
from nsllm_cli.symbench.splits import COMPLEXITIES, instance_hash, split_seed, test_set

log = logging.getLogger(__name__)

COLLECT_STEER_PARAMS = GenParams(temperature=1.0)
"""The API steerer's decoding when synthesising training data (the paper: GPT-4o at temperature 1.0)."""

MAX_BATCHES = 4
"""Generation batches tried per task to make up for instances dropped as test overlaps or duplicates."""


# ---------------------------------------------------------------- training instances


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


# ---------------------------------------------------------------- one trajectory


@dataclass(frozen=True)
class _Setup:
    """How every trajectory of a collection is run and scored."""

    task: Provider
    steer: Provider
    checker: Provider | None
    max_rounds: int
    allow_code: bool
    executor: Executor
    self_check_enabled: bool
    task_params: GenParams | None
    steer_params: GenParams | None
    paraphrase: bool
    extractor: Provider | None

    def run(
        self,
        question: str,
        *,
        prefix: SteerResult | None = None,
        steer_params: GenParams | None = None,
        on_event: Event | None = None,
    ) -> SteerResult:
        """One steering run (API steerer); a failure re-raises after `on_event("error", ...)`."""
        return steer_loop(
            question,
            task=self.task,
            steer=self.steer,
            checker_llm=self.checker,
            max_rounds=self.max_rounds,
            allow_code=self.allow_code,
            executor=self.executor,
            steer_mode="api",
            self_check_enabled=self.self_check_enabled,
            paraphrase=self.paraphrase,
            task_params=self.task_params,
            steer_params=steer_params or self.steer_params,
            on_event=on_event,
            prefix=prefix,
        )


def score(bench: Task, inst: Instance, result: SteerResult, extractor: Provider | None = None) -> dict[str, Any]:
    """The paper's OR verdict (text or code answer passes the task's validator) and the strict one.

    A validator that crashes on odd model output counts as a wrong answer, with the reason.
    """
    try:
        found = extract(bench, inst, result, extractor)
        both = verdicts(bench.verify, inst, found)
    except NsllmError:
        raise
    except Exception as exc:  # a validator bug on one odd answer must not cost the trajectory
        failed = {"correct": False, "score": 0.0, "reason": f"validator failed: {type(exc).__name__}: {exc}"}
        return {"correct": False, "verdict": failed, "verdict_strict": failed}
    return {"correct": bool(both["or"]["correct"]), "verdict": both["or"], "verdict_strict": both["strict"]}


def training_turns(result: SteerResult) -> list[dict[str, Any]]:
    """The steerer's turns in training form: (feedback-only user input, guidance) per round, up to the first gap."""
    turns = []
    for rec in result.rounds:
        if not rec.guidance or not rec.steer_input_train:
            break
        turns.append({"user": rec.steer_input_train, "assistant": rec.guidance, "control": rec.control})
    return turns


def _head(inst: Instance, kind: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "task": inst.task,
        "id": inst.id,
        "instance_hash": instance_hash(inst),
        "instance": inst.to_dict(),
    }


def trajectory_record(inst: Instance, result: SteerResult, verdict: dict[str, Any]) -> dict[str, Any]:
    """The JSONL record of one finished trajectory (see the module docstring)."""
    return {
        **_head(inst, "trajectory"),
        "correct": verdict["correct"],
        "n_rounds": len(result.rounds),
        "stop_reason": result.stop_reason,
        "answer": result.answer,
        "verdict": verdict["verdict"],
        "verdict_strict": verdict["verdict_strict"],
        "rounds": training_turns(result),
        "transcript": result.to_dict(),
        "error": None,
    }


class _Capture:
    """Forwards loop events (as "loop") and keeps the partial transcript of a failed run."""

    def __init__(self, inst: Instance, on_event: Event) -> None:
        self.inst, self.on_event = inst, on_event
        self.transcript: dict[str, Any] | None = None

    def __call__(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "error":
            self.transcript = payload.get("transcript")
        self.on_event("loop", {"task": self.inst.task, "id": self.inst.id, "event": kind, "payload": payload})


def _one(setup: _Setup, bench: Task, inst: Instance, on_event: Event) -> dict[str, Any]:
    """Run and score one instance; a provider failure becomes an error record (retried on resume)."""
    capture = _Capture(inst, on_event)
    try:
        result = setup.run(bench.prompt(inst), on_event=capture)
        return trajectory_record(inst, result, score(bench, inst, result, setup.extractor))
    except CodeExecutionNotAllowedError:
        raise  # a setting, not a bad sample
    except NsllmError as exc:
        error = " ".join(f"{type(exc).__name__}: {exc}".splitlines())
        return {**_head(inst, "trajectory"), "correct": False, "n_rounds": 0, "rounds": [],
                "transcript": capture.transcript, "error": error}  # fmt: skip


# ---------------------------------------------------------------- collection runs


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


def _benches(instances: Sequence[Instance]) -> dict[str, Task]:
    """The task of every instance; instances of unseen tasks are refused before anything runs."""
    benches = {name: get_task(name) for name in sorted({i.task for i in instances})}
    unseen = [name for name, b in benches.items() if not b.seen]
    if unseen:
        raise ConfigError(f"unseen tasks never get training data (codesteer.md §9): {', '.join(unseen)}")
    return benches


def _drive(
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
    benches = _benches(instances)
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
        on_event("error" if rec.get("error") else "record", _summary(rec))

    def stopping() -> bool:
        report.stopped = should_stop is not None and should_stop()
        return report.stopped

    for rec in as_finished(todo, lambda inst: work(benches[inst.task], inst), concurrency=concurrency,
                           should_stop=stopping, name="collect"):  # fmt: skip
        finish(rec)
    on_event("done", {"written": report.written, "correct": report.correct, "errors": len(report.errors)})
    return report


def _summary(rec: dict[str, Any]) -> dict[str, Any]:
    keys = ("kind", "task", "id", "correct", "n_rounds", "stop_reason", "n_trajectories", "error")
    return {k: rec[k] for k in keys if k in rec}


def collect(
    instances: Sequence[Instance],
    *,
    task: Provider,
    steer: Provider,
    out_path: Path,
    checker_llm: Provider | None = None,
    max_rounds: int = 5,
    allow_code: bool = False,
    executor: Executor = run_code,
    self_check_enabled: bool = True,
    task_params: GenParams | None = TASK_PARAMS,
    steer_params: GenParams | None = COLLECT_STEER_PARAMS,
    paraphrase: bool = False,
    extractor: Provider | None = None,
    keep_failed: bool = False,
    concurrency: int = 1,
    on_event: Event | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> CollectReport:
    """Run the steering loop (API steerer) on every instance and append one trajectory record each to `out_path`.

    Every finished trajectory is written with its `correct` flag, so a resume never pays for it twice; the SFT
    builder keeps the correct ones unless told otherwise (`keep_failed` here only sets `CollectReport.kept`).
    Instances whose (task, id) already has an error-free record are skipped. A provider error on one instance
    is written as a record with `error` (retried on the next resume) and never stops the others.

    Args:
        instances: training instances (see :func:`training_pool`); all of seen tasks.
        task: the TaskLLM. steer: the API steerer. checker_llm: the Self-answer Checker (None: the TaskLLM).
        out_path: the trajectory JSONL, appended to.
        max_rounds, allow_code, executor, self_check_enabled, task_params, paraphrase: as for `steer()`.
        steer_params: the steerer's decoding (temperature 1.0, as in the paper's data synthesis).
        extractor: optional LLM fallback of the answer extractor (steer.final_answer).
        keep_failed: count failed trajectories as kept too.
        concurrency: instances in flight at once (threads; records are then written in finishing order).
        on_event: `on_event(kind, payload)`: "skip", "start", "loop" (a steering-loop event, with task and id),
            "record", "error", "done".
        should_stop: polled between instances; True ends the run cleanly (`report.stopped`).

    Raises:
        ConfigError: an instance belongs to an unseen or unknown task.
        CodeExecutionNotAllowed: code would have to run but `allow_code` is False.
    """
    emit = on_event or ignore
    setup = _Setup(task, steer, checker_llm, max_rounds, allow_code, executor, self_check_enabled,
                   task_params, steer_params, paraphrase, extractor)  # fmt: skip
    return _drive(
        instances,
        out_path,
        lambda bench, inst: _one(setup, bench, inst, emit),
        kind="trajectory",
        keep_failed=keep_failed,
        concurrency=concurrency,
        on_event=emit,
        should_stop=should_stop,
    )


# ---------------------------------------------------------------- DPO trees


class _Tree:
    """Grows one tree: `branch` sibling guidances per round for the first `depth` rounds, each run to the end."""

    def __init__(self, setup: _Setup, bench: Task, inst: Instance, branch: int, depth: int, emit: Event) -> None:
        self.setup, self.bench, self.inst = setup, bench, inst
        self.branch, self.depth, self.emit = branch, depth, emit
        self.question = bench.prompt(inst)
        root = {"node": 0, "parent": None, "round": None, "user": None, "guidance": None, "control": None}
        self.nodes: list[dict[str, Any]] = [{**root, "children": [], "leaf": None, "trajectory": None}]
        self.results: list[SteerResult] = []
        self.trajectories: list[dict[str, Any]] = []
        self.errors: list[str] = []

    def sample(self, prefix: SteerResult | None) -> int | None:
        """One more trajectory (from scratch or continuing `prefix`); its index, or None when it failed."""
        params = self.setup.steer_params
        if params is not None and params.seed is not None:  # distinct seeds, or a response cache makes twins
            params = replace(params, seed=params.seed + len(self.results) + len(self.errors))
        capture = _Capture(self.inst, self.emit)
        try:
            result = self.setup.run(self.question, prefix=prefix, steer_params=params, on_event=capture)
            verdict = score(self.bench, self.inst, result, self.setup.extractor)
        except CodeExecutionNotAllowedError:
            raise
        except NsllmError as exc:
            where = f"after round {len(prefix.rounds) - 1}" if prefix is not None else "from round 0"
            self.errors.append(" ".join(f"branch {where}: {type(exc).__name__}: {exc}".splitlines()))
            return None
        self.results.append(result)
        self.trajectories.append(
            {"correct": verdict["correct"], "n_rounds": len(result.rounds), "stop_reason": result.stop_reason,
             "answer": result.answer, "verdict": verdict["verdict"], "transcript": result.to_dict()}
        )  # fmt: skip
        return len(self.results) - 1

    def add(self, parent: int, t: int, k: int) -> None:
        """The node of trajectory `t`'s round-`k` guidance under `parent`, and its subtree."""
        result, rec = self.results[t], self.results[t].rounds[k]
        node_id = len(self.nodes)
        node = {"node": node_id, "parent": parent, "round": k, "user": rec.steer_input_train}
        node |= {"guidance": rec.guidance, "control": rec.control, "children": [], "leaf": None, "trajectory": t}
        self.nodes.append(node)
        self.nodes[parent]["children"].append(node_id)
        if k + 1 < self.depth and k + 1 < len(result.rounds):
            self.add(node_id, t, k + 1)  # the trajectory's own next guidance is one of the siblings
            for _ in range(self.branch - 1):
                new = self.sample(prefix_of(result, k + 1))
                if new is not None:
                    self.add(node_id, new, k + 1)
        else:
            outcome = self.trajectories[t]
            node["leaf"] = {"correct": outcome["correct"], "n_rounds": outcome["n_rounds"],
                            "stop_reason": outcome["stop_reason"], "trajectory": t}  # fmt: skip

    def grow(self) -> dict[str, Any]:
        """Sample the round-0 siblings, grow each subtree, and return the tree record."""
        for _ in range(self.branch):
            t = self.sample(None)
            if t is not None:
                self.add(0, t, 0)
        error = None
        if not self.results and self.errors:
            error = f"every branch failed; first: {self.errors[0]}"
        return {
            **_head(self.inst, "tree"),
            "branch": self.branch,
            "depth": self.depth,
            "max_rounds": self.setup.max_rounds,
            "n_trajectories": len(self.results),
            "correct": any(t["correct"] for t in self.trajectories),
            "nodes": self.nodes,
            "trajectories": self.trajectories,
            "errors": self.errors,
            "error": error,
        }


def collect_tree(
    instance: Instance,
    *,
    task: Provider,
    steer: Provider,
    branch: int = 2,
    depth: int = 2,
    out_path: Path | None = None,
    checker_llm: Provider | None = None,
    max_rounds: int = 5,
    allow_code: bool = False,
    executor: Executor = run_code,
    self_check_enabled: bool = True,
    task_params: GenParams | None = TASK_PARAMS,
    steer_params: GenParams | None = COLLECT_STEER_PARAMS,
    paraphrase: bool = False,
    extractor: Provider | None = None,
    on_event: Event | None = None,
) -> dict[str, Any]:
    """A DPO tree for one instance (codesteer.md §10, general scheme), appended to `out_path` when given.

    `branch` trajectories start from round 0. For each round k < `depth` that a trajectory reached, the
    trajectory's own guidance at k and `branch - 1` fresh ones sampled from the same prefix (same steerer
    input, continued with `steer(prefix=...)`) are siblings, and every new trajectory runs to its end within
    the one `max_rounds` budget. A tree costs at most `branch ** depth` trajectories. Leaves carry the
    outcome of their own trajectory (`n_rounds` = its guidances, prefix included); scores are computed by
    :func:`nsllm_cli.steer.datasets.tree_scores`.

    Tree record::

        {"kind": "tree", "task", "id", "instance_hash", "instance", "branch", "depth", "max_rounds",
         "n_trajectories", "correct": any trajectory correct, "error": null | "one line",
         "errors": ["branch ...: ..."],
         "nodes": [{"node": 0, "parent": null, "round": null, "user": null, "guidance": null, ...},   # root
                   {"node": i, "parent": p, "round": k, "user": steer_input_train of round k,
                    "guidance": str, "control": str | null, "children": [ids], "trajectory": t,
                    "leaf": null | {"correct", "n_rounds", "stop_reason", "trajectory": t}}, ...],
         "trajectories": [{"correct", "n_rounds", "stop_reason", "answer", "verdict", "transcript"}, ...]}

    A branch whose provider fails is left out and named in `errors`; `error` is set only when every branch
    failed. With a seeded `steer_params`, each trajectory gets its own seed (seed + its index), so a response
    cache cannot turn siblings into copies.

    Raises:
        ConfigError: the instance belongs to an unseen or unknown task.
        CodeExecutionNotAllowed: code would have to run but `allow_code` is False.
        ValueError: branch < 1 or depth < 1.
    """
    if branch < 1 or depth < 1:
        raise ValueError(f"branch and depth must be at least 1 (got {branch}, {depth})")
    bench = _benches([instance])[instance.task]
    setup = _Setup(task, steer, checker_llm, max_rounds, allow_code, executor, self_check_enabled,
                   task_params, steer_params, paraphrase, extractor)  # fmt: skip
    tree = _Tree(setup, bench, instance, branch, depth, on_event or ignore).grow()
    if out_path is not None:
        append_jsonl(out_path, tree)
    return tree


TREE_OPTIONS = frozenset(
    {"checker_llm", "max_rounds", "allow_code", "executor", "self_check_enabled", "task_params", "steer_params",
     "paraphrase", "extractor"}
)  # fmt: skip
"""The run settings :func:`collect_trees` passes on to :func:`collect_tree`."""


def collect_trees(
    instances: Sequence[Instance],
    *,
    task: Provider,
    steer: Provider,
    out_path: Path,
    branch: int = 2,
    depth: int = 2,
    concurrency: int = 1,
    on_event: Event | None = None,
    should_stop: Callable[[], bool] | None = None,
    **options: Any,
) -> CollectReport:
    """:func:`collect_tree` for every instance, appended to `out_path` and resumable like :func:`collect`.

    `options` are :func:`collect_tree`'s run settings (checker_llm, max_rounds, allow_code, executor, ...).
    A tree counts as correct when any of its trajectories was; an all-failed tree is an error (retried).

    Raises:
        TypeError: an option that :func:`collect_tree` does not take.
        ValueError: branch < 1 or depth < 1.
    """
    unknown = sorted(set(options) - TREE_OPTIONS)
    if unknown:
        raise TypeError(f"collect_trees() got unknown options: {', '.join(unknown)}")
    if branch < 1 or depth < 1:
        raise ValueError(f"branch and depth must be at least 1 (got {branch}, {depth})")
    emit = on_event or ignore

    def work(bench: Task, inst: Instance) -> dict[str, Any]:
        return collect_tree(inst, task=task, steer=steer, branch=branch, depth=depth, on_event=emit, **options)

    return _drive(instances, out_path, work, kind="tree", keep_failed=True, concurrency=concurrency, on_event=emit,
                  should_stop=should_stop)  # fmt: skip
