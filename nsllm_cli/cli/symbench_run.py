"""`nsllm bench symbench`: run SymBench tasks with a task model and one or more methods; table, chart, results."""

from __future__ import annotations

import time
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

PAPER_MAX_TOKENS = 2000
LOCAL_MAX_TOKENS = 512
_SPEC = (
    "e.g. gpt-4o, claude-3-5-sonnet-20241022, local:embedded, ns:<finetune run folder> (the neurosymbolic model), "
    "or a model name with --base-url"
)


@guarded
@resumable
def symbench(
    ctx: typer.Context,
    task_llm: Annotated[str | None, typer.Option("--task-llm", help=f"Model that answers: {_SPEC}.")] = None,
    methods: Annotated[
        str,
        typer.Option(
            "--method",
            help="Comma-separated: only-question, all-text, all-code, code-text-choice, codesteer "
            "(default: codesteer with --steer-llm, else only-question).",
        ),
    ] = "auto",
    steer_llm: Annotated[
        str | None, typer.Option("--steer-llm", help="Steering model for code-text-choice and codesteer.")
    ] = None,
    tasks: Annotated[
        str | None, typer.Option(help="Comma-separated task names or codes (S1..S28, U1..U9), or all/seen/unseen.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="At most N instances per task (default: the paper's n, mostly 50).")
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Samples answered at once.")] = 4,
    resume: Annotated[
        Path | None, typer.Option(help="Continue a run folder: samples already answered are kept and skipped.")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="A copy of SymBench's dataset_gather (env NSLLM_SYMBENCH_DIR); without it, generated tasks."),
    ] = None,
    paper_scoring: Annotated[
        bool,
        typer.Option(
            help="Score with the original validators (bugs included), for Table 1 comparisons, and keep stored "
            "instances whose gold fails its own fixed validator (by default they are checked and left out)."
        ),
    ] = False,
    allow_code_execution: AllowCodeOpt = False,
    sandbox_disk: SandboxDiskOpt = 256,
    extractor_llm: Annotated[
        str | None,
        typer.Option(help="Model that restates an answer the parser could not read (a logged, counted fallback)."),
    ] = None,
    extractor_base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible URL of the extractor model.")
    ] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible URL of the task model.")] = None,
    steer_base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible URL of the steering model.")] = None,
    max_rounds: Annotated[int, typer.Option(min=0, help="CodeSteer rounds after the code/text choice.")] = 5,
    max_tokens: Annotated[
        int | None,
        typer.Option(min=1, help="Most new tokens per task answer (default: the paper's 2000; 512 for local: models)."),
    ] = None,
    self_check: Annotated[
        bool, typer.Option("--self-check/--no-self-check", help="CodeSteer's self-answer checker every round.")
    ] = True,
    seed: SeedOpt = None,
    config: ConfigOpt = None,
    run_dir: RunDirOpt = None,
) -> None:
    """Run SymBench: per-task success, seen/unseen/total means and the paper's normalised score."""
    from nsllm_cli.cli._run import open_run
    from nsllm_cli.consent import code_allowed
    from nsllm_cli.errors import ConfigError, DataError
    from nsllm_cli.jsonl import read_jsonl, write_json_atomic
    from nsllm_cli.providers.base import GenParams
    from nsllm_cli.providers.registry import provider_for
    from nsllm_cli.symbench.gold import gold_summary
    from nsllm_cli.symbench.registry import data_folder, select_tasks
    from nsllm_cli.symbench.splits import test_set
    from nsllm_cli.symbench_run.methods import METHODS, NEEDS_STEERER, RUNS_CODE, MethodSetup
    from nsllm_cli.symbench_run.results import aggregate, plot_success
    from nsllm_cli.symbench_run.runner import SAMPLES, Job, check_manifest, run_jobs

    if not task_llm:
        raise ConfigError(f"--task-llm is required ({_SPEC})")
    chosen = [m.strip() for m in methods.split(",") if m.strip()]
    if chosen == ["auto"]:
        chosen = ["codesteer"] if steer_llm else ["only-question"]
    unknown = [m for m in chosen if m not in METHODS]
    if unknown:
        raise ConfigError(f"unknown method(s) {', '.join(unknown)}: use {', '.join(METHODS)}")
    if steer_llm is None and any(m in NEEDS_STEERER for m in chosen):
        raise ConfigError(f"--method {', '.join(m for m in chosen if m in NEEDS_STEERER)} needs --steer-llm")
    allow_code = code_allowed(allow_code_execution)
    if not allow_code and any(m in RUNS_CODE for m in chosen):
        raise ConfigError(
            f"--method {', '.join(m for m in chosen if m in RUNS_CODE)} runs model-written code: pass "
            "--allow-code-execution (it runs in a sandbox)"
        )
    folder = data_folder(data_dir)
    if folder is not None and not folder.is_dir():
        raise DataError(f"{folder}: no such folder (expected a copy of SymBench's dataset_gather)")
    if resume is not None and not (resume / "config.yaml").is_file():
        raise DataError(f"{resume} is not a run folder (no config.yaml)")
    selected = select_tasks(tasks)
    s = settings(config, seed=seed, base_url=base_url)
    err, out = err_console(), out_console()

    selections = {}
    with err.status("selecting test instances ..."):
        for task in selected:
            selections[task.name] = test_set(
                task, data_dir=folder, limit=limit, seed=s.seed, gold_check=not paper_scoring
            )
    manifest = {name: sel.manifest() for name, sel in selections.items()}
    missing = [sel.task for sel in selections.values() if sel.source == "none"]
    if missing:
        where = f"not in {folder}" if folder else "pass --data-dir or set NSLLM_SYMBENCH_DIR"
        err.print(f"[yellow]skipped, these tasks need their original data ({where}): {', '.join(missing)}[/]")
    for sel in selections.values():
        if sel.source != "none" and sel.note not in ("", "generated"):
            err.print(f"[yellow]{sel.task}: {sel.note}[/]")
    jobs = [
        Job(task, inst, method) for method in chosen for task in selected for inst in selections[task.name].instances
    ]
    if not jobs:
        raise DataError("no instances to run: every selected task needs data (--data-dir or NSLLM_SYMBENCH_DIR)")
    options = {
        "task_llm": task_llm,
        "steer_llm": steer_llm,
        "methods": chosen,
        "tasks": [t.name for t in selected],
        "limit": limit,
        "data_dir": str(folder) if folder else None,
        "paper_scoring": paper_scoring,
        "allow_code_execution": allow_code,
        "sandbox_disk_mb": sandbox_disk,
        "extractor_llm": extractor_llm,
        "max_rounds": max_rounds,
        "max_tokens": max_tokens,
        "concurrency": concurrency,
    }
    if resume is not None:
        check_manifest(resume / "manifest.json", manifest)
    api_key = s.api_key.get_secret_value() if s.api_key else None
    task_model = provider_for(task_llm, s, base_url=s.base_url, api_key=api_key if s.base_url else None)
    steerer = (
        provider_for(steer_llm, s, base_url=steer_base_url, api_key=api_key if steer_base_url else None)
        if steer_llm
        else None
    )
    extractor = None
    if extractor_llm:
        extractor = provider_for(extractor_llm, s, base_url=extractor_base_url, api_key=None)
    if max_tokens is None:  # a CPU-bound local model at 2000 tokens takes minutes per rambling answer
        max_tokens = LOCAL_MAX_TOKENS if task_model.name.startswith(("local", "ns:")) else PAPER_MAX_TOKENS
    options["max_tokens"] = max_tokens
    params = GenParams(temperature=0.0, max_tokens=max_tokens, seed=s.seed)
    mode = "local" if steerer is not None and steerer.name.startswith("local") else "api"
    setup = MethodSetup(
        task=task_model,
        steer=steerer,
        executor=sandbox_executor(sandbox_disk) if allow_code else None,
        task_params=params,
        max_rounds=max_rounds,
        self_check=self_check,
        steer_mode=mode,
    )
    run = open_run(s, "bench-symbench", resume=resume, run_dir=run_dir, extra_config=options)
    write_json_atomic(run.path / "manifest.json", manifest)
    with run.guard():
        started = time.perf_counter()
        with TallyProgress("symbench", len(jobs)) as progress:
            new = run_jobs(
                jobs,
                dict.fromkeys(chosen, setup),
                run.path,
                concurrency=concurrency,
                extractor=extractor,
                on_event=_progress_events(progress),
            )
        wanted = {j.key for j in jobs}
        records = [r for r in read_jsonl(run.path / SAMPLES) if (r.get("task"), r.get("id"), r.get("method")) in wanted]
        summary = aggregate(records, task_llm=task_llm, paper_scoring=paper_scoring)
        summary["notes"] = {name: sel.note for name, sel in selections.items() if sel.note}
        gold = [p for sel in selections.values() for p in sel.excluded]
        summary["gold_check"] = gold_summary(gold, on=not paper_scoring)
        summary["this_session"] = {"samples": len(new), "seconds": round(time.perf_counter() - started, 3)}
        plot_success(summary, run.path / "symbench.png")
    scored = sum(m["samples"] for m in summary["methods"].values())
    run.finish(summary)
    render(summary, out)
    out.print(f"chart: {run.path / 'symbench.png'}   samples: {run.path / SAMPLES}")
    if scored == 0:
        raise DataError(f"no sample could be scored (see the errors in {run.path / SAMPLES})")


def _progress_events(progress: TallyProgress) -> Callable[[str, dict[str, Any]], None]:
    """The runner's events as progress: `skip` on a resume, then one `sample` per finished sample."""

    def on_event(kind: str, p: dict[str, Any]) -> None:
        if kind == "skip":
            progress.resumed(p["done"], p["total"], "samples already answered")
        elif kind == "sample":
            where = f"{p['task']}/{p['id']} ({p['method']})"
            progress.on_item(bool((p.get("verdict") or {}).get("correct")), p.get("error"), where)

    return on_event


def render(summary: dict[str, Any], out: Any) -> None:
    """The per-task table (one column per method) and the averages with the paper's normalised score."""
    from rich.markup import escape
    from rich.table import Table

    methods = list(summary["methods"])
    rows: dict[str, dict[str, Any]] = {}
    for method in methods:
        for name, cell in summary["methods"][method]["tasks"].items():
            rows.setdefault(name, {"code": cell["code"], "split": cell["split"]})[method] = cell
    title = f"SymBench · {escape(summary['task_llm'])} · {summary['scoring']} validators"
    table = Table(title=title, title_justify="left")
    table.add_column("code")
    table.add_column("task")
    table.add_column("split")
    for method in methods:
        table.add_column(f"{method}\nsuccess %", justify="right")
    table.add_column("n", justify="right")
    order = sorted(rows, key=lambda n: (rows[n]["code"][:1] != "S", int(rows[n]["code"][1:] or 0)))
    for name in order:
        row = rows[name]
        cells, n = [], 0
        for method in methods:
            cell = row.get(method)
            if cell is None:
                cells.append("-")
                continue
            n = max(n, cell["n"])
            text = f"{cell['success']:.0f}"
            if cell["partial"] != cell["success"]:
                text += f" ({cell['partial']:.0f})"
            cells.append(text)
        table.add_row(row["code"], name, row["split"], *cells, str(n))
    out.print(table)
    avg = Table(title="Averages over these tasks: seen / unseen / total", title_justify="left")
    for col in ("method", "raw success %", "paper's Ave. Norm.", "strict %", "llm-extracted"):
        avg.add_column(col, justify="left" if col == "method" else "right")

    def trio(values: list[float | None]) -> str:
        return " / ".join("-" if v is None else f"{v:.1f}" for v in values)

    from nsllm_cli.symbench_run.results import run_method_name

    norm = summary["ave_norm"]
    groups = ("seen", "unseen", "total")
    for method in methods:
        m = summary["methods"][method]
        name = run_method_name(method, summary["task_llm"])
        raw = [m["raw_mean_success"][g] for g in groups]
        strict = m["raw_mean_strict"]
        avg.add_row(
            escape(name), trio(raw), trio([norm.get(g, {}).get(name) for g in groups]),
            "-" if strict is None else f"{strict:.1f}", str(m["extracted_llm"]),
        )  # fmt: skip
    for ref in ("Only Question", "GPT-4o + CodeSteer"):
        avg.add_row(f"paper: {ref} (GPT-4o)", "", trio([norm.get(g, {}).get(ref) for g in groups]), "", "")
    out.print(avg)
    out.print(
        f"[dim]norm compares {len(summary['ave_norm_methods'])} methods (the paper's 13 + this run's) on "
        f"{len(summary['ave_norm_tasks'])} tasks; success counts a sample if its text or its code answer passes (the "
        "paper's rule), strict only the code answer when code ran; partial scores in parentheses (BoxLift, BoxNet).[/]"
    )
    render_gold_check(summary.get("gold_check"), out)
    errors = sum(m["errors"] for m in summary["methods"].values())
    if errors:
        out.print(f"[yellow]{errors} sample(s) failed with errors and are not scored; --resume retries them[/]")


def render_gold_check(gold: dict[str, Any] | None, out: Any) -> None:
    """One line per kind of gold-check exclusion (with its per-task counts) and a table of the instances."""
    from rich.table import Table

    if not gold or not gold["excluded"]:
        return
    for kind, count, what in (
        ("rejected", gold["rejected"], "whose stored gold fails its own rule (data errors)"),
        ("validator error", gold["validator_errors"], "whose validator crashed on the stored gold (a bug in nsllm)"),
    ):
        if count:
            per_task = ", ".join(f"{t} {c[kind]}" for t, c in gold["per_task"].items() if c[kind])
            out.print(f"[yellow]excluded {count} instance(s) {what}: {per_task}[/]", soft_wrap=True)
    table = Table(title="Left out by the gold check (results.json: gold_check)", title_justify="left")
    for col in ("task", "id", "kind", "reason"):
        table.add_column(col, overflow="fold")
    for row in gold["instances"]:
        table.add_row(row["task"], row["id"], row["kind"], row["reason"])
    out.print(table)
