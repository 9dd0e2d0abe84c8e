"""`nsllm gather`: record a model's hidden states on math problems (resumable)."""

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
from nsllm_cli.cli._run import open_run


@guarded
@resumable
def gather(
    ctx: typer.Context,
    data: Annotated[
        Path | None,
        typer.Option(
            help="paper recipe: a folder with training/validation/testing CSVs, or one CSV (all rows as 'train'). "
            "Default: generate seeded problems."
        ),
    ] = None,
    recipe: Annotated[
        str,
        typer.Option(
            help="steps (default): every question token at the read layers, many wordings, two prompt shapes "
            "and negatives, for the step-wise NS model; paper: the last prompt token of 2-shot prompts."
        ),
    ] = "steps",
    ops: Annotated[
        str | None,
        typer.Option(
            help="the operations the NS model learns: 'all' (the steps recipe's default: the paper's 10, subtraction "
            "and power modulo), 'paper' (the paper's 8, addition and division unseen; --recipe paper's only choice) "
            "or a comma list of types and presets, e.g. 'paper,addition'; the paper's others are its unseen "
            "operations. train, finetune and bench follow what gather records.",
            show_default=False,
        ),
    ] = None,
    layers: Annotated[
        str,
        typer.Option(
            help="'auto' (steps: the block inputs at 2/15 to 10/15 of the depth, 4,8,12,16,20 on SmolLM2; paper: all), "
            "'all' (0..n_layers) or comma-separated indices; negative from the end."
        ),
    ] = "auto",
    n_train: Annotated[
        int | None,
        typer.Option(min=0, help="Generated training questions of the --ops types (default: steps 3000, paper 10000)."),
    ] = None,
    n_neg: Annotated[
        int | None,
        typer.Option(min=0, help="steps: negatives (non-math, numeric non-math, other maths); default 40% of n-train."),
    ] = None,
    n_val: Annotated[
        int,
        typer.Option(
            min=0, help="Generated validation questions (steps: also as many in held-out wordings, + 40% negatives)."
        ),
    ] = 200,
    n_test: Annotated[int, typer.Option(min=0, help="Generated test questions (all 10 types).")] = 1000,
    limit: Annotated[int | None, typer.Option(min=1, help="Keep at most this many questions per split.")] = None,
    complexity: Annotated[int, typer.Option(min=1, max=4, help="Digits of the operands (2: 1..999).")] = 2,
    shots: Annotated[int, typer.Option(min=0, max=8, help="Same-type examples in each prompt.")] = 2,
    batch_size: Annotated[int, typer.Option(min=1, help="Questions per forward pass.")] = 16,
    shard_size: Annotated[int, typer.Option(min=1, help="Questions per safetensors shard (the resume unit).")] = 512,
    resume: Annotated[
        Path | None,
        typer.Option(help="Continue a killed gather in this run folder, with the options it was started with."),
    ] = None,
    model: ModelOpt = None,
    device: DeviceOpt = None,
    dtype: DtypeOpt = None,
    seed: SeedOpt = None,
    config: ConfigOpt = None,
    run_dir: RunDirOpt = None,
) -> None:
    """Record a model's hidden states on math prompts: every question token at the reader's layers (steps recipe,
    the default) or the last prompt token of 2-shot prompts (--recipe paper)."""
    from nsllm_cli.errors import NsllmError
    from nsllm_cli.models.resolve import load_model, model_depth, resolve_model
    from nsllm_cli.ns.dataset import gather_items
    from nsllm_cli.ns.paper.gather import gather as run_gather
    from nsllm_cli.ns.prefill import resolve_layers

    if recipe not in ("steps", "paper"):
        raise NsllmError(f"unknown --recipe {recipe!r}: use steps or paper")
    from nsllm_cli.ns.problems import TRAIN_TYPES, resolve_ops

    try:
        chosen_ops = resolve_ops(ops or ("all" if recipe == "steps" else "paper"))
    except ValueError as exc:
        raise NsllmError(str(exc)) from None
    if recipe == "paper" and chosen_ops != TRAIN_TYPES:
        raise NsllmError("--recipe paper trains the paper's 8 operations (--ops paper); other --ops: --recipe steps")
    s = settings(config, model=model, device=device, dtype=dtype, seed=seed)
    if recipe == "steps":
        if data is not None:
            raise NsllmError("--data is for --recipe paper; the steps recipe generates its own wordings")
        _gather_steps(
            s,
            layers=layers,
            n_train=3000 if n_train is None else n_train,
            n_neg=n_neg,
            n_val=n_val,
            complexity=complexity,
            ops=chosen_ops,
            batch_size=batch_size,
            shard_size=shard_size,
            resume=resume,
            run_dir=run_dir,
        )
        return
    n_train = 10000 if n_train is None else n_train
    layers = "all" if layers == "auto" else layers
    items = gather_items(
        data, n_train=n_train, n_val=n_val, n_test=n_test, limit=limit, seed=s.seed, complexity=complexity
    )
    layer_spec: str | list[int] = layers if layers == "all" else _parse_layers(layers)
    resolved = resolve_model(s.model, cache=s.cache_dir)
    resolve_layers(layer_spec, model_depth(resolved))  # a layer out of range fails before the weights load
    err = err_console()
    with err.status(f"loading {s.model} ..."):
        lm, tok = load_model(resolved, device=s.device, dtype=s.dtype)
    extra_config = {
        "data": str(data) if data else "generated",
        "layers": layers,
        "complexity": complexity,
        "shots": shots,
        "batch_size": batch_size,
        "shard_size": shard_size,
        "questions": len(items),
    }
    run = open_run(s, "gather", resume=resume, run_dir=run_dir, extra_config=extra_config)
    with run.guard():
        with EventProgress("gather", "{questions_per_s:.1f} q/s", {"questions_per_s": 0.0}) as progress:
            manifest = run_gather(
                lm,
                tok,
                items,
                run.path / "activations",
                layers=layer_spec,
                seed=s.seed,
                complexity=complexity,
                shots=shots,
                batch_size=batch_size,
                shard_size=shard_size,
                on_event=progress.on_event,
            )
    summary = {k: manifest[k] for k in ("layers", "splits", "done", "questions_per_s")}
    run.finish({"command": "gather", **summary, "activations": str(run.path / "activations")})
    out = out_console()
    out.print(
        f"gathered {manifest['done']} questions ({', '.join(f'{k} {v}' for k, v in manifest['splits'].items())}) "
        f"at {manifest['questions_per_s']:.1f} questions/s, {len(manifest['layers'])} layer(s)"
    )
    out.print(f"run: {run.path}   next: nsllm train --gather {run.path}")


