"""`nsllm chat` with `ns:<run>` as its model (plain mode, in-process); bad --ns-run runs are refused in one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.providers import GenParams, get_provider
from tests.providers.ns_runs import make_tiny_ns_run

runner = CliRunner()
PROMPT = "What is 866 gcd 46?"


@pytest.fixture
def run(tmp_path: Path, tiny_dir: Path, model_cache: Path) -> Path:
    return make_tiny_ns_run(tmp_path, "finetune", model_cache=model_cache)


def one_line(result: Any) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.strip().splitlines() if line.strip() and "Loading weights" not in line]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return str(lines[0])


def test_plain_chat_with_the_ns_model(run: Path, model_cache: Path) -> None:
    result = runner.invoke(app, ["chat", "--plain", "--model", f"ns:{run}", "--max-tokens", "6", PROMPT])
    assert result.exit_code == 0, result.output
    label = f"[ns:{run}]\n"
    assert result.stdout.startswith(label) and result.stdout.count("[") == 1
    ns = get_provider(f"ns:{run}", device="cpu", model_cache=model_cache)
    expected = ns.complete([{"role": "user", "content": PROMPT}], GenParams(max_tokens=6)).text
    assert result.stdout == label + expected + "\n\n"
    plain = runner.invoke(app, ["chat", "--plain", "--model", "tiny", "--max-tokens", "6", PROMPT])
    assert plain.exit_code == 0 and plain.stdout.split("\n", 1)[1] != result.stdout.split("\n", 1)[1]


def test_plain_steer_chat_with_the_ns_model_as_task_llm(run: Path, tmp_path: Path) -> None:
    (tmp_path / "steer.json").write_text(json.dumps(["<<<Text>>>"]))
    args = ["chat", "--plain", "--task-llm", f"ns:{run}", "--steer-llm", f"replay:{tmp_path / 'steer.json'}"]
    result = runner.invoke(app, [*args, "--max-rounds", "0", "--max-tokens", "6", PROMPT])
    assert result.exit_code == 0, result.output
    assert "[CodeSteer · round 0]" in result.stdout and "[final answer · " in result.stdout


def test_a_prompt_past_the_context_is_one_line(run: Path) -> None:
    result = runner.invoke(app, ["chat", "--plain", "--model", f"ns:{run}", "--max-tokens", "4", "x " * 600])
    line = one_line(result)
    assert line.startswith(f"error: ns:{run}: ProviderError: ns:{run}: the prompt has ")
    assert line.endswith("tokens, the model's context is 512: shorten it")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "embedded"], "{run} was trained on tiny (tiny-llama), not embedded"),
        ([], "{run} was trained on tiny (tiny-llama), not embedded"),  # the default model
        (["--model", "ns:{run}"], "--model ns:{run} is already the neurosymbolic model"),
    ],
)
def test_ns_run_with_another_model_is_refused(run: Path, args: list[str], message: str) -> None:
    from nsllm_cli.providers import local

    local.unload_all()
    argv = ["chat", "--plain", "--ns-run", str(run), *(a.format(run=run) for a in args), PROMPT]
    assert one_line(runner.invoke(app, argv)).startswith("error: " + message.format(run=run))
    assert local._LOADED == {}  # refused before any model loaded


def test_ns_run_of_another_config_is_refused_after_loading(tmp_path: Path, model_cache: Path) -> None:
    other = make_tiny_ns_run(tmp_path, "other", model_cache=model_cache, fingerprint={"config_sha256": "0" * 64})
    result = runner.invoke(app, ["chat", "--plain", "--ns-run", str(other), "--model", "tiny", PROMPT])
    assert one_line(result) == f"error: {other} was trained on tiny (tiny-llama), not tiny (same name, another config)"


@pytest.mark.parametrize("how", ["--model", "--ns-run"])
def test_a_run_with_changed_atoms_is_one_line(run: Path, how: str) -> None:
    import shutil

    from nsllm_cli.ns.problems import PROBLEM_TYPES
    from nsllm_cli.ns.vsa import VSA

    shutil.rmtree(run / "artifacts" / "ns" / "vsa_atoms")
    VSA.generate(types=PROBLEM_TYPES, dim=256, seed=1).save(run / "artifacts" / "ns" / "vsa_atoms")
    which = ["--model", f"ns:{run}"] if how == "--model" else ["--model", "tiny", "--ns-run", str(run)]
    line = one_line(runner.invoke(app, ["chat", "--plain", *which, PROMPT]))
    assert line.startswith(f"error: {run / 'artifacts' / 'ns'}: made with another vsa_atoms")
