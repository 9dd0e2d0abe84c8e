"""What every command shares: option types, the error guard, settings and consoles."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from nsllm_cli.consent import ALLOW_ENV, ALLOW_FLAG

if TYPE_CHECKING:
    from rich.console import Console

    from nsllm_cli.config import Settings

F = TypeVar("F", bound=Callable[..., Any])


class _State:
    debug: bool = os.environ.get("NSLLM_DEBUG", "").lower() in {"1", "true", "yes"}


STATE = _State()

ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model", "-m", help="'embedded' (default), 'tiny', a local model folder or a hub id. Env: NSLLM_MODEL."
    ),
]
DeviceOpt = Annotated[
    str | None, typer.Option(help="auto (default: cuda if available, else cpu), cpu, cuda, cuda:N, mps.")
]
DtypeOpt = Annotated[
    str | None, typer.Option(help="auto (default: float32 on CPU, bfloat16 on GPU), float32, bfloat16, float16.")
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="YAML file of settings, or a run's config.yaml to replay; below flags, above env and .env.",
    ),
]
SeedOpt = Annotated[int | None, typer.Option(help="Seed for every random choice (default 0). Env: NSLLM_SEED.")]
RunDirOpt = Annotated[
    Path | None, typer.Option("--run-dir", help="Run folder to write (default: <runs dir>/<command>-<time>-<id>).")
]
AllowCodeOpt = Annotated[
    bool,
    typer.Option(
        ALLOW_FLAG,
        "--allow-code-exec",
        help=f"Run model-written Python (answers, checking programs) in the sandbox; off: code is an error. "
        f"Env: {ALLOW_ENV}=1.",
    ),
]
SandboxDiskOpt = Annotated[
    int,
    typer.Option(
        "--sandbox-disk",
        min=0,
        help="Disk budget of each sandboxed program's folder (and its /dev/shm), in MB (10^6 bytes); default 256; "
        "0: none beyond the 16 MiB per file.",
    ),
]


def sandbox_executor(disk_mb: int) -> Callable[[str], Any]:
    """The sandbox's `run_code` with the user's limits (what `--sandbox-disk` sets), for the steering loop."""
    from nsllm_cli.sandbox import Limits, run_code

    return functools.partial(run_code, limits=Limits(disk_bytes=disk_mb * 1_000_000))


def err_console() -> Console:
    """Rich console on stderr, for messages that must not mix with piped output."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def out_console() -> Console:
    """Rich console on stdout."""
    from rich.console import Console

    return Console(highlight=False)


def guarded(fn: F) -> F:
    """Turn nsllm errors into one line on stderr and an exit code; --debug shows the traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from nsllm_cli.errors import NsllmError

        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt as exc:
            if STATE.debug:
                raise
            code = getattr(exc, "exit_code", 130)  # `stopping.Stopped` knows its signal: 130 SIGINT, 143 SIGTERM
            err_console().print("[yellow]interrupted[/]" if code == 130 else f"[yellow]{exc}[/]")
            raise typer.Exit(code) from None
        except NsllmError as exc:
            if STATE.debug:
                raise
            err_console().print(f"[bold red]error:[/] {exc}", soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:  # noqa: BLE001 - a bug still gets one line unless --debug
            if STATE.debug:
                raise
            err_console().print(
                f"[bold red]internal error:[/] {exc.__class__.__name__}: {exc} (rerun with --debug for the traceback)",
                soft_wrap=True,
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def settings(config: Path | None = None, **flags: Any) -> Settings:
    """Resolve settings for a command; flags that are None were not given."""
    from nsllm_cli.config import load_settings

    return load_settings(config, **flags)


def hoist_debug(argv: list[str]) -> list[str]:
    """Accept `--debug` anywhere before `--` by moving it in front of the command name."""
    if "--debug" not in argv:
        return argv
    cut = argv.index("--") if "--" in argv else len(argv)
    head = [a for a in argv[:cut] if a != "--debug"]
    if len(head) == cut:
        return argv
    return ["--debug", *head, *argv[cut:]]


def stdin_or(text: str) -> str:
    """`-` means: read the text from standard input."""
    return sys.stdin.read() if text == "-" else text
