"""Every command's --help shows every option name whole at 80 columns (no `--allow-co…`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from nsllm_cli.cli import app

runner = CliRunner()


def _walk(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    """Every command and group of the tree, hidden ones included, with the argv path that reaches it."""
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _walk(sub, (*path, name))


COMMANDS = list(_walk(typer.main.get_command(app)))


def test_the_walk_finds_the_command_tree() -> None:
    paths = {" ".join(path) for path, _ in COMMANDS}
    assert {"", "gather", "steer", "steer ask", "steer collect", "bench", "finetune"} <= paths


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "nsllm" for p, _ in COMMANDS])
def test_help_at_80_columns_shows_every_option_name_whole(path: tuple[str, ...], command: object) -> None:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80", "TERMINAL_WIDTH": "80"})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    names = [
        name
        for param in getattr(command, "params", [])
        if not getattr(param, "hidden", False)
        for name in (*param.opts, *param.secondary_opts)
        if name.startswith("-")
    ]
    missing = [n for n in names if not re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", result.output)]
    assert not missing, f"cut off in `nsllm {' '.join(path)} --help` at 80 columns: {missing}\n{result.output}"
