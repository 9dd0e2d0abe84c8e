"""`benchmarks/gpu_check.py` (`make gpu-check`) without a GPU: its machinery, its report, and its one-line refusal.

The CPU-safe parts run for real on a tiny shape (`--tiny`, a subprocess); the guarding is driven through the
module's own `run_parts` with parts that fail, time out or do not fit the budget; the report is rendered from
a synthetic result of every part, since the GPU parts cannot run here.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import REPO, nsllm_env

SCRIPT = REPO / "benchmarks" / "gpu_check.py"


@pytest.fixture(scope="module")
def gc() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_check"] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


def run_script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(SCRIPT), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=nsllm_env(), cwd=cwd, timeout=180)


def test_without_cuda_the_plain_run_says_so_in_one_line_and_exits_0(tmp_path: Path) -> None:
    proc = run_script("--out", str(tmp_path / "report"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines() == [proc.stdout.strip()]
    assert proc.stdout.startswith("no CUDA GPU here: nothing measured; ")
    assert not (tmp_path / "report").exists()


def test_tiny_runs_the_cpu_parts_and_writes_json_and_markdown(tmp_path: Path) -> None:
    out = tmp_path / "new" / "check.json"  # the folder does not exist yet
    proc = run_script("--tiny", "--out", str(out), "--work", str(tmp_path / "work"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["mode"] == "tiny" and report["setup"]["shape"] == "tiny"
    status = {r["part"]: r["status"] for r in report["parts"]}
    assert status == {"env": "ok", "ns": "skipped", "throughput": "ok", "qlora": "skipped", "accelerate": "skipped",
                      "serve": "skipped"}  # fmt: skip
    parts = {r["part"]: r for r in report["parts"]}
    env = parts["env"]["data"]
    assert env["device"]["cuda"] is False and env["bf16"]["bf16_matmul_ok"] is True and "sandbox" in env
    thr = parts["throughput"]["data"]
    assert thr["config"]["num_hidden_layers"] == 2 and thr["config"]["hidden_size"] == 64
    assert [len(thr["gather"]["rows"]), len(thr["finetune_step"]["rows"])] == [3, 2]
    assert all(r["questions_per_s"] > 0 for r in thr["gather"]["rows"])
    assert all(r["s_per_step"] > 0 for r in thr["finetune_step"]["rows"])
    assert "needs CUDA" in parts["qlora"]["reason"]
    md = out.with_suffix(".md").read_text()
    assert "| part | status | seconds | result |" in md
    assert "| throughput | ok |" in md and "| serve | skipped |" in md
    assert "## throughput:" in md and "questions/s" in md


def test_a_failing_part_is_reported_and_the_others_still_run(gc: ModuleType, tmp_path: Path) -> None:
    def ok(ctx: Any) -> dict[str, Any]:
        return {"echo": ctx.run("echo", [sys.executable, "-c", "print('fine')"]).strip()}

    def crashes(ctx: Any) -> dict[str, Any]:
        raise ValueError("broken on purpose")

    def sleeps(ctx: Any) -> dict[str, Any]:
        ctx.run("sleep", [sys.executable, "-c", "print('started', flush=True); import time; time.sleep(30)"])
        return {}

    parts = [
        gc.Part("exits", "a command that fails", gc.failing("exits"), 30, 1),
        gc.Part("crash", "an exception", crashes, 30, 1),
        gc.Part("slow", "past its limit", sleeps, 1.5, 1),
        gc.Part("ok", "fine", ok, 30, 1),
        gc.Part("big", "needs more than the budget", ok, 30, 1000),
    ]
    results = gc.run_parts(parts, lambda deadline: gc.Ctx(gc.Setup(), tmp_path, deadline), budget_s=60)
    by = {r["part"]: r for r in results}
    assert [r["part"] for r in results] == ["exits", "crash", "slow", "ok", "big"]
    assert by["exits"]["status"] == "failed" and "exit 3" in by["exits"]["error"]
    assert "fails on purpose" in by["exits"]["tail"]
    assert by["crash"]["status"] == "failed" and by["crash"]["error"] == "ValueError: broken on purpose"
    assert "broken on purpose" in by["crash"]["tail"]
    assert by["slow"]["status"] == "failed" and "timed out" in by["slow"]["error"] and "started" in by["slow"]["tail"]
    assert by["slow"]["seconds"] < 10
    assert by["ok"]["status"] == "ok" and by["ok"]["data"] == {"echo": "fine"}
    assert by["big"]["status"] == "skipped" and "needs at least 1000" in by["big"]["reason"]


def test_the_report_renders_every_part(gc: ModuleType, tmp_path: Path) -> None:
    rows = [{"server": s, "mode": m, "requests": 3, "tokens": 192, "tokens_per_s": 90.0, "ttft_s": None}
            for s in gc.SERVERS for m in ("json", "stream")]  # fmt: skip
    step = [{"way": w, "s_per_step": s, "peak_mem_gib": 20.5} for w, s in (("naive", 0.9), ("nsllm", 0.3))]
    data = {
        "env": {"device": {"cuda": True, "cuda_devices": ["GPU X"]}, "bf16": {"bf16_supported": True}, "sandbox": {}},
        "ns": {"counts": {}, "per_type": {"base": {"gcd": 5.0}, "ns": {"gcd": 90.0}},
               "mean_trained": {"base": 5.0, "ns": 90.0}},
        "throughput": {"shape": "llama-3.1-8b", "params_b": 8.03, "device": "cuda:0", "dtype": "bfloat16",
                       "weights_gib": 14.96, "build_s": 9.0,
                       "gather": {"rows": [{"way": "naive", "questions_per_s": 10.0, "peak_mem_gib": 16.0}] * 3},
                       "finetune_step": {"rows": step}},
        "qlora": {"losses": [2.0, 1.5, 1.0], "command": "nsllm finetune steer --peft qlora"},
        "accelerate": {"losses": [2.1, 1.2], "command": "accelerate launch"},
        "serve": {"rows": rows},
    }  # fmt: skip
    parts = [{"part": k, "title": k, "status": "ok", "seconds": 1.0, "data": v} for k, v in data.items()]
    parts.append({"part": "late", "title": "late", "status": "skipped", "reason": "5 s left of the budget"})
    report = {"mode": "gpu", "started": "now", "elapsed_s": 6.0, "budget_s": 480, "setup": {}, "parts": parts}
    json_path, md_path = gc.write_report(report, tmp_path / "results")
    assert json_path == tmp_path / "results" / "gpu_check.json" and json.loads(json_path.read_text())["parts"]
    md = md_path.read_text()
    assert "GPU X; bf16 supported True" in md
    assert "NS 90.0% vs base 5.0%" in md and "| gcd | 5.0 | 90.0 |" in md
    assert "gather 10.0 → 10.0 q/s (1.00×); NS step 0.9 → 0.3 s (3.00×)" in md
    assert "loss 2.000 → 1.000 █▄▁" in md
    assert "nsllm serve 90.0 / 90.0 tok/s" in md
    assert "| late | skipped | - | 5 s left of the budget |" in md
    png = tmp_path / "results" / "gpu_check_losses.png"
    assert png.read_bytes()[:4] == b"\x89PNG" and "![steering losses](gpu_check_losses.png)" in md
