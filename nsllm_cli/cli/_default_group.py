"""Command groups whose subcommand may be left out: `nsllm steer "Q"` asks, `nsllm steer collect ...` collects.

`steer` and `finetune` were single commands before they grew subcommands; a group that falls back to a
default command keeps every existing command line working.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup


class DefaultGroup(TyperGroup):
    """A TyperGroup that runs `default_command` when the first argument names none of its subcommands."""

    default_command = ""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer vendors its own click.Context
        if not args or args[0] not in self.commands:
            args = [self.default_command, *args]
        result: list[str] = super().parse_args(ctx, args)
        return result


def default_group(command: str) -> Any:
    """A DefaultGroup class whose default subcommand is `command` (for `typer.Typer(cls=...)`)."""
    return type(f"DefaultGroup_{command}", (DefaultGroup,), {"default_command": command})
