"""`nsllm bench symbench --task-llm ns:<run>`: the neurosymbolic tiny model answers one generated instance."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.providers import GenParams, get_provider
from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.splits import test_set
from tests.providers.ns_runs import make_tiny_ns_run


def test_symbench_with_the_ns_model_as_task_llm(tmp_path: Path, tiny_dir: Path, model_cache: Path) -> None:
    run = make_tiny_ns_run(tmp_path, "finetune", model_cache=model_cache)
    out = tmp_path / "bench"
    args = ["bench", "symbench", "--task-llm", f"ns:{run}", "--tasks", "letters", "--limit", "1", "--run-dir", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert record["task"] == "letters" and record["method"] == "only-question"
    config = yaml.safe_load((out / "config.yaml").read_text())["bench-symbench"]
    assert config["task_llm"] == f"ns:{run}" and config["max_tokens"] == 512  # a local model's budget
    # the answer is cut at the end of the tiny model's 512-token context
    usage = record["usage"]
    assert usage["prompt_tokens"] + usage["completion_tokens"] <= 512 and usage["completion_tokens"] > 0
    # the NS model's own answer to the instance's prompt
    task = get_task("letters")
    instance = test_set(task, data_dir=None, limit=1, seed=0).instances[0]
    ns = get_provider(f"ns:{run}", device="cpu", model_cache=model_cache)
    asked = ns.complete([{"role": "user", "content": task.prompt(instance)}], GenParams(max_tokens=512))
    assert record["response"] == asked.text and asked.usage.completion_tokens == usage["completion_tokens"]
    results = json.loads((out / "results.json").read_text())
    assert results["methods"]["only-question"]["tasks"]["letters"]["n"] == 1
