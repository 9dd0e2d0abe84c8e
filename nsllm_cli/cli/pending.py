"""Commands whose capability is still being built: they say so and exit 2, never pretend."""

from __future__ import annotations

from collections.abc import Callable

import typer

from nsllm_cli.cli._common import guarded
from nsllm_cli.errors import NotImplementedYetError

PENDING: dict[str, tuple[str, str]] = {}
"""name -> (summary, what it arrives with); empty while every command is built."""


def register(app: typer.Typer) -> None:
    """Add one placeholder command per pending capability."""
    for name, (summary, arrives) in PENDING.items():
        app.command(
            name,
            help=f"{summary} [not available yet: arrives with {arrives}]",
            context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
            rich_help_panel="Coming next",
        )(_placeholder(name, arrives))


def _placeholder(name: str, arrives: str) -> Callable[[typer.Context], None]:
    @guarded
    def command(ctx: typer.Context) -> None:
        raise NotImplementedYetError(f"nsllm {name} is not available yet: it arrives with {arrives}")

    command.__name__ = f"{name}_pending"
    return command
