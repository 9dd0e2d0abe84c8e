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
from nsllm_cli.cli._resume import resumable


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
            help="Intervene only where the type score exceeds this (default: steps 0.9 probability, paper 0.8)."
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
    from nsllm_cli.errors import ArtifactError, DataError, NsllmError
    from nsllm_cli.models.resolve import load_model, resolve_model
    from nsllm_cli.ns.activations import model_fingerprint
    from nsllm_cli.ns.dataset import load_splits
    from nsllm_cli.ns.finetune import check_training_types, finetune_ns
    from nsllm_cli.ns.intervention import NSIntervention
    from nsllm_cli.reporting import Reporter
    from nsllm_cli.runs import RunDir

    if method not in ("ns", "lora", "adapter"):
        raise NsllmError(f"unknown --method {method!r}: use ns, lora or adapter")
    if inject not in ("last", "every"):
        raise NsllmError(f"unknown --inject {inject!r}: use last or every")
    if loss not in ("teacher-forced", "legacy"):
        raise NsllmError(f"unknown --loss {loss!r}: use teacher-forced or legacy")
    if method in ("ns", "adapter") and train_run is None:
        raise NsllmError(f"--method {method} needs --train-run RUN (a `nsllm train` run folder: layer and encoders)")
    s = settings(config, model=model, device=device, dtype=dtype, seed=seed)
    if method == "ns" and train_run is not None and (train_run / "artifacts" / "reader").is_dir():
        _finetune_steps(
            s,
            train_run,
            n_train=2000 if n_train is None else n_train,
            steps=300 if steps is None else steps,
            batch_size=batch_size,
            lr=3e-2 if lr is None else lr,
            gate=0.9 if gate is None else gate,
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
    parts = _load_train_run(train_run, layer, which) if train_run is not None and method != "lora" else None
    splits = load_splits(data, n_train=n_train, n_val=0, n_test=0, seed=s.seed, complexity=complexity)
    problems = check_training_types(splits.get("train", []), allow_unseen=allow_unseen_types)
    if not problems:
        raise DataError(f"no training questions in {data or 'the generator'}")
    err = err_console()
    with err.status(f"loading {s.model} ..."):
        lm, tok = load_model(resolve_model(s.model, cache=s.cache_dir), device=s.device, dtype=s.dtype)
    fingerprint = model_fingerprint(lm, tok)
    ns = None
    adapter = None
    if parts is not None:
        trained, layer_index, vsa, enc, dec, read_layers = parts
        if fingerprint["config_sha256"] != trained["model"]["config_sha256"]:
            raise ArtifactError(
                f"{train_run} was trained on another model ({trained['model']['name_or_path']}); pass the same --model"
            )
        if layer_index >= fingerprint["n_layers"]:
            raise ArtifactError(
                f"layer {layer_index} is after the last block: the intervention needs a block input "
                f"(0..{fingerprint['n_layers'] - 1})"
            )
        if method == "ns":
            ns = NSIntervention(
                vsa,
                enc,
                dec,
                layer=layer_index,
                gate=gate,
                mix=mix,
                complexity=complexity,
                oracle=oracle,
                inject=inject,
                read_layers=read_layers,
            )
        else:
            from nsllm_cli.ns.adapter import BottleneckAdapter

            adapter = BottleneckAdapter(
                fingerprint["d_model"],
                layer=layer_index,
                width=vsa.dim,
                mix=mix,
                seed=s.seed,
                init_from=(enc, dec) if init_from_encdec else None,
            )
    target = resume or run_dir
    run = RunDir.create(
        target.parent if target else s.runs_dir,
        "finetune",
        settings=s,
        name=target.name if target else None,
        extra_config={
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
        },
    )
    reporter = Reporter(run, wandb=s.wandb, tensorboard=s.tensorboard)
    template = "loss {loss:.4f} · gate {gate_rate:.0%}" if ns else "loss {loss:.4f}"
    progress = EventProgress("finetune", template, {"loss": float("nan"), "gate_rate": 0.0}, total=steps)

    def on_event(kind: str, payload: dict[str, Any]) -> None:
        if kind == "step":
            reporter.log(**payload)
        progress.on_event(kind, payload)

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
            if ns is not None:
                summary = finetune_ns(
                    lm,
                    tok,
                    problems,
                    ns,
                    run.artifacts,
                    schedule={} if lr_schedule == "none" else None,
                    loss=loss,
                    meta={"model": fingerprint, "train_run": str(train_run), "oracle": oracle},
                    **common,
                )
            elif adapter is not None:
                from nsllm_cli.ns.adapter import finetune_adapter

                summary = finetune_adapter(
                    lm, tok, problems, adapter, run.artifacts, meta={"model": fingerprint}, **common
                )
            else:
                from nsllm_cli.ns.lora import finetune_lora

                summary = finetune_lora(
                    lm,
                    tok,
                    problems,
                    run.artifacts,
                    r=lora_r,
                    alpha=lora_alpha,
                    meta={"model": fingerprint},
                    **common,
                )
    finally:
        reporter.close()
    last = run.metrics()[-1] if run.metrics() else {}
    what = "ns" if ns else ("adapter" if adapter else "lora")
    run.finish({**summary, "final_loss": last.get("loss"), f"{what}_model": str(run.artifacts / what)})
    trained_what = {
        "ns": "the NS decoder",
        "adapter": "the bottleneck adapter",
        "lora": f"a LoRA adapter (r {lora_r})",
    }[what]
    out_console().print(
        f"trained {trained_what} for {steps} steps ({summary['trainable_parameters']:,} parameters); "
        f"last loss {last.get('loss', float('nan')):.4f}"
    )
    out_console().print(f"run: {run.path}   next: nsllm bench math --{what}-run {run.path}")


def _load_train_run(
    train_run: Path, layer: str, encoder: str
) -> tuple[dict[str, Any], int, Any, Any, Any, list[int] | None]:
    """The train run's results, the chosen layer, its atoms, encoder and decoder, and the read layers.

    `encoder`: "single" (the paper's), "multi" (the run's multi-layer encoder; an error if it has
    none), or "auto" (multi when the run has one).
    """
    from nsllm_cli.errors import ArtifactError
    from nsllm_cli.ns.train import load_encdec

    results_path = train_run / "results.json"
    if not results_path.is_file():
        raise ArtifactError(f"{train_run} is not a finished train run (no results.json)")
    trained = json.loads(results_path.read_text(encoding="utf-8"))
    if "best_layer" not in trained:
        raise ArtifactError(f"{train_run} is not a finished train run (its results.json has no best layer)")
    multi = trained.get("multi")
    if encoder == "multi" and not multi:
        raise ArtifactError(f"{train_run} has no multi-layer encoder (train it with --multi-window 1 or more)")
    if encoder in ("multi", "auto") and multi:
        vsa, enc, dec, manifest = load_encdec(train_run / "artifacts", "multi")
        return trained, int(manifest["meta"]["layer"]), vsa, enc, dec, list(manifest["meta"]["read_layers"])
    layer_index = int(trained["best_layer"]) if layer == "auto" else int(layer)
    vsa, enc, dec, _ = load_encdec(train_run / "artifacts", layer_index)
    return trained, layer_index, vsa, enc, dec, None


def _finetune_steps(
    s: Any,
    train_run: Path,
    *,
    n_train: int,
    steps: int,
    batch_size: int,
    lr: float,
    gate: float,
    write_layer: str,
    oracle: bool,
    checkpoint_every: int,
    resume: Path | None,
    run_dir: Path | None,
) -> None:
    """`finetune` on a steps train run: the writer, on the reader's own reads (see `ns.stepwise_train`)."""
    from nsllm_cli.errors import ArtifactError, LayerError
    from nsllm_cli.hooks import num_layers
    from nsllm_cli.jsonl import read_jsonl, write_json_atomic
    from nsllm_cli.models.resolve import load_model, resolve_model
    from nsllm_cli.ns.activations import model_fingerprint
    from nsllm_cli.ns.read_data import reader_items
    from nsllm_cli.ns.spans import user_header_ids
    from nsllm_cli.ns.stepwise import StepwiseNS
    from nsllm_cli.ns.stepwise_store import load_reader
    from nsllm_cli.ns.stepwise_train import finetune_stepwise
    from nsllm_cli.ns.writer import StepWriter
    from nsllm_cli.reporting import Reporter
    from nsllm_cli.runs import RunDir

    reader, vsa, meta = load_reader(train_run / "artifacts" / "reader")
    err = err_console()
    with err.status(f"loading {s.model} ..."):
        lm, tok = load_model(resolve_model(s.model, cache=s.cache_dir), device=s.device, dtype=s.dtype)
    fingerprint = model_fingerprint(lm, tok)
    if fingerprint["config_sha256"] != meta["model"]["config_sha256"]:
        raise ArtifactError(
            f"{train_run} was trained on another model ({meta['model'].get('name_or_path')}); pass the same --model"
        )
    depth = num_layers(lm)
    layer = max(depth - 4, max(meta["read_layers"]) + 1) if write_layer == "auto" else int(write_layer) % depth
    if layer <= max(meta["read_layers"]) or layer >= depth:
        raise LayerError(
            f"the write layer must be a block input after the read layers {meta['read_layers']} (..{depth - 1})"
        )
    complexity = int(meta.get("complexity", 2))
    ns = StepwiseNS(
        vsa,
        reader,
        StepWriter(vsa.dim, fingerprint["d_model"]),
        types=tuple(meta["types"]),
        read_layers=meta["read_layers"],
        write_layer=layer,
        header=user_header_ids(tok),
        gate=gate,
        complexity=complexity,
        max_steps=complexity + 3,
        oracle=oracle,
    )
    items = reader_items(n_pos=n_train, n_neg=0, seed=s.seed + 3, split="train", complexity=complexity)
    target = resume or run_dir
    run = RunDir.create(
        target.parent if target else s.runs_dir,
        "finetune",
        settings=s,
        name=target.name if target else None,
        extra_config={
            "train_run": str(train_run),
            "method": "ns",
            "recipe": "steps",
            "layer": layer,
            "read_layers": meta["read_layers"],
            "steps": steps,
            "batch_size": batch_size,
            "lr": lr,
            "gate": gate,
            "oracle": oracle,
            "questions": len(items),
        },
    )
    keys = {(it.problem_type, it.x, it.y) for it in items}
    gather = Path(meta.get("gather", ""))
    keys |= {(r["problem_type"], r["x"], r["y"]) for r in read_jsonl(gather / "rows.jsonl") if r.get("problem_type")}
    write_json_atomic(run.artifacts / "training_keys.json", sorted(keys))
    reporter = Reporter(run, wandb=s.wandb, tensorboard=s.tensorboard)
    fields = {"loss": float("nan"), "read_ok": 0.0}
    progress = EventProgress("finetune", "loss {loss:.4f} · read ok {read_ok:.0%}", fields, total=steps)

    def on_event(kind: str, payload: dict[str, Any]) -> None:
        if kind == "step":
            reporter.log(**payload)
        progress.on_event(kind, payload)

    try:
        with run.guard(), progress:
            summary = finetune_stepwise(
                lm,
                tok,
                items,
                ns,
                run.artifacts,
                steps=steps,
                batch_size=batch_size,
                lr=lr,
                seed=s.seed,
                checkpoint_every=checkpoint_every,
                on_event=on_event,
                meta={"model": fingerprint, "train_run": str(train_run)},
            )
    finally:
        reporter.close()
    last = run.metrics()[-1] if run.metrics() else {}
    run.finish({**summary, "final_loss": last.get("loss"), "ns_model": str(run.artifacts / "ns")})
    out_console().print(
        f"trained the NS writer at layer {layer} for {steps} steps ({summary['trainable_parameters']:,} parameters; "
        f"reader at layers {', '.join(map(str, meta['read_layers']))}); last loss {last.get('loss', float('nan')):.4f}"
    )
    out_console().print(f"run: {run.path}   next: nsllm bench math --method base,ns --ns-run {run.path}")
