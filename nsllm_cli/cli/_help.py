"""Help that shows every option name whole at any width, 80 columns included.

Typer's rich help lays options out in six columns (long names, short names, `--no-` names, short `--no-`
names, type, help). Rich shrinks all of them evenly when they do not fit, so at 80 columns long names were cut
(`--allow-code-exe…`) beside a mostly empty `--no-` column. Commands therefore print click's plain help, which
puts a long name on a line of its own and wraps only the help text; groups keep typer's rich panels, whose
command names are short.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup


def plain_option_help(command: Any) -> Any:
    """Make every command (not group) below `command` print click's plain help; returns `command`."""
    for sub in getattr(command, "commands", {}).values():
        plain_option_help(sub)
    if not isinstance(command, TyperGroup) and hasattr(command, "rich_markup_mode"):
        command.rich_markup_mode = None
    return command


class HelpGroup(TyperGroup):
    """A TyperGroup whose commands print click's plain help (see the module docstring)."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:  # typer vendors its own click.Context
        return plain_option_help(super().get_command(ctx, cmd_name))
