"""Optional W&B/TensorBoard reporting never stops a run; metrics.jsonl always gets the data."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from nsllm_cli.config import load_settings
from nsllm_cli.reporting import Reporter
from nsllm_cli.runs import RunDir


def _run(tmp_path: Path) -> RunDir:
    return RunDir.create(tmp_path / "runs", "train", settings=load_settings(None), argv=["nsllm"])


def test_off_by_default_writes_only_metrics(tmp_path: Path) -> None:
    run = _run(tmp_path)
    rep = Reporter(run)
    rep.log(1, loss=0.5)
    rep.close()
    assert [m["loss"] for m in run.metrics()] == [0.5]
    assert rep.warnings == []
    assert not (run.path / "tensorboard").exists() and not (run.path / "wandb").exists()


def test_requested_backends_degrade_to_a_warning(tmp_path: Path) -> None:
    run = _run(tmp_path)
    rep = Reporter(run, wandb=True, tensorboard=True)
    for step in range(3):
        rep.log(step, loss=1.0 / (step + 1), note="text is kept in jsonl only")
    rep.close()
    assert [m["step"] for m in run.metrics()] == [0, 1, 2]
    if importlib.util.find_spec("wandb") is None:
        assert any("W&B" in w for w in rep.warnings)
    if importlib.util.find_spec("tensorboard") is None:
        assert any("TensorBoard" in w for w in rep.warnings)
    else:
        assert list((run.path / "tensorboard").glob("events.*"))
