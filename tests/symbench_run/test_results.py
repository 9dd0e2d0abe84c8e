"""Aggregating SymBench sample records: per-task rates, the latest good record per sample, errors, split means,
and the normalised score against the paper's table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nsllm_cli.symbench_run.results import aggregate, plot_success, run_method_name


def _rec(task: str, sample: str, correct: bool, **extra: Any) -> dict[str, Any]:
    code, split = {"pooling": ("S1", "seen"), "reversi": ("S2", "seen"), "navigate": ("U1", "unseen")}[task]
    return {
        "task": task,
        "id": sample,
        "method": "only-question",
        "code": code,
        "split": split,
        "verdict": {"correct": correct, "score": 1.0 if correct else 0.25},
        "verdict_strict": {"correct": correct and not extra.get("text_only", False)},
        "verdict_paper": {"correct": not correct, "score": 0.0},
        "text_answer": "x",
        "code_answer": None,
        "usage": {"total_tokens": 10},
        "seconds": 2.0,
        **extra,
    }


RECORDS = [
    _rec("pooling", "a", True),
    _rec("pooling", "b", False),
    _rec("pooling", "c", True, text_only=True, llm_rescued=True),
    _rec("reversi", "a", False, text_answer=None),
    _rec("navigate", "a", True),
    {"task": "navigate", "id": "b", "method": "only-question", "error": "timeout"},  # failed, never retried
    {"task": "reversi", "id": "b", "method": "only-question", "error": "boom"},  # failed, then retried:
    _rec("reversi", "b", True),
    _rec("pooling", "a", False),  # a later good record of the same sample replaces the first
]


def test_rates_per_task_count_the_latest_good_record() -> None:
    summary = aggregate(RECORDS, task_llm="local:tiny")
    method = summary["methods"]["only-question"]
    pooling = method["tasks"]["pooling"]
    assert pooling["n"] == 3 and pooling["correct"] == 1 and pooling["success"] == pytest.approx(100 / 3)
    assert pooling["strict"] == 0.0  # c was right in its text only
    assert pooling["partial"] == pytest.approx(100 * (0.25 + 0.25 + 1.0) / 3)
    assert pooling["extracted_llm"] == 1 and pooling["tokens_per_sample"] == 10 and pooling["seconds_per_sample"] == 2
    reversi = method["tasks"]["reversi"]
    assert reversi["n"] == 2 and reversi["success"] == 50.0 and reversi["errors"] == 0  # b's retry succeeded
    assert reversi["no_answer"] == 1  # a: neither a text nor a code answer
    assert method["samples"] == 6 and method["errors"] == 1 and method["no_answer"] == 1
    assert method["tasks"]["navigate"]["errors"] == 1


def test_split_means_and_the_normalised_score() -> None:
    summary = aggregate(RECORDS, task_llm="local:tiny")
    means = summary["methods"]["only-question"]["raw_mean_success"]
    assert means["seen"] == pytest.approx((100 / 3 + 50) / 2)
    assert means["unseen"] == 100.0 and means["total"] == pytest.approx((100 / 3 + 50 + 100) / 3)
    name = run_method_name("only-question", "local:tiny")
    assert name == "only-question [local:tiny]"
    assert summary["ave_norm_tasks"] == ["S1", "S2", "U1"] and summary["ave_norm_methods"][-1] == name
    assert set(summary["ave_norm"]) == {"seen", "unseen", "total"} and name in summary["ave_norm"]["total"]
    assert summary["scoring"] == "fixed" and summary["task_llm"] == "local:tiny"


def test_paper_scoring_reads_the_paper_verdicts() -> None:
    summary = aggregate(RECORDS, task_llm="m", paper_scoring=True)
    assert summary["scoring"] == "paper"
    assert summary["methods"]["only-question"]["tasks"]["pooling"]["success"] == pytest.approx(200 / 3)


def test_an_error_only_task_is_reported_without_a_score() -> None:
    summary = aggregate([RECORDS[5]], task_llm="m")
    assert summary["methods"] == {} and summary["errors_without_score"] == {"only-question/navigate": 1}
    assert summary["ave_norm"] == {} and summary["ave_norm_skipped_zero"] == []


def test_plot_success_writes_a_png(tmp_path: Path) -> None:
    plot_success(aggregate(RECORDS, task_llm="m"), tmp_path / "success.png")
    assert (tmp_path / "success.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plot_success(aggregate([], task_llm="m"), tmp_path / "none.png")
    assert not (tmp_path / "none.png").exists()  # nothing to draw
