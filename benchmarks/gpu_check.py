"""The GPU path, measured in one call (`make gpu-check`): one JSON and one Markdown table.

Run: .venv/bin/python benchmarks/gpu_check.py [--out benchmarks/results] [--budget 480] [--only env,ns,...]
     .venv/bin/python benchmarks/gpu_check.py --tiny   # the CPU-safe parts on a tiny shape, seconds
     .venv/bin/python benchmarks/gpu_check.py --cpu    # every part on the CPU, tiny model and counts (minutes)

Parts, each timed and guarded on its own (a failing part is reported with its error and the last lines of its
output, and the others still run), under one time budget (default 8 min) with a limit per part; a part that
no longer fits is skipped and said so:
  env         `nsllm env --json` on the GPU: device, bf16, the sandbox's isolation there
  ns          gather -> train -> finetune -> bench math on the embedded model, cuda + bfloat16, its accuracy table
  throughput  a random-init Llama-3.1-8B-shaped model (benchmarks/llama_shape_throughput.py): gather and one NS
              finetune step, naive vs nsllm, with peak GPU memory
  qlora       `nsllm finetune steer --peft qlora`, 20 steps (4-bit through bitsandbytes)
  accelerate  `accelerate launch --num_processes 1 -m nsllm_cli finetune steer --peft lora`, 20 steps
  serve       `nsllm serve` against `transformers serve`, same model, tokens/s (benchmarks/serve_throughput.py)
Every part runs the real CLI or a benchmark script as a subprocess, so a part's limit is a hard timeout.
Without a CUDA GPU the plain run says so in one line and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PY = sys.executable
TAIL_LINES = 15


@dataclass
class Setup:
    """Where and how big: the GPU run, `--cpu` (every part, tiny) or `--tiny` (CPU-safe parts only)."""

    device: str = "cuda"
    dtype: str = "bfloat16"
    model: str = "embedded"
    shape: str = "llama-3.1-8b"
    small: bool = False
    """Tiny counts everywhere (the --cpu and --tiny runs)."""


class PartFailed(Exception):
    """A part's command failed; `tail` holds the last lines of its output."""

    def __init__(self, message: str, tail: str = "") -> None:
        super().__init__(message)
        self.tail = tail


@dataclass
class Ctx:
    """What a part gets: the setup, a work folder, and `run`, which stops at the part's deadline."""

    setup: Setup
    work: Path
    deadline: float
    steps: dict[str, float] = field(default_factory=dict)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def run(self, name: str, cmd: list[str], *, env: dict[str, str] | None = None) -> str:
        """Run `cmd` to its end (or the part's deadline); its output, or PartFailed with the last lines."""
        log = self.work / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        timeout = max(1.0, self.remaining())
        start = time.monotonic()
        with log.open("w") as out:
            try:
                proc = subprocess.run(
                    cmd, stdout=out, stderr=subprocess.STDOUT, text=True, timeout=timeout, env=child_env(env)
                )
            except subprocess.TimeoutExpired:
                raise PartFailed(f"{name}: timed out after {timeout:.0f} s (part limit)", tail_of(log)) from None
        self.steps[name] = round(time.monotonic() - start, 1)
        if proc.returncode != 0:
            tail = tail_of(log)
            last = next((line.strip() for line in reversed(tail.splitlines()) if line.strip()), "no output")
            raise PartFailed(f"{name}: exit {proc.returncode}: {last}", tail)
        return log.read_text(errors="replace")


@dataclass
class Part:
    """One guarded measurement: a function of the context, a time limit, and the least time worth starting with."""

    key: str
    title: str
    fn: Callable[[Ctx], dict[str, Any]]
    limit_s: float
    min_s: float
    cpu_safe: bool = False
    """Runs in `--tiny` mode (on the CPU, in seconds)."""


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return {**env, **(extra or {})}


def tail_of(log: Path, n: int = TAIL_LINES) -> str:
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return "\n".join(lines[-n:])


def nsllm(*args: str) -> list[str]:
    return [PY, "-m", "nsllm_cli", *args]


