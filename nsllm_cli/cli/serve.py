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

from nsllm_cli.cli._common import ConfigOpt, DeviceOpt, DtypeOpt, err_console, guarded, out_console, settings

ServeModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="'embedded' (default), 'tiny', a local model folder, a hub id, or ns:<finetune run folder> (the "
        "neurosymbolic model: the run's own model with its hook, as --model <that model> --ns-run <run>). "
        "Env: NSLLM_MODEL.",
    ),
]


@guarded
def serve(
    model: ServeModelOpt = None,
    host: Annotated[
        str, typer.Option(help="Address to bind; anything but loopback exposes the model without authentication.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port; 0 picks a free one (printed).")] = 8000,
    ns_run: Annotated[
        Path | None,
        typer.Option(
            help="A finetune run folder: serve the neurosymbolic model from its artifacts/ns (--model must be the "
            "model the run was trained on)."
        ),
    ] = None,
    device: DeviceOpt = None,
    dtype: DtypeOpt = None,
    model_id: Annotated[
        str | None,
        typer.Option(
            help="Model name clients pass as `model` (default: the model's name, plus '+ns' with --ns-run or ns:)."
        ),
    ] = None,
    max_tokens: Annotated[
        int, typer.Option(min=1, help="Token budget of an answer when the request sets none (default 512).")
    ] = 512,
    max_queue: Annotated[
        int,
        typer.Option(
            min=0,
            help="Requests that may wait for the model while it answers another (default 16). One more gets HTTP "
            "503 with a Retry-After header at once; 0 answers one request at a time and refuses the rest.",
        ),
    ] = 16,
    config: ConfigOpt = None,
) -> None:
    """Serve a local model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/models, /health, /stats).

    One request generates at a time; the others wait in a queue of --max-queue, in arrival order. A client
    that disconnects stops its generation within a token.
    """
    from nsllm_cli.errors import ConfigError
    from nsllm_cli.providers.ns_run import check_given_spec, read_ns_run

    s = settings(config, model=model, device=device, dtype=dtype)
    err = err_console()
    spec = s.model
    if spec.startswith("ns:"):  # the neurosymbolic model: the run's own model, with the run's hook
        if ns_run is not None:
            raise ConfigError(f"--model {spec} already names the NS run; leave out --ns-run")
        ns_run = Path(spec[3:].strip()).expanduser()
        spec = read_ns_run(ns_run).model_spec
    elif ns_run is not None:  # before loading: a wrong folder or another alias fails fast
        check_given_spec(read_ns_run(ns_run), spec)

    # Before torch loads: OpenMP threads sleep between kernels instead of spinning. On a small or shared CPU
    # the spinning threads steal the cores the generation needs (measured 2.5 -> 8 tok/s on 2 busy cores).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import uvicorn
    from rich.markup import escape

    from nsllm_cli.models.resolve import load_model, resolve_model
    from nsllm_cli.providers.ns_local import load_ns_run
    from nsllm_cli.serving import base_url, create_app, listen

    sock = listen(host, port)  # before loading: a busy port fails fast
    try:
        with err.status(f"loading {spec} ..."):
            resolved = resolve_model(spec, cache=s.cache_dir)
            lm, tok = load_model(resolved, device=s.device, dtype=s.dtype)
            ns = load_ns_run(ns_run, lm, tok, given=spec) if ns_run is not None else None
        default_id = Path(spec).name if resolved.kind == "local" else spec
        name = model_id or default_id + ("+ns" if ns is not None else "")
        app = create_app(lm, tok, model_id=name, ns=ns, default_max_tokens=max_tokens, max_queue=max_queue)
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
