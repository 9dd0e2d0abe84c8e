"""Every `benchmarks/*.py` script runs in `--tiny` mode (tiny model, tiny counts) and writes its result.

Scripts are discovered by glob, so a new benchmark is covered (and must support `--tiny`) without a change here.
A script's result goes into tmp_path through its `--out` (or `--json`) option when it has one; `make bench` on a
fresh clone must not stop because a results folder is missing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, nsllm_env

SCRIPTS = sorted((REPO / "benchmarks").glob("*.py"))


def test_the_glob_finds_the_benchmarks() -> None:
    assert {"startup.py", "gather_throughput.py", "symbench_concurrency.py"} <= {s.name for s in SCRIPTS}


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_benchmark_runs_tiny_and_writes_its_result(script: Path, tiny_dir: Path, tmp_path: Path) -> None:
    source = script.read_text(encoding="utf-8")
    assert '"--tiny"' in source, f"{script.name} has no --tiny flag (a smoke run of a few seconds)"
    out_flag = next((flag for flag in ("--out", "--json") if f'"{flag}"' in source), None)
    result = tmp_path / "result" / f"{script.stem}.json"  # its folder does not exist yet: the script makes it
    cmd = [sys.executable, str(script), "--tiny", *([out_flag, str(result)] if out_flag else [])]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=nsllm_env(), cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, f"{script.name} --tiny failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    if out_flag:
        assert result.is_file() or (result.is_dir() and any(result.iterdir())), f"{script.name} wrote no {result}"
    else:
        assert proc.stdout.strip(), f"{script.name} printed no result"
