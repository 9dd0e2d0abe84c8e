"""The command surface: help for every command, version, and honest placeholders."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from nsllm_cli import __version__
from nsllm_cli.cli import app
from nsllm_cli.cli._common import hoist_debug
from nsllm_cli.cli.pending import PENDING

runner = CliRunner()
COMMANDS = ["gather", "train", "finetune", "steer", "bench", "serve", "chat", "dashboard", "env", "models", "generate"]


def test_bare_nsllm_prints_help_listing_every_command() -> None:
    result = runner.invoke(app, [])
    assert "Usage: nsllm" in result.output
    for name in COMMANDS:
        assert name in result.output


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_flags(flag: str) -> None:
    result = runner.invoke(app, [flag])
    assert result.exit_code == 0
    assert "Usage: nsllm" in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"nsllm {__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert f"nsllm {command}" in result.output


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
