"""`nsllm serve`: a local model, loaded once, behind an OpenAI-compatible HTTP API."""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from nsllm_cli.cli._common import ConfigOpt, DeviceOpt, DtypeOpt, ModelOpt, err_console, guarded, out_console, settings


@guarded
def serve(
    model: ModelOpt = None,
    host: Annotated[
        str, typer.Option(help="Address to bind; anything but loopback exposes the model without authentication.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port; 0 picks a free one (printed).")] = 8000,
    ns_run: Annotated[
        Path | None,
        typer.Option(help="A finetune run folder: serve the neurosymbolic model from its artifacts/ns."),
    ] = None,
    device: DeviceOpt = None,
    dtype: DtypeOpt = None,
    model_id: Annotated[
        str | None,
        typer.Option(help="Model name clients pass as `model` (default: the --model value, plus '+ns' with --ns-run)."),
    ] = None,
    max_tokens: Annotated[
        int, typer.Option(min=1, help="Token budget of an answer when the request sets none (default 512).")
    ] = 512,
    config: ConfigOpt = None,
) -> None:
    """Serve a local model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/models, /health)."""
    from nsllm_cli.errors import ArtifactError

    s = settings(config, model=model, device=device, dtype=dtype)
    err = err_console()
    ns_folder = ns_run / "artifacts" / "ns" if ns_run is not None else None
    if ns_run is not None and (ns_folder is None or not ns_folder.is_dir()):
        raise ArtifactError(f"{ns_run} is not a finished finetune run (no artifacts/ns)")

    # Before torch loads: OpenMP threads sleep between kernels instead of spinning. On a small or shared CPU
    # the spinning threads steal the cores the generation needs (measured 2.5 -> 8 tok/s on 2 busy cores).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import uvicorn
    from rich.markup import escape

    from nsllm_cli.models.resolve import load_model, resolve_model
    from nsllm_cli.serving import base_url, create_app, listen

    sock = listen(host, port)  # before loading: a busy port fails fast
    try:
        with err.status(f"loading {s.model} ..."):
            resolved = resolve_model(s.model, cache=s.cache_dir)
            lm, tok = load_model(resolved, device=s.device, dtype=s.dtype)
            ns = _load_ns(ns_folder, ns_run, lm, tok) if ns_folder is not None else None
        default_id = Path(s.model).name if resolved.kind == "local" else s.model
        name = model_id or default_id + ("+ns" if ns is not None else "")
        app = create_app(lm, tok, model_id=name, ns=ns, default_max_tokens=max_tokens)
        url = base_url(sock)
        if not _is_loopback(host):
            err.print(
                f"[yellow]warning:[/] {escape(host)} is not loopback: anyone who can reach it can use the model "
                "(no API key)",
                soft_wrap=True,
            )
        _print_usage(name, url, ns_run)
        print(f"listening on {url}", flush=True)
        server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=3, lifespan="off")
        )
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass  # uvicorn re-raises the Ctrl-C it handled once it has shut down cleanly
        finally:
            signal.signal(signal.SIGTERM, previous)
    finally:
        sock.close()
    err.print("[dim]server stopped[/]")


def _load_ns(folder: Path, run: Path | None, lm: Any, tok: Any) -> Any:
    """The run's NS intervention, refused when it was trained on another model."""
    from nsllm_cli.errors import ArtifactError
    from nsllm_cli.ns.activations import model_fingerprint
    from nsllm_cli.ns.finetune import load_ns

    ns, manifest = load_ns(folder)
    trained = manifest.get("meta", {}).get("model", {}).get("config_sha256")
    if trained is not None and trained != model_fingerprint(lm, tok)["config_sha256"]:
        raise ArtifactError(f"{run} was trained on another model; pass the same --model")
    return ns


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM ends the server like Ctrl-C does (uvicorn re-sends it after its own clean shutdown)."""
    raise KeyboardInterrupt


def _print_usage(name: str, url: str, ns_run: Path | None) -> None:
    from rich.markup import escape

    out = out_console()
    what = f"{name} (neurosymbolic, from {ns_run})" if ns_run else name
    out.print(f"serving [bold]{escape(what)}[/] at [bold]{escape(url)}[/]", soft_wrap=True)
    body = json.dumps({"model": name, "messages": [{"role": "user", "content": "Hello"}]})
    examples = [
        f"curl {url}/chat/completions -H 'Content-Type: application/json' -d '{body}'",
        f'python -c \'from openai import OpenAI; c = OpenAI(base_url="{url}", api_key="none"); '
        f'print(c.chat.completions.create(model="{name}", messages=[{{"role": "user", "content": "Hello"}}])'
        ".choices[0].message.content)'",
    ]
    for line in examples:
        out.print(f"  {line}", style="dim", markup=False, highlight=False, soft_wrap=True)
    sys.stdout.flush()
