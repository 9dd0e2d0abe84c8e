"""`nsllm bench symbench` end to end over HTTP: a loopback OpenAI-compatible server answers the questions.

The server's answers are computed from the question (the gold answer, a wrong one, a program, an HTTP
error), so every assertion checks what the runner did with a known answer: parse, verify, record, resume.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.splits import test_set
from tests.providers.fake_openai import FakeServer

runner = CliRunner()
TASKS = ("pooling", "blocksworld", "letters")
"""Two seen tasks and one unseen, all with generators (no data folder needed)."""


def golds(tasks: tuple[str, ...] = TASKS, limit: int = 2, data_dir: Path | None = None) -> dict[str, tuple[str, str]]:
    """prompt -> (task, gold answer text) for the instances the runner will select."""
    out = {}
    for name in tasks:
        task = get_task(name)
        for inst in test_set(task, data_dir=data_dir, limit=limit, seed=0).instances:
            out[task.prompt(inst)] = (name, task.gold_answer(inst))
    return out


def find(body: dict[str, Any], table: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    """The (task, gold) of the question inside the last user message of a request."""
    user = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
    return next((v for q, v in table.items() if q in user), None)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as srv:
        yield srv


def bench(server: FakeServer, *args: str) -> Any:
    """Run the command in-process against the fake server."""
    base = ["bench", "symbench", "--task-llm", "solver", "--base-url", server.url + "/v1", "--limit", "2"]
    return runner.invoke(app, [*base, *args])


def samples(run: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]


def test_right_and_wrong_answers_are_scored_per_task(server: FakeServer, tmp_path: Path) -> None:
    table = golds()

    def respond(body: dict[str, Any]) -> str:
        task, gold = find(body, table) or ("", "")
        return f"Thinking it through.\n{gold}" if task != "blocksworld" else "<<<Move Z from 9 to 8>>>"

    server.state.responder = respond
    run = tmp_path / "run"
    result = bench(server, "--tasks", ",".join(TASKS), "--concurrency", "3", "--run-dir", str(run))
    assert result.exit_code == 0, result.output
    results = json.loads((run / "results.json").read_text())
    cells = results["methods"]["only-question"]["tasks"]
    assert {t: c["success"] for t, c in cells.items()} == {"pooling": 100.0, "blocksworld": 0.0, "letters": 100.0}
    assert cells["pooling"]["n"] == 2 and cells["letters"]["split"] == "unseen"
    raw = results["methods"]["only-question"]["raw_mean_success"]
    assert raw == {"seen": 50.0, "unseen": 100.0, "total": pytest.approx(200 / 3)}
    recs = samples(run)
    assert len(recs) == 6 and len({(r["task"], r["id"]) for r in recs}) == 6
    assert all(r["usage"]["total_tokens"] == 18 for r in recs)  # the server's reported usage, per sample
    assert all(r["instance"]["question"] and r["instance_hash"] for r in recs)
    wrong = next(r for r in recs if r["task"] == "blocksworld")
    assert wrong["extracted_by"] == {"text": "parser", "code": None}
    assert not wrong["verdict"]["correct"] and wrong["verdict"]["reason"]
    # the normalised score compares with the paper's 13 methods on these 3 tasks
    assert len(results["ave_norm_methods"]) == 14 and results["ave_norm_tasks"] == ["S15", "S5", "U1"]
    assert 0 < results["ave_norm"]["total"]["only-question [solver]"] < 100
    assert (run / "symbench.png").stat().st_size > 10_000
    assert json.loads((run / "status.json").read_text())["state"] == "finished"
    assert "only-question" in result.output and "S15" in result.output and "pooling" in result.output


def test_a_failing_sample_is_reported_skipped_and_retried_on_resume(server: FakeServer, tmp_path: Path) -> None:
    table = golds(("pooling",), limit=3)
    bad_question = sorted(table)[0]
    broken = {"on": True}

    def respond(body: dict[str, Any]) -> str | int:
        user = body["messages"][-1]["content"]
        if broken["on"] and bad_question in user:
            return 400  # not retried: the provider gives up at once
        return (find(body, table) or ("", ""))[1]

    server.state.responder = respond
    run = tmp_path / "run"
    first = bench(server, "--tasks", "pooling", "--limit", "3", "--run-dir", str(run))
    assert first.exit_code == 0, first.output
    assert "1 sample(s) failed with errors" in first.output
    recs = samples(run)
    assert sum(1 for r in recs if r.get("error")) == 1 and sum(1 for r in recs if not r.get("error")) == 2
    assert json.loads((run / "results.json").read_text())["methods"]["only-question"]["errors"] == 1
    broken["on"] = False
    seen_before = len(server.requests)
    again = bench(server, "--tasks", "pooling", "--limit", "3", "--resume", str(run))
    assert again.exit_code == 0, again.output
    assert "resuming: 2 of 3 samples already answered" in again.output
    assert len(server.requests) == seen_before + 1  # only the failed sample was asked again
    results = json.loads((run / "results.json").read_text())["methods"]["only-question"]
    assert results["errors"] == 0
    assert results["tasks"]["pooling"]["n"] == 3 and results["tasks"]["pooling"]["success"] == 100.0


def test_a_killed_run_resumes_without_repeating_samples(server: FakeServer, tmp_path: Path) -> None:
    table = golds(("pooling", "letters"), limit=4)

    def respond(body: dict[str, Any]) -> str:
        time.sleep(0.4)
        return (find(body, table) or ("", ""))[1]

    server.state.responder = respond
    run = tmp_path / "run"
    args = ["--tasks", "pooling,letters", "--limit", "4", "--concurrency", "1"]
    cmd = [sys.executable, "-m", "nsllm_cli", "bench", "symbench", "--task-llm", "solver", "--base-url",
           server.url + "/v1", *args, "--run-dir", str(run)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        path = run / "samples.jsonl"
        if path.exists() and len(path.read_text().splitlines()) >= 3:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait(timeout=30)
    kept = samples(run)
    assert 3 <= len(kept) < 8, "the run should have been killed part-way"
    asked_before = len(server.requests)
    result = runner.invoke(app, ["bench", "symbench", "--task-llm", "solver", "--base-url", server.url + "/v1",
                                 *args, "--resume", str(run)])  # fmt: skip
    assert result.exit_code == 0, result.output
    recs = samples(run)
    assert recs[: len(kept)] == kept  # nothing already written was rewritten
    assert len({(r["task"], r["id"]) for r in recs}) == 8 == len(recs)
    assert len(server.requests) - asked_before == 8 - len(kept)
    assert json.loads((run / "results.json").read_text())["methods"]["only-question"]["samples"] == 8


def test_all_code_runs_the_answer_program_in_the_sandbox(server: FakeServer, tmp_path: Path) -> None:
    table = golds(("pooling", "letters"))

    def respond(body: dict[str, Any]) -> str:
        task, gold = find(body, table) or ("", "")
        assert "Python program" in body["messages"][-1]["content"]  # the code guide came first
        if task == "letters":  # right in the text, wrong in the program: correct by the paper's OR, not strictly
            return f"The answer is {gold}.\n```python\nprint('no idea')\n```"
        return f"Plan: print it.\n```python\nanswer = {gold!r}\nprint(answer)\n```\nThat prints <<<placeholder>>>."

    server.state.responder = respond
    refused = bench(server, "--tasks", "pooling", "--method", "all-code")
    assert refused.exit_code != 0 and "--allow-code-execution" in refused.output and not server.requests
    run = tmp_path / "run"
    ok = bench(server, "--tasks", "pooling,letters", "--method", "all-code", "--allow-code-execution",
               "--run-dir", str(run))  # fmt: skip
    assert ok.exit_code == 0, ok.output
    recs = samples(run)
    assert all(r["execution"]["returncode"] == 0 for r in recs)
    assert all(("<<<" in r["execution"]["stdout"]) == (r["task"] == "pooling") for r in recs)
    assert all(r["verdict"]["correct"] and r["code_ran"] for r in recs), [r["verdict"] for r in recs]
    assert all(r["verdict_strict"]["correct"] == (r["task"] == "pooling") for r in recs)
    cells = json.loads((run / "results.json").read_text())["methods"]["all-code"]["tasks"]
    assert {t: (c["success"], c["strict"]) for t, c in cells.items()} == {"pooling": (100, 100), "letters": (100, 0)}


def test_codesteer_and_code_text_choice_over_two_servers(server: FakeServer, tmp_path: Path) -> None:
    table = golds(("pooling",))
    server.state.responder = lambda body: (find(body, table) or ("", ""))[1]
    with FakeServer() as steer:
        steer.state.responder = lambda body: (
            "<<<Text>>>" if "Reply with your choice only" in body["messages"][-1]["content"] else "<<<Return Answer>>>"
        )
        run = tmp_path / "run"
        result = bench(server, "--tasks", "pooling", "--method", "code-text-choice,codesteer", "--steer-llm", "guide",
                       "--steer-base-url", steer.url + "/v1", "--no-self-check", "--allow-code-execution",
                       "--run-dir", str(run))  # fmt: skip
        assert result.exit_code == 0, result.output
    recs = samples(run)
    by_method = {m: [r for r in recs if r["method"] == m] for m in ("code-text-choice", "codesteer")}
    assert all(len(v) == 2 and all(r["verdict"]["correct"] for r in v) for v in by_method.values())
    assert {r["stop_reason"] for r in by_method["codesteer"]} == {"return_answer"}
    assert {r["stop_reason"] for r in by_method["code-text-choice"]} == {"max_rounds"}
    assert all(r["usage_by_role"]["steer"]["total_tokens"] > 0 for r in recs)
    summary = json.loads((run / "results.json").read_text())
    assert set(summary["methods"]) == {"code-text-choice", "codesteer"}


def test_the_llm_extractor_rescues_unformatted_answers_and_is_counted(server: FakeServer, tmp_path: Path) -> None:
    table = golds(("pooling",))

    def respond(body: dict[str, Any]) -> str:
        gold = (find(body, table) or ("", ""))[1]
        return "The final answer is " + gold.strip("<>")

    server.state.responder = respond
    plain = bench(server, "--tasks", "pooling", "--run-dir", str(tmp_path / "plain"))
    assert plain.exit_code == 0
    assert samples(tmp_path / "plain")[0]["extracted_by"] == {"text": None, "code": None}
    with FakeServer() as extractor:
        extractor.state.responder = lambda body: (
            "<<<" + body["messages"][-1]["content"].split("The final answer is ")[-1].strip() + ">>>"
        )
        run = tmp_path / "run"
        result = bench(server, "--tasks", "pooling", "--extractor-llm", "reader", "--extractor-base-url",
                       extractor.url + "/v1", "--run-dir", str(run))  # fmt: skip
        assert result.exit_code == 0, result.output
        assert len(extractor.requests) == 2
    summary = json.loads((run / "results.json").read_text())["methods"]["only-question"]
    assert summary["extracted_llm"] == 2 and summary["tasks"]["pooling"]["success"] == 100.0
    assert all(r["extracted_by"]["text"] == "llm" and r["llm_rescued"] and r["extractor_calls"] for r in samples(run))


def test_paper_scoring_uses_the_original_validators(server: FakeServer, tmp_path: Path) -> None:
    table = golds(("pooling",), limit=10)
    server.state.responder = lambda body: (find(body, table) or ("", ""))[1]
    fixed, paper = tmp_path / "fixed", tmp_path / "paper"
    for run, extra in ((fixed, []), (paper, ["--paper-scoring"])):
        assert bench(server, "--tasks", "pooling", "--limit", "10", *extra, "--run-dir", str(run)).exit_code == 0
    task = get_task("pooling")
    insts = test_set(task, data_dir=None, limit=10, seed=0).instances
    fractional = sum(any(v != int(v) for row in i.data["solution"] for v in row) for i in insts)
    assert fractional > 0  # the original's int() compare can never pass these
    rate = {p.name: json.loads((p / "results.json").read_text())["methods"]["only-question"]["tasks"]["pooling"]
            ["success"] for p in (fixed, paper)}  # fmt: skip
    assert rate == {"fixed": 100.0, "paper": pytest.approx(100 * (10 - fractional) / 10)}


def test_original_data_is_used_when_given(server: FakeServer, tmp_path: Path, symbench_dir: Path) -> None:
    table = golds(("pooling", "mahjong"), limit=3, data_dir=symbench_dir)
    server.state.responder = lambda body: (find(body, table) or ("", ""))[1]
    run = tmp_path / "run"
    result = bench(server, "--tasks", "pooling,mahjong", "--limit", "3", "--data-dir", str(symbench_dir),
                   "--run-dir", str(run))  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["pooling"]["source"] == "data" and all(i.startswith("sample_") for i in manifest["pooling"]["ids"])
    cells = json.loads((run / "results.json").read_text())["methods"]["only-question"]["tasks"]
    assert cells["pooling"]["success"] == cells["mahjong"]["success"] == 100.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tasks", "no_such_task"], "unknown SymBench task 'no_such_task'"),
        (["--data-dir", "/no/such/folder"], "/no/such/folder: no such folder"),
        (["--method", "codesteer"], "needs --steer-llm"),
        (["--method", "sideways"], "unknown method(s) sideways"),
        (["--tasks", "date_understanding"], "no instances to run"),
    ],
)
def test_bad_input_is_one_line(server: FakeServer, args: list[str], message: str) -> None:
    result = bench(server, *args)
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert not server.requests


def test_resume_refuses_a_different_selection(server: FakeServer, tmp_path: Path) -> None:
    table = golds(("pooling",))
    server.state.responder = lambda body: (find(body, table) or ("", ""))[1]
    run = tmp_path / "run"
    assert bench(server, "--tasks", "pooling", "--run-dir", str(run)).exit_code == 0
    other = bench(server, "--tasks", "pooling", "--seed", "7", "--resume", str(run))
    assert other.exit_code != 0 and "--seed 7 contradicts the run being resumed" in other.output
    assert "started with --seed 0" in other.output
    again = bench(server, "--resume", str(run))  # its own options replayed: same tasks, same seed
    assert again.exit_code == 0, again.output


def test_an_unreadable_sample_is_named_and_left_out(server: FakeServer, tmp_path: Path, symbench_dir: Path) -> None:
    data = tmp_path / "data" / "pooling_dataset"
    for sample in sorted((symbench_dir / "pooling_dataset").glob("sample_*"))[:3]:
        shutil.copytree(sample, data / sample.name)
    broken = sorted(data.iterdir())[1]
    (broken / "solution.json").write_text("{not json")
    table = golds(("pooling",), limit=3, data_dir=data.parent)
    assert len(table) == 2
    server.state.responder = lambda body: (find(body, table) or ("", ""))[1]
    run = tmp_path / "run"
    result = bench(server, "--tasks", "pooling", "--limit", "3", "--data-dir", str(data.parent), "--run-dir", str(run))
    assert result.exit_code == 0, result.output
    assert "1 unreadable sample(s) skipped" in result.output and "solution.json" in result.output
    manifest = json.loads((run / "manifest.json").read_text())
    assert broken.name not in manifest["pooling"]["ids"] and len(manifest["pooling"]["ids"]) == 2
    cells = json.loads((run / "results.json").read_text())["methods"]["only-question"]["tasks"]
    assert cells["pooling"]["success"] == 100 and cells["pooling"]["n"] == 2
