"""`steer` and `finetune` are groups whose default subcommand keeps the old command lines working."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from nsllm_cli.cli import app

runner = CliRunner()


def test_old_command_lines_reach_the_default_subcommand(tmp_path: Path) -> None:
    ns_help = runner.invoke(app, ["finetune", "--help"])
    assert ns_help.exit_code == 0 and "--train-run" in ns_help.output
    ask = runner.invoke(app, ["steer", "--task-llm", "fake", "--steer-llm", "fake", "-q", "--max-rounds", "0",
                              "--run-dir", str(tmp_path / "run"), "Say <<<ok>>>"])  # fmt: skip
    assert ask.exit_code == 0, ask.output
    transcript = json.loads((tmp_path / "run" / "transcript.json").read_text())
    assert transcript["question"] == "Say <<<ok>>>"
    explicit = runner.invoke(app, ["steer", "ask", "--help"])
    assert explicit.exit_code == 0 and "--task-llm" in explicit.output


def test_a_bad_option_still_fails_in_one_line() -> None:
    result = runner.invoke(app, ["finetune", "--no-such-option"])
    assert result.exit_code == 2 and "No such option" in result.output
