"""The command surface: help for every command, version, and honest placeholders."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from nsllm_cli import __version__
from nsllm_cli.cli import app
from nsllm_cli.cli._common import hoist_debug
from nsllm_cli.cli.pending import PENDING

runner = CliRunner()
COMMANDS = ["gather", "train", "finetune", "steer", "bench", "serve", "chat", "dashboard", "env", "models", "generate"]


def _flat(text: str) -> str:
    """Help text without rich's box characters and line wrapping."""
    return " ".join(text.replace("│", " ").replace("╭", " ").replace("╰", " ").split())


def _summary(command: Any) -> str:
    """The first paragraph of a command's help, as the help screens print it."""
    return _flat((command.help or "").split("\n\n")[0])


def _command(path: list[str]) -> Any:
    found: Any = typer.main.get_command(app)
    for name in path:
        found = found.get_command(typer.Context(found), name)
        assert found is not None, path
    return found


def _paths() -> list[list[str]]:
    """Every visible command and sub-command, as argv prefixes (`["bench", "ls"]`)."""
    out = []
    root: Any = typer.main.get_command(app)
    for name in root.list_commands(typer.Context(root)):
        out.append([name])
        sub = _command([name])
        for child in getattr(sub, "commands", {}).values():
            if not child.hidden:
                out.append([name, child.name])
    return out


def test_bare_nsllm_prints_help_listing_every_command() -> None:
    """Each command has its own row in the root help, followed by its own summary (no two alike: no mis-wiring)."""
    result = runner.invoke(app, [])
    assert "Usage: nsllm" in result.output
    rows = _flat(result.output)
    summaries = {name: _summary(_command([name])) for name in COMMANDS}
    for name, summary in summaries.items():
        assert summary and f" {name} {summary}" in rows, name
    assert len(set(summaries.values())) == len(COMMANDS)


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_flags(flag: str) -> None:
    result = runner.invoke(app, [flag])
    assert result.exit_code == 0
    assert "Usage: nsllm" in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"nsllm {__version__}"


@pytest.mark.parametrize("path", _paths(), ids=" ".join)
def test_every_command_has_help(path: list[str]) -> None:
    """`nsllm X --help` shows X's usage, summary and every option (a group with a default: the default's)."""
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    usage = re.search(r"Usage: nsllm ([\w -]+?) \[", result.output)
    assert usage is not None and usage.group(1).split()[: len(path)] == path, result.output
    shown = _command(usage.group(1).split())
    text = _flat(result.output)
    assert _summary(shown) and _summary(shown) in text
    params = shown.get_params(typer.Context(shown))
    for option in (p for p in params if p.param_type_name == "option" and not p.hidden):
        assert max(option.opts, key=len) in text, (path, option.name)


def test_command_help_checks_can_fail() -> None:
    """The helpers above really read the commands: another command's summary is not in `env --help`."""
    env_help = _flat(runner.invoke(app, ["env", "--help"]).output)
    assert _summary(_command(["env"])) in env_help
    assert _summary(_command(["gather"])) not in env_help
    assert "--json" in env_help and "--n-train" not in env_help


def test_pending_commands_say_so_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command is built now; the placeholder mechanism stays for the next capability, tested on a fake one."""
    import typer

    from nsllm_cli.cli import pending

    assert not PENDING
    monkeypatch.setitem(PENDING, "teleport", ("Move a run to another machine.", "remote runs (issue #99)"))
    local = typer.Typer()
    local.command("noop")(lambda: None)
    pending.register(local)
    result = runner.invoke(local, ["teleport", "--some-flag", "value"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "nsllm teleport is not available yet" in lines[0] and "issue #99" in lines[0]


def test_debug_flag_is_accepted_anywhere_before_double_dash() -> None:
    assert hoist_debug(["env", "--json", "--debug"]) == ["--debug", "env", "--json"]
    assert hoist_debug(["generate", "--", "--debug"]) == ["generate", "--", "--debug"]
    assert hoist_debug(["env"]) == ["env"]
