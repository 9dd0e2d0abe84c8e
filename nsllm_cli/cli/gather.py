"""`nsllm gather`: record a model's hidden states on math problems (resumable)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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

if TYPE_CHECKING:
    from nsllm_cli.ns.problems import Problem


@guarded
def gather(
    data: Annotated[
        Path | None,
        typer.Option(
            help="Folder with training/validation/testing CSVs, or one CSV (all rows as 'train'). "
            "Default: generate seeded problems."
        ),
    ] = None,
    layers: Annotated[
        str, typer.Option(help="'all' (0..n_layers) or comma-separated indices; negative from the end.")
    ] = "all",
    n_train: Annotated[int, typer.Option(min=0, help="Generated training questions (8 training types).")] = 10000,
    n_val: Annotated[int, typer.Option(min=0, help="Generated validation questions.")] = 200,
    n_test: Annotated[int, typer.Option(min=0, help="Generated test questions (all 10 types).")] = 1000,
    limit: Annotated[int | None, typer.Option(min=1, help="Keep at most this many questions per split.")] = None,
    complexity: Annotated[int, typer.Option(min=1, max=4, help="Digits of the operands (2: 1..999).")] = 2,
    shots: Annotated[int, typer.Option(min=0, max=8, help="Same-type examples in each prompt.")] = 2,
    batch_size: Annotated[int, typer.Option(min=1, help="Questions per forward pass.")] = 16,
    shard_size: Annotated[int, typer.Option(min=1, help="Questions per safetensors shard (the resume unit).")] = 512,
    resume: Annotated[Path | None, typer.Option(help="Continue a killed gather in this run folder.")] = None,
    model: ModelOpt = None,
    device: DeviceOpt = None,
    dtype: DtypeOpt = None,
    seed: SeedOpt = None,
    config: ConfigOpt = None,
    run_dir: RunDirOpt = None,
) -> None:
    """Record the residual stream at the last prompt token of 2-shot math prompts, for the chosen layers."""
    from nsllm_cli.models.resolve import load_model, resolve_model
    from nsllm_cli.ns.gather import gather as run_gather
    from nsllm_cli.runs import RunDir

    s = settings(config, model=model, device=device, dtype=dtype, seed=seed)
    items = _load_items(
        data, n_train=n_train, n_val=n_val, n_test=n_test, limit=limit, seed=s.seed, complexity=complexity
    )
    layer_spec: str | list[int] = layers if layers == "all" else _parse_layers(layers)
    err = err_console()
    with err.status(f"loading {s.model} ..."):
        lm, tok = load_model(resolve_model(s.model, cache=s.cache_dir), device=s.device, dtype=s.dtype)
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
    from nsllm_cli.ns.data import load_splits

    splits = load_splits(data, n_train=n_train, n_val=n_val, n_test=n_test, seed=seed, complexity=complexity)
    items = [(name, p) for name, problems in splits.items() for p in problems[:limit]]
    if not items:
        raise DataError(f"no questions to gather from {data or 'the generator'} (all counts are 0?)")
    return items
