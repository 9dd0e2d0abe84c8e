"""`nsllm steer collect`: steering trajectories on training instances, and the SFT / DPO datasets built from them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from nsllm_cli.cli._common import (
    AllowCodeOpt,
    ConfigOpt,
    RunDirOpt,
    SandboxDiskOpt,
    SeedOpt,
    err_console,
    guarded,
    out_console,
    sandbox_executor,
    settings,
)
from nsllm_cli.cli._progress import TallyProgress
from nsllm_cli.cli._resume import resumable

_SPEC = (
    "e.g. gpt-4o, claude-3-5-sonnet-20241022, local:embedded, ns:<finetune run folder> (the neurosymbolic model), "
    "or a model name with --base-url"
)


@guarded
@resumable
def collect(
    ctx: typer.Context,
    task_llm: Annotated[str | None, typer.Option("--task-llm", help=f"Model that answers: {_SPEC}.")] = None,
    steer_llm: Annotated[
        str | None, typer.Option("--steer-llm", help="API steerer that guides (temperature 1).")
    ] = None,
    tasks: Annotated[
        str, typer.Option(help="Comma-separated SEEN task names or codes, or 'seen' (unseen tasks are refused).")
    ] = "seen",
    n_per_task: Annotated[int, typer.Option(min=1, help="Training instances per task.")] = 5,
    trees: Annotated[
        bool, typer.Option("--trees", help="Branch sibling guidances for DPO pairs (trees.jsonl, dpo.jsonl).")
    ] = False,
    branch: Annotated[int, typer.Option(min=2, help="Sibling guidances per branching round (--trees).")] = 2,
    depth: Annotated[int, typer.Option(min=1, help="Rounds that branch (--trees); cost <= branch**depth runs.")] = 2,
    max_rounds: Annotated[int, typer.Option(min=0, help="Steered rounds after the code/text choice.")] = 5,
    keep_failed: Annotated[bool, typer.Option(help="Also train on trajectories whose final answer is wrong.")] = False,
    allow_code_execution: AllowCodeOpt = False,
    sandbox_disk: SandboxDiskOpt = 256,
    self_check: Annotated[bool, typer.Option("--self-check/--no-self-check", help="The self-answer checker.")] = True,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Instances in flight at once.")] = 1,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible URL of the task model.")] = None,
    steer_base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible URL of the steering model.")] = None,
    resume: Annotated[
        Path | None, typer.Option(help="Continue a collect run folder (finished instances kept).")
    ] = None,
    seed: SeedOpt = None,
    config: ConfigOpt = None,
    run_dir: RunDirOpt = None,
) -> None:
    """Collect steering trajectories on generated training instances (disjoint from test sets) and build datasets."""
    from nsllm_cli.cli._run import open_run
    from nsllm_cli.consent import code_allowed
    from nsllm_cli.errors import ConfigError, DataError
    from nsllm_cli.providers.registry import provider_for
    from nsllm_cli.steer.collect import collect as collect_trajectories
    from nsllm_cli.steer.collect import collect_trees, training_pool
    from nsllm_cli.steer.datasets import dpo_pairs, read_trajectories, read_trees, sft_records, write_dataset
    from nsllm_cli.symbench.registry import select_tasks

    if not task_llm or not steer_llm:
        raise ConfigError(f"{'--task-llm' if not task_llm else '--steer-llm'} is required ({_SPEC})")
    chosen = select_tasks(tasks)
    unseen = [t.name for t in chosen if not t.seen]
    if unseen:
        raise ConfigError(f"unseen tasks never go into training data: {', '.join(unseen)}")
    allow_code = code_allowed(allow_code_execution)
    s = settings(config, seed=seed, base_url=base_url)
    err, out = err_console(), out_console()
    pool = training_pool(chosen, n_per_task, s.seed)
    for note in pool.notes:
        err.print(f"[yellow]{note}[/]")
    if not pool.instances:
        raise DataError("no training instances: every chosen task needs external data")
    api_key = s.api_key.get_secret_value() if s.api_key else None
    task_model = provider_for(task_llm, s, base_url=s.base_url, api_key=api_key if s.base_url else None)
    steerer = provider_for(steer_llm, s, base_url=steer_base_url, api_key=api_key if steer_base_url else None)
    run = open_run(
        s,
        "steer-collect",
        resume=resume,
        run_dir=run_dir,
        extra_config={
            "task_llm": task_llm,
            "steer_llm": steer_llm,
            "tasks": [t.name for t in chosen],
            "n_per_task": n_per_task,
            "trees": trees,
            "branch": branch,
            "depth": depth,
            "max_rounds": max_rounds,
            "keep_failed": keep_failed,
            "allow_code_execution": allow_code,
            "sandbox_disk_mb": sandbox_disk,
        },
    )
    options: dict[str, Any] = {
        "task": task_model, "steer": steerer, "max_rounds": max_rounds, "allow_code": allow_code,
        "executor": sandbox_executor(sandbox_disk), "self_check_enabled": self_check, "concurrency": concurrency,
    }  # fmt: skip
    raw = run.path / ("trees.jsonl" if trees else "trajectories.jsonl")
    with run.guard():
        with TallyProgress("collect", len(pool.instances)) as progress:
            if trees:
                report = collect_trees(pool.instances, out_path=raw, branch=branch, depth=depth,
                                       on_event=_progress_events(progress), **options)  # fmt: skip
            else:
                report = collect_trajectories(pool.instances, out_path=raw, keep_failed=keep_failed,
                                              on_event=_progress_events(progress), **options)  # fmt: skip
        if trees:
            records, problems = read_trees(raw)
            dataset, kind = dpo_pairs(records), "dpo"
        else:
            records, problems = read_trajectories(raw)
            dataset, kind = sft_records(records, keep_failed=keep_failed), "sft"
        for problem in problems[:5]:
            err.print(f"[yellow]{problem}[/]")
        written = write_dataset(dataset, run.path / f"{kind}.jsonl") if dataset else 0
        results = {"instances": report.total, "written": report.written, "correct": report.correct,
                   "errors": len(report.errors), "dataset": kind, "dataset_records": written,
                   "overlaps_dropped": pool.overlaps, "duplicates_dropped": pool.duplicates}  # fmt: skip
    run.finish(results)
    out.print(
        f"{report.written} {'trees' if trees else 'trajectories'} ({report.correct} correct, {len(report.errors)} "
        f"errors); {written} {kind.upper()} records in {run.path / (kind + '.jsonl')}"
    )
    if not written:
        raise DataError(f"no {kind.upper()} records could be built (see {raw})")


def _progress_events(progress: TallyProgress) -> Callable[[str, dict[str, Any]], None]:
    """Collection events as progress: `skip` on a resume, then `record` or `error` per instance."""

    def on_event(kind: str, p: dict[str, Any]) -> None:
        if kind == "skip":
            progress.resumed(p["done"], p["total"], "instances already collected")
        elif kind in ("record", "error"):
            progress.on_item(bool(p.get("correct")), p.get("error"), f"{p.get('task')}/{p.get('id')}")

    return on_event
