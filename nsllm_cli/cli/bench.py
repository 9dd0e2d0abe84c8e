"""`nsllm bench`: benchmarks. `bench math` compares methods on the integer problems."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from nsllm_cli.cli import symbench as symbench_cmd
from nsllm_cli.cli import symbench_run
from nsllm_cli.cli._common import (
    ConfigOpt,
    DeviceOpt,
    DtypeOpt,
    ModelOpt,
    RunDirOpt,
    SeedOpt,
    err_console,
    guarded,
    out_console,
    settings,
)
from nsllm_cli.cli._progress import EventProgress
from nsllm_cli.cli._resume import resumable

app = typer.Typer(help="Benchmark methods on integer math and SymBench.", no_args_is_help=True)


@app.command("math")
@guarded
@resumable
def math_bench(
    ctx: typer.Context,
    methods: Annotated[
        str,
        typer.Option(
            "--method",
            help="Comma-separated: base, cot, ns, ns-shuffled (the counterfactual check: each question is written "
            "another one's result), lora, adapter.",
        ),
    ] = "base,ns",
    ns_run: Annotated[Path | None, typer.Option(help="A finetune run folder (needed for --method ns).")] = None,
    adapter_run: Annotated[
        Path | None, typer.Option(help="A `finetune --method adapter` run (needed for --method adapter).")
    ] = None,
    lora_run: Annotated[
        Path | None, typer.Option(help="A `finetune --method lora` run (needed for --method lora).")
    ] = None,
    data: Annotated[Path | None, typer.Option(help="A test CSV, or a split folder (its test file).")] = None,
    per_type: Annotated[
        int,
        typer.Option(
            min=1, help="Generated questions per type (the paper's 10 types and the NS run's other operations)."
        ),
    ] = 50,
    limit: Annotated[int | None, typer.Option(min=1, help="Keep at most N questions.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Questions per generate call.")] = 16,
    cot_max_new_tokens: Annotated[int, typer.Option(min=8, help="Token budget of a CoT answer (paper: 1000).")] = 256,
    complexity: Annotated[int, typer.Option(min=1, max=4, help="Digits of the operands.")] = 2,
    shots: Annotated[int, typer.Option(min=0, max=8, help="Same-type examples in each prompt.")] = 2,
    prompt: Annotated[
        str,
        typer.Option(
            help="two-shot: the paper's prompt (system + 2 solved examples); chat: the question alone, as "
            "`nsllm chat` and `nsllm serve` send it."
        ),
    ] = "two-shot",
    wording: Annotated[
        str,
        typer.Option(
            help="paper: the original question text; train: paraphrases from the wording families NS trains on; "
            "heldout: paraphrases from families it never saw."
        ),
    ] = "paper",
    slice_: Annotated[
        str | None,
        typer.Option(
            "--slice",
            help="zero: questions whose result is 0; one-digit: questions with a one-digit operand (--per-type of "
            "each type that has them).",
        ),
    ] = None,
    negatives: Annotated[
        int,
        typer.Option(
            min=0,
            help="Other-maths questions (averages, roots, NAND...) on which the NS gate must stay shut; measured "
            "with --method ns, in the --prompt and --wording families (0: skip).",
        ),
    ] = 100,
    resume: Annotated[Path | None, typer.Option(help="Continue a killed bench run (its samples are kept).")] = None,
    model: ModelOpt = None,
    device: DeviceOpt = None,
    dtype: DtypeOpt = None,
    seed: SeedOpt = None,
    config: ConfigOpt = None,
    run_dir: RunDirOpt = None,
) -> None:
    """Per-type exact-match accuracy and answer cross-entropy of base / CoT / NS; table, chart, results.json."""
    from nsllm_cli.cli._run import open_run
    from nsllm_cli.errors import ArtifactError, DataError, NsllmError
    from nsllm_cli.models.resolve import load_model, resolve_model
    from nsllm_cli.ns.activations import model_fingerprint
    from nsllm_cli.ns.bench import METHODS, PROMPTS, WORDINGS, aggregate, plot_accuracy, run_bench
    from nsllm_cli.ns.bench_questions import test_problems

    if prompt not in PROMPTS:
        raise NsllmError(f"unknown --prompt {prompt!r}: use {' or '.join(PROMPTS)}")
    if wording not in WORDINGS:
        raise NsllmError(f"unknown --wording {wording!r}: use {', '.join(WORDINGS)}")
    from nsllm_cli.ns.sampling import SLICES

    if slice_ is not None and slice_ not in SLICES:
        raise NsllmError(f"unknown --slice {slice_!r}: use {' or '.join(SLICES)}")
    if slice_ is not None and data is not None:
        raise NsllmError("--slice draws its own questions; leave out --data")
    chosen = [m.strip() for m in methods.split(",") if m.strip()]
    unknown = [m for m in chosen if m not in METHODS]
    if unknown:
        raise NsllmError(f"unknown method(s) {', '.join(unknown)}: use {', '.join(METHODS)}")
    if any(m.startswith("ns") for m in chosen) and ns_run is None:
        raise NsllmError("--method ns needs --ns-run RUN (a finetune run folder)")
    if "lora" in chosen and (lora_run is None or not (lora_run / "artifacts" / "lora").is_dir()):
        raise NsllmError("--method lora needs --lora-run RUN (a finished `finetune --method lora` run folder)")
    s = settings(config, model=model, device=device, dtype=dtype, seed=seed)
    ns = None
    if ns_run is not None:
        from nsllm_cli.providers.ns_run import read_ns_run

        read_ns_run(ns_run)  # a wrong folder fails before the model loads
    trained_runs = [r for r in (ns_run, lora_run, adapter_run) if r is not None]
    problems = test_problems(
        data, per_type=per_type, seed=s.seed, complexity=complexity, runs=trained_runs, slice_=slice_, wording=wording
    )[:limit]
    if not problems:
        raise DataError(f"no test questions in {data}")
    err = err_console()
    with err.status(f"loading {s.model} ..."):
        lm, tok = load_model(resolve_model(s.model, cache=s.cache_dir), device=s.device, dtype=s.dtype)
    if ns_run is not None:
        from nsllm_cli.providers.ns_local import load_ns_run

        ns = load_ns_run(ns_run, lm, tok, given=s.model)
    if "adapter" in chosen and (adapter_run is None or not (adapter_run / "artifacts" / "adapter").is_dir()):
        raise NsllmError("--method adapter needs --adapter-run RUN (a finished `finetune --method adapter` run)")
    adapter = None
    if adapter_run is not None and "adapter" in chosen:
        from nsllm_cli.ns.adapter import load_adapter

        adapter = load_adapter(adapter_run / "artifacts" / "adapter")
    lora_model = None
    if lora_run is not None and "lora" in chosen:
        from nsllm_cli.ns.lora import load_lora

        trained_on = json.loads((lora_run / "results.json").read_text(encoding="utf-8"))["model"]["config_sha256"]
        if model_fingerprint(lm, tok)["config_sha256"] != trained_on:
            raise ArtifactError(f"{lora_run} was trained on another model; pass the same --model")
        with err.status("loading the LoRA adapter ..."):
            base_copy, _ = load_model(resolve_model(s.model, cache=s.cache_dir), device=s.device, dtype=s.dtype)
            lora_model = load_lora(base_copy, lora_run / "artifacts" / "lora")
    run = open_run(
        s,
        "bench-math",
        resume=resume,
        run_dir=run_dir,
        extra_config={
            "methods": chosen,
            "ns_run": str(ns_run) if ns_run else None,
            "data": str(data) if data else "generated",
            "per_type": per_type,
            "prompt": prompt,
            "wording": wording,
            "slice": slice_,
            "questions": len(problems),
        },
    )
    with run.guard():
        with EventProgress("bench", "{method}", {"method": ""}) as progress:
            records = run_bench(
                lm,
                tok,
                problems,
                chosen,
                run.path,
                ns=ns,
                lora_model=lora_model,
                adapter=adapter,
                seed=s.seed,
                complexity=complexity,
                shots=shots,
                batch_size=batch_size,
                cot_max_new_tokens=cot_max_new_tokens,
                prompt=prompt,
                wording=wording,
                on_event=progress.on_event,
            )
    from nsllm_cli.ns.problems import TRAIN_TYPES

    summary = aggregate(records, chosen, trained=tuple(getattr(ns, "types", TRAIN_TYPES)))
    if ns is not None and "ns" in chosen and negatives:
        from nsllm_cli.ns.bench_negatives import gate_on_negatives, negative_prompts

        asked = negative_prompts(
            negatives, seed=s.seed, prompt=prompt, split="heldout" if wording == "heldout" else "train",
            trained=tuple(getattr(ns, "types", TRAIN_TYPES)),
        )  # fmt: skip
        with err.status(f"the NS gate on {len(asked)} other-maths questions ..."):
            summary["negatives"] = gate_on_negatives(lm, tok, ns, asked, batch_size=batch_size)
    plot_accuracy(summary, chosen, run.path / "accuracy.png")
    run.finish({"methods": chosen, "questions": len(problems), **summary})
    _render(summary, chosen)
    out_console().print(f"chart: {run.path / 'accuracy.png'}   samples: {run.path / 'samples.jsonl'}")


app.command("symbench")(symbench_run.symbench)
app.command("ls")(symbench_cmd.ls)
app.command("validate")(symbench_cmd.validate)


def _render(summary: dict[str, Any], methods: list[str]) -> None:
    from rich.table import Table

    from nsllm_cli.ns.problems import ALL_TYPES, TRAIN_TYPES

    trained = summary.get("trained_types", TRAIN_TYPES)

    table = Table(title="exact-match accuracy % (answer CE)", title_justify="left")
    table.add_column("problem type")
    table.add_column("n", justify="right")
    for m in methods:
        table.add_column(m, justify="right")
    for t in ALL_TYPES:
        if all(summary["per_type"][m].get(t) is None for m in methods):
            continue  # an operation beyond the paper's that this bench did not ask
        cells = []
        n = 0
        for m in methods:
            cell = summary["per_type"][m].get(t)
            if cell is None:
                cells.append("-")
                continue
            n = cell["n"]
            ce = f" ({cell['answer_ce']:.2f})" if cell.get("answer_ce") is not None else ""
            cells.append(f"{cell['accuracy']:.1f}{ce}")
        table.add_row(t + (" *" if t not in trained else ""), str(n), *cells)
    table.add_row(
        f"[bold]mean, {len(trained)} trained[/]",
        "",
        *[
            f"[bold]{summary['mean_trained'][m]:.1f}[/]" if summary["mean_trained"][m] is not None else "-"
            for m in methods
        ],
    )
    console = out_console()
    console.print(table)
    if any(t not in trained and any(summary["per_type"][m].get(t) for m in methods) for t in ALL_TYPES):
        console.print("* unseen type (never trained)")
    errors = summary.get("ns_errors") or {}
    if errors.get("n"):
        console.print(
            f"NS errors on trained types: {errors['wrong']} of {errors['n']} wrong = {errors['read_wrong']} read "
            f"wrong (reader; gate shut on {errors['gate_closed']}) + {errors['written_wrong']} read right, written "
            f"wrong (writer); read right on {100 * errors['read_right_rate']:.1f}%"
        )
    neg = summary.get("negatives") or {}
    if neg.get("n"):
        console.print(
            f"NS gate open on other maths (questions no operation of the run answers; must stay shut): "
            f"{100 * neg['open_rate']:.1f}% of {neg['n']}"
            + "".join(f"\n  opened: {o['question']!r} ({o['family']})" for o in neg["opened"][:5])
        )
    cf = summary.get("counterfactual") or {}
    if cf.get("n"):
        console.print(
            f"counterfactual (results shuffled across the batch, {cf['n']} answers): the output says the injected "
            f"result {100 * cf['follows_injection']:.1f}%, the gold {100 * cf['says_gold']:.1f}%"
        )
    if errors.get("unseen_gate_open") is not None:
        console.print(
            f"NS gate open on unseen types (must stay shut): {100 * errors['unseen_gate_open']:.1f}% "
            f"of {errors['unseen_n']}"
        )
    _render_failures(errors)
    for base, r in summary["ns_ratios"].items():
        mor = f"{r['mean_of_ratios']:.2f}x" if r["mean_of_ratios"] is not None else "n/a"
        rom = f"{r['ratio_of_means']:.2f}x" if r["ratio_of_means"] is not None else "n/a"
        console.print(f"NS / {base}: mean of per-type ratios {mor} ({r['types_used']} types), ratio of means {rom}")


def _render_failures(errors: dict[str, Any]) -> None:
    """NS failure modes: read and write errors by kind, the unseen types' gate per family, the top misreads."""
    from rich.table import Table

    console = out_console()
    for name in ("read_errors", "write_errors"):
        kinds = errors.get(name) or {}
        if kinds:
            label = "read errors" if name == "read_errors" else "write errors"
            console.print(f"NS {label} by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.items()))
    families = {k: v for k, v in (errors.get("unseen_open_by_family") or {}).items() if v["open"]}
    if families:
        console.print(
            "unseen types, gate open by wording family: "
            + ", ".join(f"{k} {v['open']}/{v['n']}" for k, v in families.items())
        )
    rows = errors.get("misreads") or []
    if rows:
        table = Table(title="most frequent misreads (type read is not the true type)", title_justify="left")
        for col in ("true type", "read as", "gate", "n"):
            table.add_column(col, justify="right" if col == "n" else "left")
        for r in rows:
            gate = "[bold red]open[/]" if r["gate"] else "shut"
            table.add_row(r["true"], r["read"], gate, str(r["n"]))
        console.print(table)
