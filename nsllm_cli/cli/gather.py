"""`nsllm gather`: record a model's hidden states on math problems (resumable)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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

if TYPE_CHECKING:
    from nsllm_cli.ns.problems import Problem


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
    layers: Annotated[
        str,
        typer.Option(
            help="'auto' (steps: the block inputs at 2/15, 4/15 and 6/15 of the depth, 4,8,12 on SmolLM2; paper: all), "
            "'all' (0..n_layers) or comma-separated indices; negative from the end."
        ),
    ] = "auto",
    n_train: Annotated[
        int | None,
        typer.Option(min=0, help="Generated training questions, 8 training types (default: steps 3000, paper 10000)."),
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
    from nsllm_cli.ns.gather import gather as run_gather
    from nsllm_cli.ns.gather import resolve_layers
    from nsllm_cli.runs import RunDir

    if recipe not in ("steps", "paper"):
        raise NsllmError(f"unknown --recipe {recipe!r}: use steps or paper")
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
            batch_size=batch_size,
            shard_size=shard_size,
            resume=resume,
            run_dir=run_dir,
        )
        return
    n_train = 10000 if n_train is None else n_train
    layers = "all" if layers == "auto" else layers
    items = _load_items(
        data, n_train=n_train, n_val=n_val, n_test=n_test, limit=limit, seed=s.seed, complexity=complexity
    )
    layer_spec: str | list[int] = layers if layers == "all" else _parse_layers(layers)
    resolved = resolve_model(s.model, cache=s.cache_dir)
    resolve_layers(layer_spec, model_depth(resolved))  # a layer out of range fails before the weights load
    err = err_console()
    with err.status(f"loading {s.model} ..."):
        lm, tok = load_model(resolved, device=s.device, dtype=s.dtype)
    target = resume or run_dir
    run = RunDir.create(
        target.parent if target else s.runs_dir,
        "gather",
        settings=s,
        name=target.name if target else None,
        extra_config={
            "data": str(data) if data else "generated",
            "layers": layers,
            "complexity": complexity,
            "shots": shots,
            "batch_size": batch_size,
            "shard_size": shard_size,
            "questions": len(items),
        },
    )
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


def _load_items(
    data: Path | None, *, n_train: int, n_val: int, n_test: int, limit: int | None, seed: int, complexity: int
) -> list[tuple[str, Problem]]:
    from nsllm_cli.errors import DataError
    from nsllm_cli.ns.dataset import load_splits

    splits = load_splits(data, n_train=n_train, n_val=n_val, n_test=n_test, seed=seed, complexity=complexity)
    items = [(name, p) for name, problems in splits.items() for p in problems[:limit]]
    if not items:
        raise DataError(f"no questions to gather from {data or 'the generator'} (all counts are 0?)")
    return items


def _gather_steps(
    s: Any,
    *,
    layers: str,
    n_train: int,
    n_neg: int | None,
    n_val: int,
    complexity: int,
    batch_size: int,
    shard_size: int,
    resume: Path | None,
    run_dir: Path | None,
) -> None:
    """`gather --recipe steps`: reader training data (train / val / held-out wordings, with negatives)."""
    from nsllm_cli.errors import DataError
    from nsllm_cli.hooks import num_layers
    from nsllm_cli.models.resolve import load_model, model_depth, resolve_model
    from nsllm_cli.ns.read_data import reader_items
    from nsllm_cli.ns.span_gather import gather_spans
    from nsllm_cli.runs import RunDir

    if n_train == 0:
        raise DataError("the steps recipe needs training questions (--n-train > 0)")
    negatives = round(0.4 * n_train) if n_neg is None else n_neg
    val_neg = round(0.4 * n_val)
    resolved = resolve_model(s.model, cache=s.cache_dir)
    depth = model_depth(resolved)  # from the model's config: a bad --layers fails before the weights load
    read_layers = auto_read_layers(depth) if layers in ("auto", "all") else _parse_layers(layers)
    if any(not 0 <= (layer + depth if layer < 0 else layer) <= depth - 2 for layer in read_layers):
        from nsllm_cli.errors import LayerError

        raise LayerError(
            f"--layers {layers}: read layers must be block inputs below the last block "
            f"(0..{depth - 2}, or -{depth}..-2 from the end; the model has {depth} blocks)"
        )
    read_layers = sorted({layer % depth if layer < 0 else layer for layer in read_layers})
    err = err_console()
    with err.status(f"loading {s.model} ..."):
        lm, tok = load_model(resolved, device=s.device, dtype=s.dtype)
    if num_layers(lm) != depth:
        raise DataError(f"{s.model}: its config says {depth} blocks, the loaded model has {num_layers(lm)}")
    items = {
        "train": reader_items(n_pos=n_train, n_neg=negatives, seed=s.seed, split="train", complexity=complexity),
        "val": reader_items(n_pos=n_val, n_neg=val_neg, seed=s.seed + 1, split="train", complexity=complexity),
        "heldout": reader_items(n_pos=n_val, n_neg=val_neg, seed=s.seed + 2, split="heldout", complexity=complexity),
    }
    config = {"n_train": n_train, "n_neg": negatives, "n_val": n_val, "complexity": complexity}
    target = resume or run_dir
    run = RunDir.create(
        target.parent if target else s.runs_dir,
        "gather",
        settings=s,
        name=target.name if target else None,
        extra_config={"recipe": "steps", "read_layers": read_layers, "batch_size": batch_size, **config},
    )
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
    out.print(f"run: {run.path}   next: nsllm train --gather {run.path}")


def auto_read_layers(depth: int) -> list[int]:
    """The reader's default block inputs: at 2/15, 4/15 and 6/15 of the depth (4, 8 and 12 of SmolLM2's 30
    blocks). Digits and their roles peak early (neurosymbolic.md, appendix); the third, later layer carries more
    of the operation's meaning, which is what new wordings need. A model of under 10 blocks reads the block
    inputs 0 and 1 (only 0 with 2 blocks), so that a later block is left to write in."""
    if depth < 10:
        return [0] if depth <= 2 else [0, 1]
    return sorted({max(1, round(depth * k / 15)) for k in (2, 4, 6)})
