"""Run folders and JSONL: whole lines only, tolerant readers, secrets never on disk."""

from __future__ import annotations

import json
import multiprocessing as mp
from pathlib import Path

import pytest
import yaml

from nsllm_cli.config import load_settings
from nsllm_cli.jsonl import append_jsonl, read_jsonl
from nsllm_cli.runs import RunDir, new_run_name


def _writer(path: str, worker: int, n: int) -> None:
    for i in range(n):
        append_jsonl(Path(path), {"worker": worker, "i": i, "pad": "x" * (50 + 37 * (i % 40))})


def test_concurrent_appends_give_only_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    procs = [mp.get_context("spawn").Process(target=_writer, args=(str(path), w, 150)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    records = [json.loads(line) for line in lines[:-1]]  # any broken line would raise here
    assert len(records) == 600
    for w in range(4):
        assert [r["i"] for r in records if r["worker"] == w] == list(range(150))


def test_reader_skips_partial_last_line_and_corrupt_lines(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text('{"step": 1}\nnot json\n[1, 2]\n{"step": 2}\n{"step": 3, "lo')
    assert [r["step"] for r in read_jsonl(path)] == [1, 2]
    assert "partial last line" in caplog.text
    assert list(read_jsonl(tmp_path / "absent.jsonl")) == []


def test_run_dir_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NSLLM_API_KEY", "sk-do-not-write-me")
    s = load_settings(None, seed=7)
    run = RunDir.create(tmp_path / "runs", "train", settings=s, argv=["nsllm", "train"], extra_config={"lr": 0.1})
    assert run.path.parent == tmp_path / "runs" and run.path.name.startswith("train-")
    config = yaml.safe_load((run.path / "config.yaml").read_text())
    assert config["settings"]["seed"] == 7
    assert config["train"] == {"lr": 0.1}
    assert config["argv"] == ["nsllm", "train"]
    status = json.loads((run.path / "status.json").read_text())
    assert status["state"] == "running" and status["ended"] is None

    run.log_metrics(step=1, loss=2.0, lr=1e-3)
    run.log_metrics(step=2, loss=1.5, lr=1e-3)
    metrics = run.metrics()
    assert [m["step"] for m in metrics] == [1, 2]
    assert all("elapsed_s" in m and "time" in m for m in metrics)

    run.finish({"accuracy": 0.5})
    assert json.loads((run.path / "results.json").read_text()) == {"accuracy": 0.5}
    status = json.loads((run.path / "status.json").read_text())
    assert status["state"] == "finished" and status["ended"] is not None
    assert status["started"] <= status["ended"]
    for file in run.path.rglob("*"):
        if file.is_file():
            assert "sk-do-not-write-me" not in file.read_text(errors="ignore"), file


def test_runs_started_together_get_distinct_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nsllm_cli.runs.folder as runs

    drawn = iter(["gather-x-aaaa", "gather-x-aaaa", "gather-x-bbbb"])  # a clash, as in the same second
    monkeypatch.setattr(runs, "new_run_name", lambda command: next(drawn))
    settings = load_settings(None)
    first = RunDir.create(tmp_path / "runs", "gather", settings=settings, argv=["nsllm"])
    second = RunDir.create(tmp_path / "runs", "gather", settings=settings, argv=["nsllm"])
    assert (first.path.name, second.path.name) == ("gather-x-aaaa", "gather-x-bbbb")
    again = RunDir.create(tmp_path / "runs", "gather", settings=settings, argv=["nsllm"], name="gather-x-aaaa")
    assert again.path == first.path  # an explicit name is reused (resume)
    assert new_run_name("gather").startswith("gather-")


@pytest.mark.parametrize(("error", "state"), [(ValueError("bad row"), "failed"), (KeyboardInterrupt(), "stopped")])
def test_guard_records_failure_and_interrupt(tmp_path: Path, error: BaseException, state: str) -> None:
    run = RunDir.create(tmp_path / "runs", "gather", settings=load_settings(None), argv=["nsllm"])
    with pytest.raises(type(error)), run.guard():
        raise error
    status = json.loads((run.path / "status.json").read_text())
    assert status["state"] == state and status["ended"] is not None
    if state == "failed":
        assert status["error"] == "bad row"