def run_parts(parts: list[Part], ctx_for: Callable[[float], Ctx], *, budget_s: float) -> list[dict[str, Any]]:
    """Run each part in order under the budget; every part gets a result (ok, failed or skipped), none stops the rest.

    A part starts only if at least its `min_s` is left; it may use up to its `limit_s`, never past the budget.
    """
    end = time.monotonic() + budget_s
    results = []
    for part in parts:
        left = end - time.monotonic()
        row: dict[str, Any] = {"part": part.key, "title": part.title, "limit_s": part.limit_s}
        if left < part.min_s:
            row.update(status="skipped", reason=f"{left:.0f} s left of the budget, it needs at least {part.min_s:.0f}")
            results.append(row)
            continue
        ctx = ctx_for(time.monotonic() + min(part.limit_s, left))
        start = time.monotonic()
        try:
            row.update(status="ok", data=part.fn(ctx))
        except PartFailed as exc:
            row.update(status="failed", error=str(exc), tail=exc.tail)
        except Exception as exc:  # noqa: BLE001 - reported in the table, the next part still runs
            tb = traceback.format_exc().splitlines()
            row.update(status="failed", error=f"{type(exc).__name__}: {exc}", tail="\n".join(tb[-TAIL_LINES:]))
        row["seconds"] = round(time.monotonic() - start, 1)
        row["steps_s"] = ctx.steps
        results.append(row)
    return results


# ---- the parts ------------------------------------------------------------------------------------------------


def part_env(ctx: Ctx) -> dict[str, Any]:
    info = json.loads(ctx.run("env", nsllm("env", "--json")))
    probe = (
        "import json, torch; c = torch.cuda.is_available(); d = 'cuda' if c else 'cpu'; "
        "x = torch.randn(256, 256, device=d, dtype=torch.bfloat16); "
        "print(json.dumps({'cuda': c, 'torch_cuda': torch.version.cuda, "
        "'bf16_supported': torch.cuda.is_bf16_supported() if c else None, "
        "'bf16_matmul_ok': bool(torch.isfinite((x @ x).float()).all()), "
        "'memory_gib': round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1) if c else None}))"
    )
    bf16 = json.loads(ctx.run("bf16", [PY, "-c", probe]).strip().splitlines()[-1])
    return {"device": info.get("device"), "bf16": bf16, "sandbox": info.get("sandbox"), "packages": info["packages"]}


def part_ns(ctx: Ctx) -> dict[str, Any]:
    s, root = ctx.setup, ctx.work / "ns"
    common = ["--model", s.model, "--device", s.device, "--dtype", s.dtype]
    n = (40, 8, 1, 16, 2, 2) if s.small else (400, 40, 10, 300, 80, 10)
    ctx.run("ns-prepare", nsllm("models", "--prepare", s.model))
    stages = {
        "ns-gather": ["gather", *common, "--n-train", str(n[0]), "--n-val", str(n[1]), "--run-dir", f"{root}/gather"],
        "ns-train": ["train", "--gather", f"{root}/gather", "--reader-epochs", str(n[2]), "--run-dir", f"{root}/train"],
        "ns-finetune": ["finetune", "--train-run", f"{root}/train", *common, "--n-train", str(n[3]),
                        "--steps", str(n[4]), "--run-dir", f"{root}/finetune"],
        "ns-bench": ["bench", "math", "--method", "base,ns", "--ns-run", f"{root}/finetune", *common,
                     "--per-type", str(n[5]), "--run-dir", f"{root}/bench"],
    }  # fmt: skip
    for name, args in stages.items():
        ctx.run(name, nsllm(*args))
    results = json.loads((root / "bench" / "results.json").read_text())
    counts = {"n_train": n[0], "n_val": n[1], "reader_epochs": n[2], "finetune_n_train": n[3], "finetune_steps": n[4]}
    return {
        "counts": {**counts, "bench_per_type": n[5]},
        "per_type": {m: {t: v["accuracy"] for t, v in by.items()} for m, by in results["per_type"].items()},
        "mean_trained": results.get("mean_trained"),
        "ns_errors": results.get("ns_errors"),
    }


def part_throughput(ctx: Ctx) -> dict[str, Any]:
    s, out = ctx.setup, ctx.work / "throughput.json"
    args = ["--shape", s.shape, "--device", s.device, "--dtype", s.dtype, "--out", str(out)]
    if s.small:
        args += ["--n", "8", "--batch-size", "4", "--upto", "1", "--steps", "1", "--layer", "1"]
    ctx.run("throughput", [PY, str(HERE / "llama_shape_throughput.py"), *args])
    data: dict[str, Any] = json.loads(out.read_text())
    return data


SFT_ANSWERS = ("<<<Code>>>", "Use code: add the two numbers and print the sum.")


