"""`RunFollower`: the selected run's metrics, answers and results, read incrementally."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.jsonl import append_jsonl, write_json_atomic
from nsllm_cli.runs.follow import RunFollower
from tests.tui._runs import bench_math_samples, losses, write_run


def test_follows_metrics_samples_and_results(runs_dir: Path) -> None:
    samples = bench_math_samples()
    run = write_run(runs_dir, "bench-1", metrics=losses(2), samples=samples[:3])
    follower = RunFollower(run)
    first = follower.poll()
    assert first.changed and len(first.metrics.records) == 2 and first.questions == {"0", "1", "2"}
    assert follower.latest == losses(2)[-1] and follower.answers.methods == ["base"]
    assert not follower.poll().changed
    append_jsonl(run / "metrics.jsonl", {"step": 3, "loss": 0.5, "eval_loss": 0.7})
    append_jsonl(run / "metrics.jsonl", {"step": 4, "eval_loss": 0.6})
    for record in samples[3:]:
        append_jsonl(run / "samples.jsonl", record)
    write_json_atomic(run / "results.json", {"questions": 3})
    update = follower.poll()
    assert update.results and follower.results == {"questions": 3}
    assert follower.best_eval == 0.6 and follower.answers.methods == ["base", "ns"]
    (run / "results.json").unlink()
    assert follower.poll().results and follower.results is None


def test_a_replaced_metrics_file_starts_over(runs_dir: Path) -> None:
    run = write_run(runs_dir, "finetune-1", metrics=[{"step": 1, "loss": 1.0, "eval_loss": 0.1}])
    follower = RunFollower(run)
    follower.poll()
    (run / "metrics.jsonl").unlink()
    append_jsonl(run / "metrics.jsonl", {"step": 1, "loss": 2.0})
    update = follower.poll()
    assert update.metrics.reset and follower.best_eval is None and follower.latest == {"step": 1, "loss": 2.0}
