"""Neurosymbolic accuracy, side by side: the plain model vs NS, in every prompt shape and wording, one run.

Run: .venv/bin/python benchmarks/ns_accuracy.py [--out runs/ns-accuracy] [--n-train 3000] [--steps 300]
     [--per-type 50] [--per-type-paraphrase 25] [--recipe steps|paper] [--ops all|paper|LIST]

It runs the whole recipe through the real CLI (`nsllm gather`, `train`, `finetune`), timing each stage, then
`nsllm bench math --method base,ns` on generated test questions (disjoint from every training question) in:
- two-shot / paper wording (the paper's setting; `--per-type` per type), with the counterfactual check
  (`ns-shuffled`: each question written another question's result);
- chat / paper wording, chat / train-family paraphrases, chat / held-out paraphrases, two-shot / held-out
  paraphrases (`--per-type-paraphrase` per type);
- chat slices: questions whose result is 0 and questions with a one-digit operand (`--per-type-slice` per type).
Besides the accuracy, each row gives the failure modes: the gate open on the unseen types (addition, division:
it must stay shut), and the NS errors on the trained types split into read errors (by kind: gate shut and why,
wrong type, wrong operands) and write errors (by kind: result 0, one digit, longer).
Every stage is a run folder under `--out`; a finished one is reused, so a killed benchmark resumes. The table
(Markdown, with Wilson 95% intervals) is printed and written to `--out/ns_accuracy.md`.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

SETTINGS = (
    ("two-shot", "paper", ""),
    ("chat", "paper", ""),
    ("chat", "train", ""),
    ("chat", "heldout", ""),
    ("two-shot", "heldout", ""),
    ("chat", "paper", "zero"),
    ("chat", "paper", "one-digit"),
)
TRAINED = ("multiplication", "modulo", "gcd", "lcm", "square_mod", "bitwise_and", "bitwise_xor", "bitwise_or")


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of a proportion k/n, in %."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (100 * (centre - half), 100 * (centre + half))


def finished(run: Path) -> bool:
    status = run / "status.json"
    return status.is_file() and json.loads(status.read_text()).get("state") == "finished"


def nsllm(args: list[str], run: Path, timings: dict[str, float], name: str) -> None:
    """One CLI stage, skipped when its run folder already finished."""
    if finished(run):
        return
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nsllm_cli", *args, "--run-dir", str(run)], check=True)
    timings[name] = time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/ns-accuracy"))
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--recipe", default="steps", choices=("steps", "paper"))
    parser.add_argument("--ops", default="all", help="steps: the operations trained (all, paper or a comma list)")
    parser.add_argument("--n-train", type=int, default=3000)
    parser.add_argument("--reader-epochs", type=int, default=20)
    parser.add_argument("--ft-train", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--per-type", type=int, default=50)
    parser.add_argument("--per-type-paraphrase", type=int, default=25)
    parser.add_argument("--per-type-slice", type=int, default=6)
    parser.add_argument("--settings", default=",".join("/".join(filter(None, s)) for s in SETTINGS))
    parser.add_argument("--extra-finetune", default="", help="extra finetune flags, e.g. '--oracle'")
    parser.add_argument("--tiny", action="store_true", help="the tiny model, a few questions, one setting (smoke run)")
    args = parser.parse_args()
    small: list[str] = []  # extra gather flags of a smoke run
    if args.tiny:
        args.model, args.n_train, args.reader_epochs, args.ft_train, args.steps = "tiny", 16, 1, 8, 2
        args.per_type, args.per_type_paraphrase, args.settings, small = 1, 1, "two-shot/paper", ["--n-val", "4"]
        args.per_type_slice = 1
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    timing_file = out / "timings.json"
    timings: dict[str, float] = json.loads(timing_file.read_text()) if timing_file.is_file() else {}
    model = ["--model", args.model]
    if args.recipe == "steps":
        nsllm(["gather", *model, "--ops", args.ops, "--n-train", str(args.n_train), *small], out / "gather", timings,
              "gather")  # fmt: skip
        nsllm(["train", "--gather", str(out / "gather"), "--reader-epochs", str(args.reader_epochs)], out / "train",
              timings, "train")  # fmt: skip
    else:
        nsllm(["gather", "--recipe", "paper", *model, "--n-train", str(args.n_train), "--n-val", "200", "--n-test",
               "0", "--layers", "2,3,4,5,6"], out / "gather", timings, "gather")  # fmt: skip
        nsllm(["train", "--gather", str(out / "gather")], out / "train", timings, "train")
    nsllm(["finetune", *model, "--train-run", str(out / "train"), "--n-train", str(args.ft_train), "--steps",
           str(args.steps), *args.extra_finetune.split()], out / "finetune", timings, "finetune")  # fmt: skip
    timing_file.write_text(json.dumps(timings, indent=2))
    rows = []
    for setting in args.settings.split(","):
        prompt, wording, cut = (setting.split("/") + [""])[:3]
        paper = (prompt, wording, cut) == ("two-shot", "paper", "")
        per_type = args.per_type if paper else args.per_type_slice if cut else args.per_type_paraphrase
        run = out / f"bench-{prompt}-{wording}" if not cut else out / f"bench-{prompt}-{cut}"
        methods = "base,ns,ns-shuffled" if paper else "base,ns"
        extra = ["--slice", cut] if cut else []
        nsllm(["bench", "math", *model, "--method", methods, "--ns-run", str(out / "finetune"), "--per-type",
               str(per_type), "--prompt", prompt, "--wording", wording, *extra], run, timings,
              f"bench {setting}")  # fmt: skip
        timing_file.write_text(json.dumps(timings, indent=2))
        rows.append((prompt, wording if not cut else f"{wording}, slice {cut}", run))
    lines = [
        "| prompt | wording | n | base, trained | NS, trained (95% CI) | worst trained type (NS) | "
        "addition base → NS | division base → NS | gate open on unseen | NS read right | NS errors: read / written |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for prompt, wording, run in rows:
        samples = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines() if line.strip()]
        res = json.loads((run / "results.json").read_text())
        per = res["per_type"]
        trained = tuple(res.get("trained_types") or TRAINED)  # the run's operations (results before --ops: the 8)
        ns_trained = [s for s in samples if s["method"] == "ns" and s["problem_type"] in trained]
        k, n = sum(s["correct"] for s in ns_trained), len(ns_trained)
        lo, hi = wilson(k, n)
        worst = min((t for t in trained if t in per["ns"]), key=lambda t: per["ns"][t]["accuracy"])
        err = res.get("ns_errors") or {}
        unseen = err.get("unseen_gate_open")
        unseen_cell = f"{100 * unseen:.1f}% of {err.get('unseen_n')}" if unseen is not None else "-"

        def pair(t: str, per: dict = per) -> str:
            return f"{per['base'][t]['accuracy']:.0f} → {per['ns'][t]['accuracy']:.0f}" if t in per["ns"] else "-"

        lines.append(
            f"| {prompt} | {wording} | {n} | {res['mean_trained']['base']:.1f}% | "
            f"**{res['mean_trained']['ns']:.1f}%** ({lo:.1f}-{hi:.1f}) | {worst} {per['ns'][worst]['accuracy']:.0f}% | "
            f"{pair('addition')} | {pair('division')} | {unseen_cell} | "
            f"{100 * (err.get('read_right_rate') or 0):.1f}% | {err.get('read_wrong', '-')} / "
            f"{err.get('written_wrong', '-')} |"
        )
    lines.append("")
    for prompt, wording, run in rows:
        err = json.loads((run / "results.json").read_text()).get("ns_errors") or {}
        reads = ", ".join(f"{k} {v}" for k, v in (err.get("read_errors") or {}).items()) or "none"
        writes = ", ".join(f"{k} {v}" for k, v in (err.get("write_errors") or {}).items()) or "none"
        misread = "; ".join(
            f"{m['true']} read as {m['read']} ({'open' if m['gate'] else 'shut'}) {m['n']}"
            for m in (err.get("misreads") or [])[:5]
        )
        lines.append(f"- {prompt}/{wording}: read errors {reads}; write errors {writes}; top misreads: {misread}")
    lines.append("")
    for prompt, wording, run in rows:
        cf = json.loads((run / "results.json").read_text()).get("counterfactual") or {}
        if cf.get("n"):
            lines.append(
                f"counterfactual ({prompt}/{wording}, results shuffled across the batch, {cf['n']} answers): the "
                f"output says the injected result {100 * cf['follows_injection']:.1f}%, the gold "
                f"{100 * cf['says_gold']:.1f}%"
            )
    lines.append("stage seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))
    text = "\n".join(lines)
    (out / "ns_accuracy.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
