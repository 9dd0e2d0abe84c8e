"""`nsllm steer --task-llm ns:<run>`: the neurosymbolic tiny model answers a replayed steerer; bad runs are one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.providers import GenParams, get_provider
from tests.providers.ns_runs import make_tiny_ns_run

runner = CliRunner()
Q = "What is 12 + 35? Answer as <<<n>>>."


def steer(task_llm: str, tmp_path: Path, name: str) -> tuple[Any, Path]:
    """One text round, no checker, 8 task tokens: (CliRunner result, run folder)."""
    (tmp_path / "steer.json").write_text(json.dumps(["<<<Text>>>"]), encoding="utf-8")
    run_dir = tmp_path / name
    args = ["steer", Q, "--task-llm", task_llm, "--steer-llm", f"replay:{tmp_path / 'steer.json'}"]
    args += ["--max-rounds", "0", "--no-self-check", "-q", "--task-max-tokens", "8", "--run-dir", str(run_dir)]
    return runner.invoke(app, args), run_dir


def test_the_ns_model_answers_as_the_task_model(tmp_path: Path, tiny_dir: Path, model_cache: Path) -> None:
    run = make_tiny_ns_run(tmp_path, "finetune", model_cache=model_cache)
    result, run_dir = steer(f"ns:{run}", tmp_path, "with-ns")
    assert result.exit_code == 0, result.output
    transcript = json.loads((run_dir / "transcript.json").read_text())
    answer = transcript["rounds"][0]["answer"]
    assert result.stdout == answer.strip() + "\n" and answer.strip()
    assert transcript["rounds"][0]["usage"]["completion_tokens"] == 8
    assert (run_dir / "config.yaml").read_text().count(f"task_llm: ns:{run}") == 1
    # exactly what the NS provider says to the same messages, and not what the plain model says
    asked = transcript["task_messages"][:1]
    ns = get_provider(f"ns:{run}", device="cpu", model_cache=model_cache)
    assert ns.complete(asked, GenParams(temperature=0.0, max_tokens=8)).text == answer
    plain, _ = steer("local:tiny", tmp_path, "plain")
    assert plain.exit_code == 0 and plain.stdout != result.stdout


@pytest.mark.parametrize("broken", ["missing", "atoms", "another-model"])
def test_a_bad_ns_run_is_one_line(tmp_path: Path, tiny_dir: Path, model_cache: Path, broken: str) -> None:
    from nsllm_cli.ns.problems import PROBLEM_TYPES
    from nsllm_cli.ns.vsa import VSA

    run = tmp_path / "nothing"
    expected = f"{run} is not a finished finetune run (no such folder)"
    if broken == "atoms":
        run = make_tiny_ns_run(tmp_path, "finetune", model_cache=model_cache)
        shutil.rmtree(run / "artifacts" / "ns" / "vsa_atoms")
        VSA.generate(types=PROBLEM_TYPES, dim=256, seed=1).save(run / "artifacts" / "ns" / "vsa_atoms")
        expected = "made with another vsa_atoms"
    elif broken == "another-model":
        run = make_tiny_ns_run(tmp_path, "finetune", model_cache=model_cache, fingerprint={"config_sha256": "0" * 64})
        expected = f"{run} was trained on tiny (tiny-llama), not tiny (same name, another config)"
    result, run_dir = steer(f"ns:{run}", tmp_path, "s")
    assert result.exit_code == 1
    lines = [line for line in result.stderr.strip().splitlines() if line.strip() and "Loading weights" not in line]
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert not run_dir.exists()  # refused before the steer run folder is made
