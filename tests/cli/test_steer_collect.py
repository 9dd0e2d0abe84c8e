"""`nsllm steer collect` over loopback servers: trajectories on training instances, then SFT and DPO datasets."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.steer.collect import training_pool
from nsllm_cli.symbench.registry import get_task
from tests.providers.fake_openai import FakeServer

runner = CliRunner()


@pytest.fixture
def servers() -> Iterator[tuple[FakeServer, FakeServer]]:
    """A task server that answers the training questions correctly, and a steerer that alternates its advice."""
    task = get_task("pooling")
    golds = {task.prompt(i): task.gold_answer(i) for i in training_pool(["pooling"], 2, 0).instances}
    turn = itertools.count()

    def answer(body: dict[str, Any]) -> str:
        text = "\n".join(m["content"] for m in body["messages"] if m["role"] == "user")
        return next((g for q, g in golds.items() if q in text), "<<<0>>>")

    def guide(body: dict[str, Any]) -> str:
        if "Reply with your choice only" in body["messages"][-1]["content"]:
            return "<<<Text>>>"
        return "<<<Return Answer>>>" if next(turn) % 2 == 0 else "<<<Check every window once more>>>"

    with FakeServer() as solver, FakeServer() as steerer:
        solver.state.responder, steerer.state.responder = answer, guide
        yield solver, steerer


def collect(servers: tuple[FakeServer, FakeServer], run: Path, *extra: str) -> Any:
    solver, steerer = servers
    return runner.invoke(app, ["steer", "collect", "--task-llm", "solver", "--base-url", solver.url + "/v1",
                               "--steer-llm", "guide", "--steer-base-url", steerer.url + "/v1", "--tasks", "pooling",
                               "--n-per-task", "2", "--no-self-check", "--max-rounds", "2", "--run-dir", str(run),
                               *extra])  # fmt: skip


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_collect_writes_trajectories_and_an_sft_dataset(servers: tuple[FakeServer, FakeServer], tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = collect(servers, run)
    assert result.exit_code == 0, result.output
    trajectories = lines(run / "trajectories.jsonl")
    assert len(trajectories) == 2 and all(t["correct"] for t in trajectories)
    sft = lines(run / "sft.jsonl")
    assert len(sft) == 2
    for rec in sft:
        roles = [m["role"] for m in rec["messages"]]
        assert roles == ["user", "assistant"] * (len(roles) // 2) and roles[-1] == "assistant"
        assert "Reply with your choice only" in rec["messages"][0]["content"]  # the training variant of round 0
    asked = len(servers[0].requests)
    again = collect(servers, tmp_path / "run2", "--resume", str(run))
    assert again.exit_code == 0, again.output
    assert len(servers[0].requests) == asked  # nothing asked twice on resume


def test_collect_trees_builds_dpo_pairs(servers: tuple[FakeServer, FakeServer], tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = collect(servers, run, "--trees", "--branch", "2", "--depth", "2")
    assert result.exit_code == 0, result.output
    pairs = lines(run / "dpo.jsonl")
    assert pairs and all(p["score_chosen"] > p["score_rejected"] for p in pairs)
    assert all(p["prompt"][-1]["role"] == "user" and p["chosen"][0]["content"] != p["rejected"][0]["content"]
               for p in pairs)  # fmt: skip


def test_unseen_tasks_are_refused_before_any_request(servers: tuple[FakeServer, FakeServer], tmp_path: Path) -> None:
    solver, steerer = servers
    args = ["--task-llm", "s", "--base-url", solver.url + "/v1", "--steer-llm", "g", "--tasks", "letters"]
    result = runner.invoke(app, ["steer", "collect", *args, "--steer-base-url", steerer.url + "/v1"])
    assert result.exit_code != 0 and "unseen tasks never go into training data: letters" in result.output
    assert not solver.requests and not steerer.requests
