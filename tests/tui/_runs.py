"""Run folders and sample records shaped like the ones nsllm writes, for the dashboard tests."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from nsllm_cli.jsonl import append_jsonl, write_json_atomic


def write_run(
    root: Path,
    name: str,
    *,
    command: str = "finetune",
    state: str = "finished",
    pid: int | None = None,
    started: str = "2026-01-01T00:00:00+00:00",
    metrics: list[dict[str, Any]] | None = None,
    samples: list[dict[str, Any]] | None = None,
    results: dict[str, Any] | None = None,
) -> Path:
    """A run folder as `nsllm_cli.runs.RunDir` writes it."""
    path = root / name
    path.mkdir(parents=True)
    (path / "config.yaml").write_text(f"command: {command}\nargv: []\n", encoding="utf-8")
    status = {"state": state, "pid": pid, "started": started, "ended": None, "error": None}
    write_json_atomic(path / "status.json", status)
    for record in metrics or []:
        append_jsonl(path / "metrics.jsonl", record)
    for record in samples or []:
        append_jsonl(path / "samples.jsonl", record)
    if results is not None:
        write_json_atomic(path / "results.json", results)
    return path


def append_raw(path: Path, data: bytes) -> None:
    """Append bytes as they are (half lines, garbage)."""
    with open(path, "ab") as fh:
        fh.write(data)


def losses(n: int, *, start: int = 1, total: int | None = None) -> list[dict[str, Any]]:
    """`n` metrics records with a falling loss."""
    return [{"step": s, "total_steps": total or start + n - 1, "loss": 3.0 / s} for s in range(start, start + n)]


def bench_math_samples() -> list[dict[str, Any]]:
    """Records shaped like `nsllm_cli.ns.bench.evaluate`: 3 questions x methods base and ns."""
    out = []
    for method, outputs in (("base", ["1089", "12", "7"]), ("ns", ["1028", "12", "9"])):
        for i, (q, gold) in enumerate((("What is 622 plus 406?", 1028), ("What is 3 times 4?", 12), ("gcd(9, 6)?", 3))):
            out.append(
                {
                    "id": i,
                    "method": method,
                    "problem_type": ["addition", "multiplication", "gcd"][i],
                    "question": q,
                    "gold": gold,
                    "output": outputs[i],
                    "correct": outputs[i] == str(gold),
                    "correct_lenient": outputs[i] == str(gold),
                    "answer_ce": 1.5,
                }
            )
    return out


def symbench_samples() -> list[dict[str, Any]]:
    """Records shaped like `nsllm_cli.symbench_run.runner.run_job`: 2 instances x only-question and codesteer."""
    out = []
    for method in ("only-question", "codesteer"):
        for i in range(2):
            right = method == "codesteer" or i == 0
            out.append(
                {
                    "task": "game24",
                    "code": "G24",
                    "split": "seen",
                    "id": f"sample_{i}",
                    "method": method,
                    "instance": {"task": "game24", "id": f"sample_{i}", "question": f"Use 4 numbers #{i} to make 24."},
                    "response": f"<<<answer {i}>>>\nlong explanation",
                    "text_answer": f"(1+2+3)*4 #{i}" if method == "only-question" else None,
                    "code_answer": f"code says {i}" if method == "codesteer" else None,
                    "code_ran": method == "codesteer",
                    "verdict": {"correct": right, "score": float(right), "reason": ""},
                }
            )
    out.append({"task": "game24", "id": "sample_9", "method": "codesteer", "error": "ProviderError: timeout"})
    return out


def read_status(run: Path) -> dict[str, Any]:
    """status.json of a run."""
    data: dict[str, Any] = json.loads((run / "status.json").read_text(encoding="utf-8"))
    return data


SLEEPER = (
    "import signal, time\n"
    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)
"""A stand-in run that, like every nsllm command, installs its own SIGINT handler: tests must not depend on the
disposition they inherit (a shell's background job starts with SIGINT ignored)."""


def start_sleeper(argv: list[str]) -> subprocess.Popen[bytes]:
    """Start `argv` (a python running SLEEPER) and return once its SIGINT handler is in place."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
    return process
