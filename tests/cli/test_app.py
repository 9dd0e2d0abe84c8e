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


@pytest.mark.parametrize("command", sorted(PENDING))
def test_pending_commands_say_so_and_exit_2(command: str) -> None:
    result = runner.invoke(app, [command, "--some-flag", "value"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"nsllm {command} is not available yet" in lines[0]
    assert "issue #" in lines[0]


def test_debug_flag_is_accepted_anywhere_before_double_dash() -> None:
    assert hoist_debug(["env", "--json", "--debug"]) == ["--debug", "env", "--json"]
    assert hoist_debug(["generate", "--", "--debug"]) == ["generate", "--", "--debug"]
    assert hoist_debug(["env"]) == ["env"]