def write_sft(path: Path, n: int = 16) -> Path:
    """A toy SFT set in `steer collect`'s format: two-round conversations with fixed guidance turns."""
    rows = []
    for k in range(n):
        messages = [
            {"role": "user", "content": f"Question {k}: what is {k} + {k + 1}?"},
            {"role": "assistant", "content": SFT_ANSWERS[0]},
            {"role": "user", "content": f"Execution output: {2 * k + 1}"},
            {"role": "assistant", "content": SFT_ANSWERS[1]},
        ]
        rows.append(json.dumps({"messages": messages, "task": "toy", "id": f"s{k}"}))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def losses(run: Path) -> list[float]:
    """The training losses of a run's metrics.jsonl, in order (a partial last line is ignored)."""
    out = []
    for line in (run / "metrics.jsonl").read_text().splitlines() if (run / "metrics.jsonl").exists() else []:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec.get("loss"), int | float):
            out.append(float(rec["loss"]))
    return out


def steer_args(ctx: Ctx, peft: str, run: Path) -> list[str]:
    data = write_sft(ctx.work / "sft.jsonl")
    steps = "3" if ctx.setup.small else "20"
    return ["finetune", "steer", "--stage", "sft", "--data", str(data), "--peft", peft, "--model", ctx.setup.model,
            "--device", ctx.setup.device, "--max-steps", steps, "--batch-size", "4", "--grad-accum", "1",
            "--lr", "1e-3", "--logging-steps", "1", "--run-dir", str(run)]  # fmt: skip


def part_qlora(ctx: Ctx) -> dict[str, Any]:
    run = ctx.work / "steer-qlora"
    ctx.run("qlora", nsllm(*steer_args(ctx, "qlora", run)))
    return {"losses": losses(run), "command": "nsllm finetune steer --peft qlora"}


def part_accelerate(ctx: Ctx) -> dict[str, Any]:
    run = ctx.work / "steer-accelerate-lora"
    # the README's form; `python -m accelerate.commands.launch` is the `accelerate launch` of this interpreter
    launch = [PY, "-m", "accelerate.commands.launch", "--num_processes", "1"]
    launch += ["--cpu"] if ctx.setup.device == "cpu" else []
    ctx.run("accelerate-lora", [*launch, "-m", "nsllm_cli", *steer_args(ctx, "lora", run)])
    return {"losses": losses(run), "command": "accelerate launch --num_processes 1 -m nsllm_cli finetune steer"}


def part_serve(ctx: Ctx) -> dict[str, Any]:
    out = ctx.work / "serve.json"
    args = ["--json", str(out), "--device", ctx.setup.device, "--dtype", ctx.setup.dtype]
    args += ["--requests", "1", "--max-tokens", "16"] if ctx.setup.small else ["--requests", "3", "--max-tokens", "64"]
    ctx.run("serve", [PY, str(HERE / "serve_throughput.py"), *args, "--timeout", str(int(ctx.remaining()))])
    data: dict[str, Any] = json.loads(out.read_text())
    if "transformers serve" in data.get("skipped", {}):
        data["transformers_serve"] = "not available: " + data["skipped"]["transformers serve"]
    return data


PARTS = [
    Part("env", "nsllm env on the GPU: device, bf16, sandbox isolation", part_env, 60, 15, cpu_safe=True),
    Part("ns", "NS pipeline on the embedded model (bf16), accuracy", part_ns, 170, 60),
    Part("throughput", "Llama-3.1-8B shape: gather and NS finetune step", part_throughput, 120, 40, cpu_safe=True),
    Part("qlora", "finetune steer --peft qlora, 20 steps", part_qlora, 60, 25),
    Part("accelerate", "accelerate launch finetune steer --peft lora, 20 steps", part_accelerate, 60, 25),
    Part("serve", "nsllm serve vs transformers serve, tokens/s", part_serve, 90, 40),
]


# ---- the report -----------------------------------------------------------------------------------------------

SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    return "".join(SPARKS[int((v - lo) / (hi - lo) * (len(SPARKS) - 1)) if hi > lo else 0] for v in values)


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a and b else "-"


