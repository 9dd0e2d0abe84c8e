"""DPO trees: alternative guidances sampled round by round from the same prefix (codesteer.md §10, general scheme).

`branch` trajectories start from round 0. For each round k < `depth` that a trajectory reached, the trajectory's
own guidance at k and `branch - 1` fresh ones sampled from the same prefix (same steerer input, continued with
`steer(prefix=...)`) are siblings, and every new trajectory runs to its end within the one `max_rounds` budget.
A tree costs at most `branch ** depth` trajectories. Leaves carry the outcome of their own trajectory
(`n_rounds` = its guidances, prefix included); scores are computed by :func:`nsllm_cli.steer.datasets.tree_scores`.

Example:
    >>> tree = collect_tree(instance, task=gpt4o, steer=gpt4o, branch=2, depth=2)  # doctest: +SKIP
    >>> tree["n_trajectories"], tree["correct"]  # doctest: +SKIP
    (4, True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from nsllm_cli.consent import CodeExecutionNotAllowedError
from nsllm_cli.errors import NsllmError
from nsllm_cli.events import Event, ignore
from nsllm_cli.jsonl import append_jsonl
from nsllm_cli.providers.base import GenParams, Provider
from nsllm_cli.sandbox import run_code
from nsllm_cli.steer.collect.driver import CollectReport, drive, seen_tasks
from nsllm_cli.steer.collect.records import Capture, record_head, score
from nsllm_cli.steer.collect.settings import (
    COLLECT_STEER_PARAMS,
    RUN_OPTIONS,
    CollectSettings,
    collect_settings,
)
from nsllm_cli.steer.loop import TASK_PARAMS
from nsllm_cli.steer.prefix import prefix_of
from nsllm_cli.steer.records import Executor, SteerResult
from nsllm_cli.symbench.base import Instance, Task

TREE_OPTIONS = RUN_OPTIONS
"""The run settings :func:`collect_trees` takes besides the models (the options of :func:`collect_tree`)."""


class Tree:
    """Grows one tree: `branch` sibling guidances per round for the first `depth` rounds, each run to the end."""

    def __init__(
        self, settings: CollectSettings, bench: Task, inst: Instance, *, branch: int, depth: int, emit: Event
    ) -> None:
        self.settings, self.bench, self.inst = settings, bench, inst
        self.branch, self.depth, self.emit = branch, depth, emit
        self.question = bench.prompt(inst)
        root = {"node": 0, "parent": None, "round": None, "user": None, "guidance": None, "control": None}
        self.nodes: list[dict[str, Any]] = [{**root, "children": [], "leaf": None, "trajectory": None}]
        self.results: list[SteerResult] = []
        self.trajectories: list[dict[str, Any]] = []
        self.errors: list[str] = []

    def sample(self, prefix: SteerResult | None) -> int | None:
        """One more trajectory (from scratch or continuing `prefix`); its index, or None when it failed."""
        params = self.settings.steer_params
        if params is not None and params.seed is not None:  # distinct seeds, or a response cache makes twins
            params = replace(params, seed=params.seed + len(self.results) + len(self.errors))
        capture = Capture(self.inst, self.emit)
        try:
            result = self.settings.run(self.question, prefix=prefix, steer_params=params, on_event=capture)
            verdict = score(self.bench, self.inst, result, self.settings.extractor)
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
            **record_head(self.inst, "tree"),
            "branch": self.branch,
            "depth": self.depth,
            "max_rounds": self.settings.max_rounds,
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
    """A DPO tree for one instance (see the module docstring), appended to `out_path` when given.

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
    cache cannot turn siblings into copies. The run settings are the fields of :class:`CollectSettings`.

    Raises:
        ConfigError: the instance belongs to an unseen or unknown task.
        CodeExecutionNotAllowed: code would have to run but `allow_code` is False.
        ValueError: branch < 1 or depth < 1.
    """
    if branch < 1 or depth < 1:
        raise ValueError(f"branch and depth must be at least 1 (got {branch}, {depth})")
    bench = seen_tasks([instance])[instance.task]
    settings = CollectSettings(
        task=task,
        steer=steer,
        checker_llm=checker_llm,
        max_rounds=max_rounds,
        allow_code=allow_code,
        executor=executor,
        self_check_enabled=self_check_enabled,
        task_params=task_params,
        steer_params=steer_params,
        paraphrase=paraphrase,
        extractor=extractor,
    )
    tree = Tree(settings, bench, instance, branch=branch, depth=depth, emit=on_event or ignore).grow()
    if out_path is not None:
        append_jsonl(out_path, tree)
    return tree


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
    settings = collect_settings("collect_trees", task=task, steer=steer, options=options)
    if branch < 1 or depth < 1:
        raise ValueError(f"branch and depth must be at least 1 (got {branch}, {depth})")
    emit = on_event or ignore

    def work(bench: Task, inst: Instance) -> dict[str, Any]:
        return Tree(settings, bench, inst, branch=branch, depth=depth, emit=emit).grow()

    return drive(instances, out_path, work, kind="tree", keep_failed=True, concurrency=concurrency, on_event=emit,
                 should_stop=should_stop)  # fmt: skip
