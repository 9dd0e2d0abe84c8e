"""`nsllm finetune`: train the neurosymbolic decoder inside the frozen model (resumable)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

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
from nsllm_cli.cli._run import open_run, report_steps


@guarded
@resumable
def finetune(
    ctx: typer.Context,
    train_run: Annotated[
        Path | None, typer.Option("--train-run", help="A `nsllm train` run folder (atoms + encoders); needed for ns.")
    ] = None,
    method: Annotated[
        str, typer.Option(help="ns (the paper's method), lora (PEFT LoRA) or adapter (the paper's bottleneck).")
    ] = "ns",
    layer: Annotated[str, typer.Option(help="'auto' (the train run's best layer) or a hidden_states index.")] = "auto",
    encoder: Annotated[
        str,
        typer.Option(
            help="ns: 'auto' (the train run's multi-layer encoder when it has one and --layer is auto), 'single' "
            "(the paper's one-layer encoder) or 'multi'."
        ),
    ] = "auto",
    data: Annotated[Path | None, typer.Option(help="Split-CSV folder or one training CSV (default: generate).")] = None,
    n_train: Annotated[
        int | None, typer.Option(min=1, help="Generated training questions (default: steps recipe 2000, paper 10000).")
    ] = None,
    steps: Annotated[
        int | None, typer.Option(min=1, help="Optimiser steps (default: steps recipe 300, paper 1000).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Questions per optimiser step (paper: 8).")] = 8,
    lr: Annotated[
        float | None,
        typer.Option(
            help="Learning rate (default: ns 3e-2 Adam for the steps recipe, 1e-3 for paper; lora 2e-4 AdamW)."
        ),
    ] = None,
    write_layer: Annotated[
        str, typer.Option(help="steps recipe: block input the answer is written to ('auto': 4 blocks before the end).")
    ] = "auto",
    lora_r: Annotated[int, typer.Option(min=1, help="lora: rank.")] = 8,
    lora_alpha: Annotated[int, typer.Option(min=1, help="lora: alpha.")] = 16,
    lr_schedule: Annotated[
        str, typer.Option(help="paper: x0.5 at 100, 500, ... (really applied); none: constant.")
    ] = "paper",
    gate: Annotated[
        float | None,
        typer.Option(
            help="Intervene only where the type score exceeds this (default: steps 0.95 probability, paper 0.8)."
        ),
    ] = None,
    mix: Annotated[float, typer.Option(min=0.0, max=1.0, help="w: weight kept of the original hidden state.")] = 0.5,
    oracle: Annotated[
        bool, typer.Option(help="Ablation: use the true operands and type instead of the encoder.")
    ] = False,
    inject: Annotated[
        str,
        typer.Option(
            help="ns: 'last' (the paper: the last prompt token only) or 'every' (also every answer token and "
            "decode step)."
        ),
    ] = "last",
    loss: Annotated[
        str,
        typer.Option(
            help="ns: 'teacher-forced' (CE over every answer token + the end token) or 'legacy' (the paper's: "
            "free-running, gradient through the first generated token only)."
        ),
    ] = "teacher-forced",
    init_from_encdec: Annotated[
        bool, typer.Option(help="adapter: start from the trained encoder/decoder pair instead of a fresh init.")
    ] = False,
    allow_unseen_types: Annotated[bool, typer.Option(help="Allow addition/division rows in training.")] = False,
    complexity: Annotated[int, typer.Option(min=1, max=4, help="Digits of the operands.")] = 2,
    shots: Annotated[int, typer.Option(min=0, max=8, help="Same-type examples in each prompt.")] = 2,
    checkpoint_every: Annotated[int, typer.Option(min=1, help="Save a resumable checkpoint every N steps.")] = 50,
    resume: Annotated[Path | None, typer.Option(help="Continue a killed finetune run from its checkpoint.")] = None,
    model: ModelOpt = None,
    device: DeviceOpt = None,
    dtype: DtypeOpt = None,
    seed: SeedOpt = None,
    config: ConfigOpt = None,
    run_dir: RunDirOpt = None,
) -> None:
    """Fine-tune Dec_L so that a symbolic computation is injected back into the residual stream."""
    from nsllm_cli.errors import NsllmError
    from nsllm_cli.models.resolve import load_model, resolve_model
    from nsllm_cli.ns.activations import model_fingerprint
    from nsllm_cli.ns.paper.finetune import training_problems
    from nsllm_cli.ns.paper.methods import describe, train_method
    from nsllm_cli.ns.train_run import (
        check_layer,
        check_same_model,
        has_reader,
        load_train_run,
        paper_adapter,
        paper_ns,
    )

    if method not in ("ns", "lora", "adapter"):
        raise NsllmError(f"unknown --method {method!r}: use ns, lora or adapter")
    if inject not in ("last", "every"):
        raise NsllmError(f"unknown --inject {inject!r}: use last or every")
    if loss not in ("teacher-forced", "legacy"):
        raise NsllmError(f"unknown --loss {loss!r}: use teacher-forced or legacy")
    if method in ("ns", "adapter") and train_run is None:
        raise NsllmError(f"--method {method} needs --train-run RUN (a `nsllm train` run folder: layer and encoders)")
    s = settings(config, model=model, device=device, dtype=dtype, seed=seed)
    if method == "ns" and train_run is not None and has_reader(train_run):
        from nsllm_cli.cli._finetune_steps import finetune_steps
        from nsllm_cli.ns.steps.reader import GATE

        finetune_steps(
            s,
            train_run,
            n_train=2000 if n_train is None else n_train,
            steps=300 if steps is None else steps,
            batch_size=batch_size,
            lr=3e-2 if lr is None else lr,
            gate=GATE if gate is None else gate,
            write_layer=write_layer,
            oracle=oracle,
            checkpoint_every=checkpoint_every,
            resume=resume,
            run_dir=run_dir,
        )
        return
    n_train = 10000 if n_train is None else n_train
    steps = 1000 if steps is None else steps
    gate = 0.8 if gate is None else gate
    learning_rate = lr if lr is not None else (2e-4 if method == "lora" else 1e-3)
    if encoder not in ("auto", "single", "multi"):
        raise NsllmError(f"unknown --encoder {encoder!r}: use auto, single or multi")
    if encoder == "multi" and layer != "auto":
        raise NsllmError("--encoder multi reads its own layers; leave --layer at auto")
    which = "single" if method == "adapter" or layer != "auto" else encoder
    parts = load_train_run(train_run, layer, which) if train_run is not None and method != "lora" else None
    problems = training_problems(
        data, n_train=n_train, seed=s.seed, complexity=complexity, allow_unseen=allow_unseen_types
    )
    err = err_console()
    with err.status(f"loading {s.model} ..."):
        lm, tok = load_model(resolve_model(s.model, cache=s.cache_dir), device=s.device, dtype=s.dtype)
    fingerprint = model_fingerprint(lm, tok)
    ns = None
    adapter = None
    if parts is not None:
        check_same_model(parts.path, parts.results["model"], fingerprint)
        check_layer(parts, fingerprint)
        if method == "ns":
            ns = paper_ns(parts, gate=gate, mix=mix, complexity=complexity, oracle=oracle, inject=inject)
        else:
            adapter = paper_adapter(parts, fingerprint, mix=mix, seed=s.seed, init_from_encdec=init_from_encdec)
    extra_config = {
        "train_run": str(train_run) if train_run else None,
        "method": method,
        "layer": ns.layer if ns else (adapter.layer if adapter else None),
        "steps": steps,
        "batch_size": batch_size,
        "lr": learning_rate,
        "lr_schedule": lr_schedule,
        "gate": gate,
        "mix": mix,
        "oracle": oracle,
        "inject": inject,
        "loss": loss,
        "encoder": which,
        "read_layers": ns.read_layers if ns else None,
        "lora_r": lora_r,
        "lora_alpha": lora_alpha,
        "data": str(data) if data else None,
        "questions": len(problems),
    }
    run = open_run(s, "finetune", resume=resume, run_dir=run_dir, extra_config=extra_config)
    template = "loss {loss:.4f} · gate {gate_rate:.0%}" if ns else "loss {loss:.4f}"
    progress = EventProgress("finetune", template, {"loss": float("nan"), "gate_rate": 0.0}, total=steps)
    reporter, on_event = report_steps(run, s, progress)
    common: dict[str, Any] = {
        "steps": steps,
        "batch_size": batch_size,
        "lr": learning_rate,
        "seed": s.seed,
        "shots": shots,
        "complexity": complexity,
        "checkpoint_every": checkpoint_every,
        "on_event": on_event,
    }
    try:
        with run.guard(), progress:
            what, summary = train_method(
                lm,
                tok,
                problems,
                run.artifacts,
                ns=ns,
                adapter=adapter,
                fingerprint=fingerprint,
                train_run=train_run,
                common=common,
                lr_schedule=lr_schedule,
                loss=loss,
                oracle=oracle,
                lora_r=lora_r,
                lora_alpha=lora_alpha,
            )
    finally:
        reporter.close()
    last = run.metrics()[-1] if run.metrics() else {}
    run.finish({**summary, "final_loss": last.get("loss"), f"{what}_model": str(run.artifacts / what)})
    trained_what = describe(what, lora_r=lora_r)
    out_console().print(
        f"trained {trained_what} for {steps} steps ({summary['trainable_parameters']:,} parameters); "
        f"last loss {last.get('loss', float('nan')):.4f}"
    )
    out_console().print(f"run: {run.path}   next: nsllm bench math --{what}-run {run.path}")
