"""The gold check: a stored instance whose own gold fails its validator never scores a model.

The data is a small Pooling folder written here in the original layout (`sample_<i>/question.txt` + `solution.json`),
so nothing depends on ../shared; one sample's stored solution is deliberately wrong. `bench symbench` runs against a
loopback OpenAI-compatible server that answers every question with its stored gold.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.symbench.base import Instance, Verdict
from nsllm_cli.symbench.gold import REJECTED, VALIDATOR_ERROR, check_gold
from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.pooling import pool
from tests.providers.fake_openai import FakeServer

runner = CliRunner()
BROKEN, CRASHING = "sample_1", "sample_2"


def write_pooling(root: Path, n: int = 4, broken: str | None = BROKEN) -> Path:
    """`n` max-pooling samples under `root/pooling_dataset`; the stored solution of `broken` is off by one."""
    rng = random.Random(7)
    for i in range(n):
        matrix = [[rng.randint(-10, 20) for _ in range(3)] for _ in range(3)]
        solution = pool(matrix, 2, "max")
        if f"sample_{i}" == broken:
            solution[0][0] += 1  # breaks the task's own rule: the max of that window is another number
        sample = root / "pooling_dataset" / f"sample_{i}"
        sample.mkdir(parents=True)
        rows = "\n".join(", ".join(str(v) for v in row) for row in matrix)
        (sample / "question.txt").write_text(f"Perform max pooling with a 2*2 window on this matrix:\n{rows}\n")
        data = {"matrix": matrix, "window_size": 2, "pooling_type": "max", "solution": solution, "complexity": 1}
        (sample / "solution.json").write_text(json.dumps(data))
    return root


def crash_on(monkeypatch: pytest.MonkeyPatch, inst_id: str) -> None:
    """Make Pooling's fixed validator raise on one instance (a validator bug, not bad data)."""
    task = get_task("pooling")
    verify = task.verify

    def flaky(inst: Instance, answer: Any) -> Verdict:
        if inst.id == inst_id:
            raise RuntimeError("validator bug")
        return verify(inst, answer)

    monkeypatch.setattr(task, "verify", flaky)


def test_check_gold_tells_a_rejection_from_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    task = get_task("pooling")
    by_id = {i.id: i for i in task.load(write_pooling(tmp_path))}
    assert check_gold(task, by_id["sample_0"]) is None
    rejected = check_gold(task, by_id[BROKEN])
    assert rejected is not None and (rejected.task, rejected.id, rejected.kind) == ("pooling", BROKEN, REJECTED)
    assert "expected" in rejected.reason
    assert check_gold(task, by_id[BROKEN], paper=True) is None  # the original compares with the stored solution
    crash_on(monkeypatch, CRASHING)
    crashed = check_gold(task, by_id[CRASHING])
    assert crashed is not None and crashed.kind == VALIDATOR_ERROR and crashed.reason == "RuntimeError: validator bug"


def test_validate_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean = write_pooling(tmp_path / "clean", broken=None)
    ok = runner.invoke(app, ["bench", "validate", str(clean), "--tasks", "pooling"])
    assert ok.exit_code == 0, ok.output
    assert "total: 4 passed, 0 failed\n" in ok.output
    bad = write_pooling(tmp_path / "bad")
    data_errors = runner.invoke(app, ["bench", "validate", str(bad), "--tasks", "pooling"])
    assert data_errors.exit_code == 3, data_errors.output
    assert "pooling: 3 passed, 1 failed" in data_errors.output and f"  {BROKEN}: value 1 is" in data_errors.output
    assert "the data has errors" in data_errors.stderr
    crash_on(monkeypatch, CRASHING)
    crashed = runner.invoke(app, ["bench", "validate", str(clean), "--tasks", "pooling"])
    assert crashed.exit_code == 4, crashed.output
    assert "pooling: 3 passed, 0 failed, 1 validator error(s)" in crashed.output
    assert f"  validator error {CRASHING}: RuntimeError: validator bug" in crashed.output
    assert "a validator crashed" in crashed.stderr and "Traceback" not in crashed.output
    both = runner.invoke(app, ["bench", "validate", str(bad), "--tasks", "pooling"])
    assert both.exit_code == 4 and "2 passed, 1 failed, 1 validator error(s)" in both.output  # the crash wins


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as srv:
        yield srv


