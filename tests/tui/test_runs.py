"""Listing run folders: commands, states, last step and loss; groups, empty and missing folders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from nsllm_cli.runs.index import RunsIndex, find_run_dirs, last_record, read_command, read_run, summarize_results
from tests.tui._runs import append_raw, losses, write_run


def test_lists_runs_oldest_first_with_command_state_and_last_loss(runs_dir: Path) -> None:
    write_run(runs_dir, "bench-1", command="bench-math", started="2026-01-02T00:00:00+00:00")
    run = write_run(runs_dir, "finetune-1", metrics=losses(3, total=10), started="2026-01-01T00:00:00+00:00")
    append_raw(run / "metrics.jsonl", b'{"step": 4, "lo')  # being written
    runs = RunsIndex(runs_dir).scan()
    assert [r.name for r in runs] == ["finetune-1", "bench-1"]
    first = runs[0]
    assert (first.command, first.state, first.step, first.total_steps, first.loss) == (
        "finetune",
        "finished",
        3,
        10,
        1.0,
    )


def test_group_folders_are_looked_into_and_artifacts_skipped(runs_dir: Path) -> None:
    write_run(runs_dir / "demo", "train")
    write_run(runs_dir / "demo", "bench")
    (runs_dir / "demo" / "bench" / "artifacts" / "x").mkdir(parents=True)
    (runs_dir / "empty-group").mkdir()
    names = [r.name for r in RunsIndex(runs_dir).scan()]
    assert sorted(names) == ["demo/bench", "demo/train"]


def test_empty_and_missing_runs_dir(tmp_path: Path) -> None:
    assert find_run_dirs(tmp_path / "nope") == []
    (tmp_path / "empty").mkdir()
    assert RunsIndex(tmp_path / "empty").scan() == []


def test_running_run_whose_process_is_gone_is_lost(runs_dir: Path) -> None:
    alive = write_run(runs_dir, "a", state="running", pid=os.getpid())
    dead = write_run(runs_dir, "b", state="running", pid=2**22 + 12345)
    assert read_run(alive) is not None and read_run(alive).state == "running"  # type: ignore[union-attr]
    assert read_run(dead) is not None and read_run(dead).state == "lost"  # type: ignore[union-attr]


def test_folder_without_config_or_status_still_reads(runs_dir: Path) -> None:
    run = runs_dir / "gather-20260101-120000-ab12"
    run.mkdir()
    append_raw(run / "metrics.jsonl", b"garbage\n")
    info = read_run(run)
    assert info is not None and (info.command, info.state, info.step) == ("gather", "unknown", None)
    assert read_command(run) == "gather"
    assert last_record(run / "metrics.jsonl") is None


def test_deleted_runs_leave_the_index_and_changes_are_seen(runs_dir: Path) -> None:
    index = RunsIndex(runs_dir)
    gone = write_run(runs_dir, "gone")
    kept = write_run(runs_dir, "kept", metrics=losses(1))
    assert len(index.scan()) == 2
    shutil.rmtree(gone)
    append_raw(kept / "metrics.jsonl", b'{"step": 2, "loss": 0.25}\n')
    runs = index.scan()
    assert [(r.name, r.step, r.loss) for r in runs] == [("kept", 2, 0.25)]
    assert read_run(gone) is None


def test_pinned_runs_only(runs_dir: Path, tmp_path: Path) -> None:
    write_run(runs_dir, "other")
    elsewhere = write_run(tmp_path / "elsewhere", "mine")
    runs = RunsIndex(runs_dir, pinned=[elsewhere]).scan()
    assert [r.name for r in runs] == ["mine"]


def test_results_summary_takes_scalar_leaves() -> None:
    results = {"steps": 60, "final_loss": 1.598990, "model": {"n_layers": 30, "blob": [1, 2]}, "long": "x" * 99}
    assert summarize_results(results) == [("steps", "60"), ("final_loss", "1.599"), ("model.n_layers", "30")]
    assert summarize_results(None) == []