def headline(key: str, data: dict[str, Any]) -> str:
    """One cell of the summary table for a finished part."""
    if key == "env":
        dev, bf16, box = data.get("device") or {}, data.get("bf16") or {}, data.get("sandbox") or {}
        names = ", ".join(dev.get("cuda_devices") or []) or "no CUDA device"
        isolation = ", ".join(f"{k} {v}" for k, v in box.items())
        return f"{names}; bf16 supported {bf16.get('bf16_supported')}, matmul ok {bf16.get('bf16_matmul_ok')}; " + (
            f"sandbox: {isolation}"
        )
    if key == "ns":
        mean = data.get("mean_trained") or {}
        return f"NS {mean.get('ns', 0):.1f}% vs base {mean.get('base', 0):.1f}% (mean of the trained types)"
    if key == "throughput":
        g, f = data["gather"]["rows"], data["finetune_step"]["rows"]
        return (
            f"{data['shape']} ({data['params_b']} B): gather {g[0]['questions_per_s']} → {g[1]['questions_per_s']} q/s"
            f" ({_ratio(g[1]['questions_per_s'], g[0]['questions_per_s'])}); NS step {f[0]['s_per_step']} → "
            f"{f[1]['s_per_step']} s ({_ratio(f[0]['s_per_step'], f[1]['s_per_step'])})"
        )
    if key in ("qlora", "accelerate"):
        ls = data.get("losses") or []
        return f"{len(ls)} logged steps, loss {ls[0]:.3f} → {ls[-1]:.3f} {sparkline(ls)}" if ls else "no loss logged"
    if key == "serve":
        rows = {(r["server"], r["mode"]): r["tokens_per_s"] for r in data.get("rows", [])}
        cells = [f"{s} {rows.get((s, 'json'), '-')} / {rows.get((s, 'stream'), '-')} tok/s" for s in SERVERS]
        return "; ".join(cells) + " (JSON / streamed)"
    return ""


SERVERS = ("nsllm serve", "transformers serve")


def detail(key: str, data: dict[str, Any]) -> list[str]:
    """Markdown lines with the full numbers of a finished part."""
    if key == "env":
        versions = ", ".join(f"{k} {v}" for k, v in data.get("packages", {}).items())
        return [f"Versions: {versions}", "", f"Device: `{data.get('device')}`", "", f"bf16: `{data.get('bf16')}`"]
    if key == "ns":
        types = sorted({t for by in data["per_type"].values() for t in by})
        methods = list(data["per_type"])
        lines = ["| type | " + " | ".join(methods) + " |", "|---" * (len(methods) + 1) + "|"]
        lines += [f"| {t} | " + " | ".join(f"{data['per_type'][m].get(t, '-')}" for m in methods) + " |" for t in types]
        return [f"Counts: {data['counts']}", "", *lines]
    if key == "throughput":
        lines = [
            f"{data['device']}, {data['dtype']}, weights {data['weights_gib']} GiB, built in {data['build_s']} s",
            "",
        ]
        lines += ["| what | way | value | peak memory (GiB) |", "|---|---|---|---|"]
        for part, unit in (("gather", "questions_per_s"), ("finetune_step", "s_per_step")):
            for r in data[part]["rows"]:
                lines.append(f"| {part} | {r['way']} | {r[unit]} {unit.replace('_per_', '/')} | {r['peak_mem_gib']} |")
        return lines
    if key in ("qlora", "accelerate"):
        return [f"`{data['command']}` losses: " + ", ".join(f"{v:.3f}" for v in data.get("losses", []))]
    if key == "serve":
        lines = ["| server | mode | requests | tokens | tok/s | ttft s |", "|---|---|---|---|---|---|"]
        lines += [
            f"| {r['server']} | {r['mode']} | {r['requests']} | {r['tokens']} | {r['tokens_per_s']} "
            f"| {_round(r['ttft_s'])} |"
            for r in data.get("rows", [])
        ]
        return lines + ([f"transformers serve: {data['transformers_serve']}"] if "transformers_serve" in data else [])
    return ["```json", json.dumps(data, indent=2, default=str)[:3000], "```"]


