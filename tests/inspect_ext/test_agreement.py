"""The same answers give the same score: one set of recorded answers, replayed through `nsllm bench symbench` and
through `inspect eval nsllm/symbench`, gives equal per-task scores (success, strict, partial) on every task.

The answers are right, right inside prose, wrong, missing, or wrong in a way only the paper's validators accept,
chosen by each question's hash (`helpers.recorded_answer`), so the tasks score differently. `bench symbench` replays
them in its job order (`--task-llm replay:FILE`, `--concurrency 1`), Inspect's scripted mockllm by question.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai")

from inspect_ai.log import EvalSample  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from nsllm_cli.cli import app  # noqa: E402
from tests.inspect_ext.helpers import inspect_eval, record_answers, score  # noqa: E402

LIMIT = 3


def bench_scores(answers: Path, run: Path, data_dir: Path | None, paper: bool) -> dict[str, dict[str, float]]:
    """Per task: success, strict and partial in % from `nsllm bench symbench`'s results.json."""
    args = ["bench", "symbench", "--task-llm", f"replay:{answers}", "--tasks", "all", "--limit", str(LIMIT)]
    args += ["--concurrency", "1", "--run-dir", str(run)]
    args += ["--data-dir", str(data_dir)] if data_dir else []
    args += ["--paper-scoring"] if paper else []
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output[-3000:]
    summary = json.loads((run / "results.json").read_text())
    cells = summary["methods"]["only-question"]["tasks"]
    return {t: {k: c[k] for k in ("success", "strict", "partial")} for t, c in cells.items()}


def inspect_scores(answers: Path, logs: Path, data_dir: Path | None, paper: bool) -> dict[str, dict[str, float]]:
    """The same from `inspect eval`'s log: per-task means of the sample scores, in %, checked against the
    per-task metric Inspect computed."""
    args = ["nsllm/symbench", "--model", "scripted/recorded", "-M", f"answers={answers}", "-T", f"limit={LIMIT}"]
    args += ["-T", f"data_dir={data_dir}"] if data_dir else []
    args += ["-T", "paper_scoring=true"] if paper else []
    log = inspect_eval(args, logs)
    assert log.status == "success" and log.samples is not None and log.results is not None
    per_task: dict[str, list[EvalSample]] = {}
    for sample in log.samples:
        per_task.setdefault(sample.metadata["task"], []).append(sample)
    keys = ("success", "strict", "partial")
    out = {t: {k: 100 * sum(score(s, k) for s in ss) / len(ss) for k in keys} for t, ss in per_task.items()}
    success = next(s for s in log.results.scores if s.name == "success")
    for task, cell in out.items():
        assert 100 * success.metrics[f"grouped_{task}"].value == pytest.approx(cell["success"])
    return out


def check_agreement(tmp_path: Path, data_dir: Path | None, paper: bool, n_tasks: int) -> None:
    answers = tmp_path / "answers.json"
    recorded = record_answers(answers, tasks="all", limit=LIMIT, data_dir=data_dir, gold_check=not paper)
    bench = bench_scores(answers, tmp_path / "bench", data_dir, paper)
    inspected = inspect_scores(answers, tmp_path / "logs", data_dir, paper)
    assert len(bench) == n_tasks and set(inspected) == set(bench)
    for task, cell in bench.items():
        assert inspected[task] == pytest.approx(cell), task
    successes = {cell["success"] for cell in bench.values()}
    assert len(successes) > 2 and 0 < sum(1 for r in recorded if r["text"] == "<<<0>>>")  # the check can fail
    if paper:  # and it can tell the paper's validators from the fixed ones: the same answers score otherwise
        assert bench_scores(answers, tmp_path / "bench-fixed", data_dir, paper=False) != bench


def test_generated_tasks_agree(tmp_path: Path) -> None:
    """The 29 tasks nsllm generates (no data needed), with the fixed validators."""
    check_agreement(tmp_path, None, paper=False, n_tasks=29)


@pytest.mark.parametrize("paper", [False, True], ids=["fixed", "paper-scoring"])
def test_all_37_tasks_agree_on_the_original_data(tmp_path: Path, symbench_dir: Path, paper: bool) -> None:
    """Every SymBench task on the original data, with the gold check (fixed) or the paper's validators."""
    check_agreement(tmp_path, symbench_dir, paper=paper, n_tasks=37)