def run_bench(server: FakeServer, data: Path, run: Path, *extra: str) -> dict[str, Any]:
    """`bench symbench` on the Pooling folder, every question answered with its stored gold; the results.json."""
    task = get_task("pooling")
    stored = {task.prompt(i): task.gold_answer(i) for i in task.load(data)}

    def respond(body: dict[str, Any]) -> str:
        user = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
        return next(gold for question, gold in stored.items() if question in user)

    server.state.responder = respond
    args = ["--tasks", "pooling", "--data-dir", str(data), "--run-dir", str(run), *extra]
    result = runner.invoke(app, ["bench", "symbench", "--task-llm", "solver", "--base-url", server.url + "/v1", *args])
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads((run / "results.json").read_text())
    summary["_output"] = result.output
    return summary


def asked_ids(run: Path) -> set[str]:
    return {json.loads(line)["id"] for line in (run / "samples.jsonl").read_text().splitlines()}


def test_bench_excludes_stored_gold_that_fails_its_own_rule(server: FakeServer, tmp_path: Path) -> None:
    data = write_pooling(tmp_path / "data")
    summary = run_bench(server, data, tmp_path / "run")
    gold = summary["gold_check"]
    assert gold["on"] and gold["excluded"] == 1 and gold["rejected"] == 1 and gold["validator_errors"] == 0
    assert gold["per_task"] == {"pooling": {REJECTED: 1, VALIDATOR_ERROR: 0}}
    [row] = gold["instances"]
    assert (row["task"], row["id"], row["kind"]) == ("pooling", BROKEN, REJECTED) and "expected" in row["reason"]
    assert asked_ids(tmp_path / "run") == {"sample_0", "sample_2", "sample_3"}
    cell = summary["methods"]["only-question"]["tasks"]["pooling"]
    assert cell["n"] == 3 and cell["success"] == 100.0
    out = " ".join(summary["_output"].split())
    assert "excluded 1 instance(s) whose stored gold fails its own rule (data errors): pooling 1" in out
    assert BROKEN in out


def test_paper_scoring_keeps_them(server: FakeServer, tmp_path: Path) -> None:
    data = write_pooling(tmp_path / "data")
    summary = run_bench(server, data, tmp_path / "run", "--paper-scoring")
    gold = summary["gold_check"]
    assert not gold["on"] and gold["excluded"] == 0 and gold["instances"] == []
    assert asked_ids(tmp_path / "run") == {"sample_0", "sample_1", "sample_2", "sample_3"}
    cell = summary["methods"]["only-question"]["tasks"]["pooling"]
    assert cell["n"] == 4 and cell["success"] == 100.0  # the stored (wrong) answer passes the original's compare
    assert "whose stored gold" not in summary["_output"]


def test_a_validator_crash_is_excluded_under_its_own_name(
    server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_pooling(tmp_path / "data")
    crash_on(monkeypatch, CRASHING)
    summary = run_bench(server, data, tmp_path / "run")
    gold = summary["gold_check"]
    assert gold["per_task"] == {"pooling": {REJECTED: 1, VALIDATOR_ERROR: 1}}
    kinds = {row["id"]: (row["kind"], row["reason"]) for row in gold["instances"]}
    assert kinds[CRASHING] == (VALIDATOR_ERROR, "RuntimeError: validator bug") and kinds[BROKEN][0] == REJECTED
    assert asked_ids(tmp_path / "run") == {"sample_0", "sample_3"}
    out = " ".join(summary["_output"].split())
    assert "excluded 1 instance(s) whose validator crashed on the stored gold (a bug in nsllm): pooling 1" in out