def loss_png(results: list[dict[str, Any]], path: Path) -> Path | None:
    """Both steering runs' loss curves in one small PNG, if matplotlib is installed and any loss was logged."""
    curves = {r["part"]: r["data"]["losses"] for r in results if r["status"] == "ok" and r["data"].get("losses")}
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    if not curves:
        return None
    fig, ax = plt.subplots(figsize=(5, 3), dpi=100)
    for name, ys in curves.items():
        ax.plot(range(1, len(ys) + 1), ys, label=name)
    ax.set_xlabel("logged step")
    ax.set_ylabel("loss")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def markdown(report: dict[str, Any], png: Path | None) -> str:
    lines = [f"# nsllm GPU check ({report['mode']})", ""]
    lines += [
        f"{report['started']} · {report['elapsed_s']} s of a {report['budget_s']} s budget · {report['setup']}",
        "",
    ]
    lines += ["| part | status | seconds | result |", "|---|---|---|---|"]
    for r in report["parts"]:
        cell = headline(r["part"], r["data"]) if r["status"] == "ok" else r.get("error") or r.get("reason", "")
        lines.append(f"| {r['part']} | {r['status']} | {r.get('seconds', '-')} | {cell.replace('|', '/')} |")
    for r in report["parts"]:
        lines += ["", f"## {r['part']}: {r['title']}", ""]
        if r["status"] == "ok":
            lines += detail(r["part"], r["data"])
            if r["part"] == "accelerate" and png is not None:
                lines += ["", f"![steering losses]({png.name})"]
        elif r["status"] == "failed":
            lines += [f"**failed**: {r['error']}", "", "```", r.get("tail", ""), "```"]
        else:
            lines.append(f"skipped: {r['reason']}")
        if r.get("steps_s"):
            lines += ["", "steps (s): " + ", ".join(f"{k} {v}" for k, v in r["steps_s"].items())]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """`out` is a folder (gpu_check.json + .md inside) or a .json path (the .md beside it); folders are created."""
    json_path = out if out.suffix == ".json" else out / "gpu_check.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    png = loss_png(report["parts"], json_path.with_name(json_path.stem + "_losses.png"))
    report["loss_png"] = str(png) if png else None
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    md_path = json_path.with_suffix(".md")
    md_path.write_text(markdown(report, png))
    return json_path, md_path


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def failing(key: str) -> Callable[[Ctx], dict[str, Any]]:
    """A stand-in for part `key` that fails on purpose (`--fail`): shows that the report and the rest survive it."""

    def fn(ctx: Ctx) -> dict[str, Any]:
        ctx.run(f"{key}-failing", [PY, "-c", f"print('part {key} fails on purpose (--fail)'); raise SystemExit(3)"])
        return {}

    return fn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="folder (or .json path) for the report (default benchmarks/results)")
    parser.add_argument("--budget", type=float, default=480, help="seconds for all parts together (default 480)")
    parser.add_argument("--only", help="comma-separated parts: " + ",".join(p.key for p in PARTS) + " (default all)")
    parser.add_argument("--tiny", action="store_true", help="on the CPU: the CPU-safe parts, tiny shape (seconds)")
    parser.add_argument("--cpu", action="store_true", help="on the CPU: every part, tiny model and counts (minutes)")
    parser.add_argument("--fail", default="", help="comma-separated parts made to fail on purpose (tests the report)")
    parser.add_argument("--work", type=Path, help="folder for runs and logs (default: a new temporary folder)")
    args = parser.parse_args()
    on_cpu = args.tiny or args.cpu
    if not on_cpu and not cuda_available():
        print("no CUDA GPU here: nothing measured; `benchmarks/gpu_check.py --tiny` (or --cpu) runs it on the CPU")
        return
    setup = Setup("cpu", "float32", "tiny", "tiny", small=True) if on_cpu else Setup()
    wanted = set(args.only.split(",")) if args.only else {p.key for p in PARTS}
    fail = set(filter(None, args.fail.split(",")))
    parts = [p if p.key not in fail else Part(p.key, p.title, failing(p.key), p.limit_s, 1) for p in PARTS]
    parts = [p for p in parts if p.key in wanted and (p.cpu_safe or not args.tiny or p.key in fail)]
    work = args.work or Path(tempfile.mkdtemp(prefix="gpu-check-"))
    mode = "tiny" if args.tiny else "cpu" if args.cpu else "gpu"
    out = args.out or (HERE / "results" if mode == "gpu" else work / "report")
    print(f"gpu check ({mode}): parts {', '.join(p.key for p in parts)}; budget {args.budget:.0f} s; work {work}")
    started, start = time.strftime("%Y-%m-%d %H:%M:%S %z"), time.monotonic()
    done = {r["part"]: r for r in run_parts(parts, lambda t: Ctx(setup, work, t), budget_s=args.budget)}
    left_out = {"status": "skipped", "reason": "needs CUDA (not in --tiny)"}
    results = [done.get(p.key) or {"part": p.key, "title": p.title, **left_out} for p in PARTS if p.key in wanted]
    report = {"mode": mode, "started": started, "elapsed_s": round(time.monotonic() - start, 1)}
    report |= {"budget_s": args.budget, "setup": asdict(setup), "work": str(work), "parts": results}
    json_path, md_path = write_report(report, out)
    for r in results:
        print(f"{r['part']:<11} {r['status']:<8} {r.get('seconds', '-'):>6}  {r.get('error') or r.get('reason') or ''}")
    print(f"wrote {json_path} and {md_path}")


if __name__ == "__main__":
    main()
