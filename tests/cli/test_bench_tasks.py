"""`nsllm bench ls` and `nsllm bench validate` over copies of the original layout."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from nsllm_cli.cli import app

runner = CliRunner()


def test_ls_lists_37_tasks() -> None:
    result = runner.invoke(app, ["bench", "ls"])
    assert result.exit_code == 0, result.output
    assert "37 tasks: 28 seen, 9 unseen" in result.output


def test_validate_counts_and_exit_code(symbench_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(symbench_dir / "pooling_dataset", data / "pooling_dataset")
    ok = runner.invoke(app, ["bench", "validate", str(data), "--tasks", "pooling"])
    n = len(list((data / "pooling_dataset").glob("sample_*")))
    assert ok.exit_code == 0, ok.output
    assert f"pooling: {n} passed, 0 failed" in ok.output and f"total: {n} passed, 0 failed" in ok.output
    sample = sorted((data / "pooling_dataset").glob("sample_*"))[0]
    solution = json.loads((sample / "solution.json").read_text())
    solution["solution"][0][0] += 1  # a gold answer that breaks the task's rule
    (sample / "solution.json").write_text(json.dumps(solution))
    bad = runner.invoke(app, ["bench", "validate", str(data), "--tasks", "pooling"])
    assert bad.exit_code == 3 and f"pooling: {n - 1} passed, 1 failed" in bad.output
    assert sample.name in bad.output
    (sample / "solution.json").write_text("{not json")
    broken = runner.invoke(app, ["bench", "validate", str(data), "--tasks", "pooling"])
    assert broken.exit_code == 3 and "solution.json" in broken.output


def test_validate_bad_input(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["bench", "validate", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "no such folder" in missing.stderr
    unknown = runner.invoke(app, ["bench", "validate", str(tmp_path), "--tasks", "chess"])
    assert unknown.exit_code == 1 and "unknown SymBench task 'chess'" in unknown.stderr
    skipped = runner.invoke(app, ["bench", "validate", str(tmp_path), "--tasks", "pooling"])
    assert skipped.exit_code == 0 and "skipped" in skipped.stderr
