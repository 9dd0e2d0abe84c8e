"""`nsllm chat`: the line-based --plain mode (in a pipe, in-process) and one-line errors for bad options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.providers.local import LocalProvider
from tests.conftest import nsllm_env

runner = CliRunner()


def test_plain_mode_in_a_pipe_prints_both_columns_labelled(tiny_ns_run: Path, tmp_path: Path) -> None:
    args = ["chat", "--plain", "--model", "tiny", "--ns-run", str(tiny_ns_run), "--temperature", "1"]
    proc = subprocess.run(
        [sys.executable, "-m", "nsllm_cli", *args, "--max-tokens", "6"],
        input="What is 866 gcd 46?\n",
        capture_output=True,
        text=True,
        timeout=180,
        env=nsllm_env(),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    plain_at, ns_at = out.index("[plain · local:tiny]\n"), out.index("[neurosymbolic · local:tiny+ns]\n")
    assert plain_at == 0 and ns_at > plain_at
    plain_text = out[plain_at:ns_at].split("\n", 1)[1]
    ns_text = out[ns_at:].split("\n", 1)[1]
    assert plain_text.strip() and ns_text.strip()


def test_plain_mode_reads_stdin_line_by_line_as_one_conversation(tiny_local: LocalProvider) -> None:
    tiny_local.loaded  # noqa: B018 - load once in this process, so the command reuses it
    result = runner.invoke(
        app, ["chat", "--plain", "-m", "tiny", "--temperature", "1", "--max-tokens", "4"], input="hi\n\nbye\n"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.count("[local:tiny]\n") == 2  # the empty line is skipped
    assert result.stdout.startswith("[local:tiny]\n") and len(result.stdout.strip()) > len("[local:tiny]") * 2


def test_plain_steer_mode_prints_the_rounds(tmp_path: Path) -> None:
    (tmp_path / "task.json").write_text(json.dumps(["Twelve plus thirty-five is <<<47>>>."]))
    (tmp_path / "steer.json").write_text(json.dumps(["<<<Text>>>", "<<<Return Answer>>>"]))
    args = ["chat", "--plain", "--task-llm", "replay:task.json", "--steer-llm", "replay:steer.json"]
    result = runner.invoke(app, [*args, "What is 12 + 35?"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for line in ("[CodeSteer · round 0]", "steerer: <<<Text>>>", "Twelve plus thirty-five", "[CodeSteer · round 1]"):
        assert line in out
    assert out.rstrip().endswith("[final answer · return_answer]\n47")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--task-llm", "fake"], "needs both --task-llm and --steer-llm (missing --steer-llm)"),
        (["--task-llm", "fake", "--steer-llm", "fake", "-m", "tiny"], "do not apply in steer mode"),
        (["--allow-code-execution"], "applies to steer mode only"),
        (["--ns-run", "runs/nothing-here"], "is not a finished finetune run"),
        (["--plain", "-m", "no-such-model", "hi"], "unknown model 'no-such-model'"),
        (["--max-tokens", "0"], "--max-tokens"),
    ],
)
def test_bad_options_are_one_line_errors(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["chat", *args])
    assert result.exit_code in (1, 2), result.output
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert message in result.stderr
    if result.exit_code == 1:  # ours; 2 is Typer's own usage error box
        assert len(lines) == 1, result.stderr


def test_ns_run_needs_a_local_model(tiny_ns_run: Path) -> None:
    result = runner.invoke(app, ["chat", "--ns-run", str(tiny_ns_run), "--model", "gpt-4o"])
    assert result.exit_code == 1
    assert "--ns-run needs a local model" in result.stderr and len(result.stderr.strip().splitlines()) == 1
