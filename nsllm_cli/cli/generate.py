"""`nsllm generate`: one streamed chat answer from a local model, recorded in a run folder."""

from __future__ import annotations

import sys
from typing import Annotated

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
    settings,
    stdin_or,
)


@guarded
def generate(
    prompt: Annotated[str, typer.Argument(help="The user message; '-' reads it from standard input.")],
    model: ModelOpt = None,
    device: DeviceOpt = None,
    dtype: DtypeOpt = None,
    system: Annotated[str | None, typer.Option(help="System message (default: the chat template's own).")] = None,
    max_new_tokens: Annotated[int, typer.Option(min=1, help="Most tokens to generate.")] = 64,
    temperature: Annotated[float, typer.Option(min=0.0, help="0 = greedy (default, reproducible); > 0 samples.")] = 0.0,
    seed: SeedOpt = None,
    config: ConfigOpt = None,
    run_dir: RunDirOpt = None,
) -> None:
    """Answer one prompt with a local model, streaming the text; the run folder keeps settings and result."""
    from nsllm_cli.errors import NsllmError

    text = stdin_or(prompt).strip()
    if not text:
        raise NsllmError("the prompt is empty")
    s = settings(config, model=model, device=device, dtype=dtype, seed=seed)
    err = err_console()

    from nsllm_cli.cli._run import open_run
    from nsllm_cli.generation import chat_messages, generate_chat
    from nsllm_cli.models.resolve import load_model, resolve_model

    with err.status(f"loading {s.model} ..."):
        resolved = resolve_model(s.model, cache=s.cache_dir)
        lm, tok = load_model(resolved, device=s.device, dtype=s.dtype)
    run = open_run(
        s,
        "generate",
        run_dir=run_dir,
        extra_config={"prompt": text, "system": system, "max_new_tokens": max_new_tokens, "temperature": temperature},
    )
    with run.guard():
        result = generate_chat(
            lm,
            tok,
            chat_messages(text, system),
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            seed=s.seed,
            on_text=_echo,
        )
    sys.stdout.write("\n")
    run.finish(
        {
            "model": {"spec": resolved.spec, "kind": resolved.kind, "source": resolved.source},
            "answer": result.text,
            "prompt_tokens": result.prompt_tokens,
            "new_tokens": result.new_tokens,
            "seconds": round(result.seconds, 3),
            "tokens_per_s": round(result.tokens_per_s, 2),
        }
    )
    speed = f"{result.new_tokens} tokens in {result.seconds:.1f} s ({result.tokens_per_s:.1f} tok/s)"
    err.print(f"[dim]{speed} · run: {run.path}[/]")


def _echo(piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()
