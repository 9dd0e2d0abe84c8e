"""Shared by the Inspect tests: recorded answers for SymBench test sets, and `inspect eval` in a subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from inspect_ai.log import EvalLog, EvalSample, list_eval_logs, read_eval_log

REPO = Path(__file__).resolve().parents[2]
SCRIPTED = REPO / "tests" / "inspect_ext" / "scripted_inspect.py"


def recorded_answer(task: Any, inst: Any) -> str:
    """A fixed answer per question, right or wrong depending on the question's hash (so tasks score differently).

    Five kinds: the stored gold, the gold inside prose, a wrong answer, no `<<<...>>>` answer at all, and the gold
    written twice in one answer (wrong, but the paper's substring rules accept it, e.g. Number Multiply's).
    """
    gold = str(task.gold_answer(inst))
    twice = "<<<" + gold.strip()[3:-3] * 2 + ">>>"
    kind = hashlib.sha256(task.prompt(inst).encode()).digest()[0] % 5
    return [gold, f"Let me think. The result is {gold}", "<<<0>>>", "I cannot tell.", twice][kind]


def record_answers(
    path: Path, *, tasks: str, limit: int, data_dir: Path | None, gold_check: bool
) -> list[dict[str, str]]:
    """The recorded answers of the test sets `bench symbench` selects, in its job order; written to `path` as the
    `replay:` file both harnesses read (`{"question", "text"}` pairs)."""
    from nsllm_cli.symbench.registry import select_tasks
    from nsllm_cli.symbench.splits import test_set

    items = []
    for task in select_tasks(tasks):
        for inst in test_set(task, data_dir=data_dir, limit=limit, seed=0, gold_check=gold_check).instances:
            items.append({"task": task.name, "question": task.prompt(inst), "text": recorded_answer(task, inst)})
    path.write_text(json.dumps(items), encoding="utf-8")
    return items


def inspect_eval(args: list[str], log_dir: Path, *, timeout: int = 600) -> EvalLog:
    """`inspect eval ARGS` in a subprocess (with the `scripted/<name>` mock model available); its one log, read back."""
    cmd = [sys.executable, str(SCRIPTED), "eval", *args, "--log-dir", str(log_dir), "--display", "plain"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ})
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    [info] = list_eval_logs(str(log_dir))
    return read_eval_log(info)


def score(sample: EvalSample, key: str = "success", scorer: str = "symbench_scorer") -> float:
    """One value of a sample's dict-valued score (`success`, `strict`, `partial`; math: `strict`, `lenient`)."""
    assert sample.scores is not None
    value = sample.scores[scorer].value
    assert isinstance(value, dict)
    return float(value[key])
