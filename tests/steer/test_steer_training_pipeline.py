"""The whole steering-model path through the CLI: collect -> finetune steer (SFT) -> collect trees -> DPO -> steer.

Task and API steerer are loopback servers; the trained steerer is the tiny model, so its guidance is noise: what
is checked is that every stage hands the next one what it needs and that the result steers as a local model.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.steer.collect import training_pool
from nsllm_cli.symbench.registry import get_task
from tests.providers.fake_openai import FakeServer

runner = CliRunner()


@pytest.fixture
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # on a shared 2-core machine one thread trains several times faster
    yield
    torch.set_num_threads(threads)


def invoke(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def losses(run: Path) -> list[float]:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [float(r["loss"]) for r in rows if r.get("loss") is not None]


@pytest.mark.slow
def test_collect_sft_dpo_then_steer_with_the_trained_model(tmp_path: Path, tiny_dir: Path, one_thread: None) -> None:
    task = get_task("pooling")
    golds = {task.prompt(i): task.gold_answer(i) for i in training_pool(["pooling"], 3, 0).instances}
    turn = {"n": itertools.count()}

    def answer(body: dict[str, Any]) -> str:
        text = "\n".join(m["content"] for m in body["messages"] if m["role"] == "user")
        return next((g for q, g in golds.items() if q in text), "<<<0>>>")

    def guide(body: dict[str, Any]) -> str:
        if "Reply with your choice only" in body["messages"][-1]["content"]:
            return "<<<Text>>>"
        return "<<<Return Answer>>>" if next(turn["n"]) % 2 == 0 else "<<<Recompute every window>>>"

    with FakeServer() as solver, FakeServer() as steerer:
        solver.state.responder, steerer.state.responder = answer, guide
        urls = ["--base-url", solver.url + "/v1", "--steer-base-url", steerer.url + "/v1"]
        common = ["--task-llm", "solver", "--steer-llm", "guide", *urls, "--tasks", "pooling", "--n-per-task", "3",
                  "--no-self-check", "--max-rounds", "2"]  # fmt: skip
        invoke("steer", "collect", *common, "--run-dir", str(tmp_path / "collect"))
        turn["n"] = itertools.count()  # siblings alternate: one returns at once, the other asks for more work
        invoke("steer", "collect", *common, "--trees", "--run-dir", str(tmp_path / "trees"))

        train = ["--model", "tiny", "--max-steps", "4", "--lr", "1e-3", "--grad-accum", "1"]
        invoke("finetune", "steer", "--stage", "sft", "--data", str(tmp_path / "collect"), *train,
               "--run-dir", str(tmp_path / "sft"))  # fmt: skip
        invoke("finetune", "steer", "--stage", "dpo", "--data", str(tmp_path / "trees"),
               "--init", str(tmp_path / "sft"), *train, "--run-dir", str(tmp_path / "dpo"))  # fmt: skip
        for stage in ("sft", "dpo"):
            got = losses(tmp_path / stage)
            assert got and all(math.isfinite(v) for v in got), (stage, got)
            assert json.loads((tmp_path / stage / "status.json").read_text())["state"] == "finished"
            assert (tmp_path / stage / "model" / "config.json").is_file()
        manifest = json.loads((tmp_path / "dpo" / "manifest.json").read_text())
        assert manifest["stage"] == "dpo"

        question = next(iter(golds))
        result = runner.invoke(app, ["steer", "--task-llm", "solver", "--base-url", solver.url + "/v1",
                                     "--steer-llm", str(tmp_path / "dpo"), "--max-rounds", "1", "--no-self-check",
                                     "-q", "--run-dir", str(tmp_path / "use"), question])  # fmt: skip
    assert result.exit_code in (0, 1), result.output  # a noise steerer may end without an answer, never crash
    transcript = json.loads((tmp_path / "use" / "transcript.json").read_text())
    steer_calls = [c for r in transcript["rounds"] for c in r["calls"] if c["role"] == "steer"]
    assert steer_calls and transcript["settings"]["steer_mode"] == "local"
    assert transcript["settings"]["steer"].startswith("local:")

    from openai import OpenAI

    from tests._serve import serving

    with serving("--model", str(tmp_path / "dpo")) as (_proc, url, _lines):  # the run folder serves as a model
        client = OpenAI(base_url=url, api_key="x", max_retries=0, timeout=120)
        reply = client.chat.completions.create(
            model=client.models.list().data[0].id, messages=[{"role": "user", "content": question}], max_tokens=8
        )
    assert reply.usage is not None and reply.usage.completion_tokens > 0