def _parse_layers(text: str) -> list[int]:
    from nsllm_cli.errors import LayerError

    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise LayerError(f"invalid --layers {text!r}: use 'all' or comma-separated integers like 4,17,-1") from exc


def _gather_steps(
    s: Any,
    *,
    layers: str,
    n_train: int,
    n_neg: int | None,
    n_val: int,
    complexity: int,
    ops: tuple[str, ...],
    batch_size: int,
    shard_size: int,
    resume: Path | None,
    run_dir: Path | None,
) -> None:
    """`gather --recipe steps`: reader training data (train / val / held-out wordings, with negatives)."""
    from nsllm_cli.errors import DataError
    from nsllm_cli.hooks import num_layers
    from nsllm_cli.models.resolve import load_model, model_depth, resolve_model
    from nsllm_cli.ns.problems import unseen_of
    from nsllm_cli.ns.steps.gather import gather_spans, read_layers_for, span_items

    items, config = span_items(n_train=n_train, n_neg=n_neg, n_val=n_val, seed=s.seed, complexity=complexity, ops=ops)
    resolved = resolve_model(s.model, cache=s.cache_dir)
    depth = model_depth(resolved)  # from the model's config: a bad --layers fails before the weights load
    requested = None if layers in ("auto", "all") else _parse_layers(layers)
    read_layers = read_layers_for(requested, depth, spec=layers)
    err = err_console()
    with err.status(f"loading {s.model} ..."):
        lm, tok = load_model(resolved, device=s.device, dtype=s.dtype)
    if num_layers(lm) != depth:
        raise DataError(f"{s.model}: its config says {depth} blocks, the loaded model has {num_layers(lm)}")
    extra_config = {"recipe": "steps", "read_layers": read_layers, "batch_size": batch_size, **config}
    run = open_run(s, "gather", resume=resume, run_dir=run_dir, extra_config=extra_config)
    with run.guard():
        with EventProgress("gather", "{questions_per_s:.1f} prompts/s", {"questions_per_s": 0.0}) as progress:
            manifest = gather_spans(
                lm,
                tok,
                items,
                run.path / "activations",
                read_layers=read_layers,
                seed=s.seed,
                config=config,
                batch_size=batch_size,
                shard_size=shard_size,
                on_event=progress.on_event,
            )
    counts = manifest["counts"]
    run.finish(
        {
            "command": "gather",
            "recipe": "steps",
            "read_layers": read_layers,
            "ops": list(ops),
            "counts": counts,
            "questions_per_s": manifest["questions_per_s"],
            "activations": str(run.path / "activations"),
        }
    )
    out = out_console()
    out.print(
        f"gathered {sum(counts.values())} prompts ({', '.join(f'{k} {v}' for k, v in counts.items())}) at "
        f"{manifest['questions_per_s']:.1f} prompts/s; read layers {', '.join(map(str, read_layers))}"
    )
    unseen = unseen_of(ops)
    out.print(f"operations: {', '.join(ops)}" + (f"   unseen: {', '.join(unseen)}" if unseen else ""))
    out.print(f"run: {run.path}   next: nsllm train --gather {run.path}")
