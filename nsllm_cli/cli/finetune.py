"""`nsllm finetune`: train the neurosymbolic decoder inside the frozen model (resumable)."""

from __future__ import annotations

import json
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


@guarded
def finetune(
    train_run: Annotated[Path, typer.Option("--train-run", help="A `nsllm train` run folder (atoms + encoders).")],
    method: Annotated[str, typer.Option(help="ns (the paper's method). lora/adapter baselines: not built yet.")] = "ns",
    layer: Annotated[str, typer.Option(help="'auto' (the train run's best layer) or a hidden_states index.")] = "auto",
    data: Annotated[Path | None, typer.Option(help="Split-CSV folder or one training CSV (default: generate).")] = None,
    n_train: Annotated[int, typer.Option(min=1, help="Generated training questions.")] = 10000,
    steps: Annotated[int, typer.Option(min=1, help="Optimiser steps.")] = 1000,
    batch_size: Annotated[int, typer.Option(min=1, help="Questions per optimiser step (paper: 8).")] = 8,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = 1e-3,
    lr_schedule: Annotated[
        str, typer.Option(help="paper: x0.5 at 100, 500, ... (really applied); none: constant.")
    ] = "paper",
    gate: Annotated[float, typer.Option(help="Intervene only where the type score exceeds this (tau).")] = 0.8,
    mix: Annotated[float, typer.Option(min=0.0, max=1.0, help="w: weight kept of the original hidden state.")] = 0.5,
    oracle: Annotated[
        bool, typer.Option(help="Ablation: use the true operands and type instead of the encoder.")
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
    from nsllm_cli.errors import ArtifactError, DataError, NotImplementedYetError
    from nsllm_cli.models.resolve import load_model, resolve_model
    from nsllm_cli.ns.activations import model_fingerprint
    from nsllm_cli.ns.data import load_splits
    from nsllm_cli.ns.finetune import check_training_types, finetune_ns
    from nsllm_cli.ns.intervention import NSIntervention
    from nsllm_cli.ns.train import load_encdec
    from nsllm_cli.reporting import Reporter
    from nsllm_cli.runs import RunDir

    if method != "ns":
        raise NotImplementedYetError(f"finetune --method {method} is not available yet (issue #3, in progress)")
    s = settings(config, model=model, device=device, dtype=dtype, seed=seed)
    results_path = train_run / "results.json"
    if not results_path.is_file():
        raise ArtifactError(f"{train_run} is not a finished train run (no results.json)")
    trained = json.loads(results_path.read_text(encoding="utf-8"))
    layer_index = int(trained["best_layer"]) if layer == "auto" else int(layer)
    vsa, enc, dec, _ = load_encdec(train_run / "artifacts", layer_index)
    splits = load_splits(data, n_train=n_train, n_val=0, n_test=0, seed=s.seed, complexity=complexity)
    problems = check_training_types(splits.get("train", []), allow_unseen=allow_unseen_types)
    if not problems:
        raise DataError(f"no training questions in {data or 'the generator'}")
    err = err_console()
    with err.status(f"loading {s.model} ..."):
        lm, tok = load_model(resolve_model(s.model, cache=s.cache_dir), device=s.device, dtype=s.dtype)
    fingerprint = model_fingerprint(lm, tok)
    if fingerprint["config_sha256"] != trained["model"]["config_sha256"]:
        raise ArtifactError(
            f"{train_run} was trained on another model ({trained['model']['name_or_path']}); pass the same --model"
        )
    if layer_index >= fingerprint["n_layers"]:
        raise ArtifactError(
            f"layer {layer_index} is after the last block: the intervention needs a block input "
            f"(0..{fingerprint['n_layers'] - 1})"
        )
    ns = NSIntervention(vsa, enc, dec, layer=layer_index, gate=gate, mix=mix, complexity=complexity, oracle=oracle)
    target = resume or run_dir
    run = RunDir.create(
        target.parent if target else s.runs_dir,
        "finetune",
        settings=s,
        name=target.name if target else None,
        extra_config={
            "train_run": str(train_run),
            "method": method,
            "layer": layer_index,
            "steps": steps,
            "batch_size": batch_size,
            "lr": lr,
            "lr_schedule": lr_schedule,
            "gate": gate,
            "mix": mix,
            "oracle": oracle,
            "questions": len(problems),
        },
    )
    reporter = Reporter(run, wandb=s.wandb, tensorboard=s.tensorboard)
    progress = EventProgress(
        "finetune", "loss {loss:.4f} · gate {gate_rate:.0%}", {"loss": float("nan"), "gate_rate": 0.0}, total=steps
    )

    def on_event(kind: str, payload: dict[str, Any]) -> None:
        if kind == "step":
            reporter.log(**payload)
        progress.on_event(kind, payload)

    try:
        with run.guard(), progress:
            summary = finetune_ns(
                lm,
                tok,
                problems,
                ns,
                run.artifacts,
                steps=steps,
                batch_size=batch_size,
                lr=lr,
                schedule={} if lr_schedule == "none" else None,
                seed=s.seed,
                shots=shots,
                complexity=complexity,
                checkpoint_every=checkpoint_every,
                on_event=on_event,
                meta={"model": fingerprint, "train_run": str(train_run), "oracle": oracle},
            )
    finally:
        reporter.close()
    last = run.metrics()[-1] if run.metrics() else {}
    run.finish({**summary, "final_loss": last.get("loss"), "ns_model": str(run.artifacts / "ns")})
    out_console().print(
        f"trained the decoder at layer {layer_index} for {steps} steps "
        f"({summary['trainable_parameters']:,} parameters); last loss {last.get('loss', float('nan')):.4f}"
    )
    out_console().print(f"run: {run.path}   next: nsllm bench math --ns-run {run.path}")
