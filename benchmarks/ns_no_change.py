"""Nothing else changes: greedy answers with the NS hook attached vs the plain model, on prompts without math.

Run: .venv/bin/python benchmarks/ns_no_change.py --ns-run runs/ns-accuracy/finetune [--max-new-tokens 32] [--tiny]

The prompts are the 243 hand-written non-math, numeric non-math and chat prompts shipped with the tests
(`tests/data/non_math_prompts.txt`, never used in training), each asked in the plain chat format and after the
paper's 2-shot math examples. Reported: the gate's false-open rate (the hook decided to write) and the share of
answers that are token-identical to the plain model's (greedy). It also reports the gate on addition and
division questions (unseen types) in both formats.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from nsllm_cli.config import load_settings
from nsllm_cli.models.resolve import load_model, resolve_model
from nsllm_cli.ns.bench import bench_messages, generate_batch
from nsllm_cli.ns.injection import attach
from nsllm_cli.ns.prompts import few_shot_examples, messages_for, render_prompt
from nsllm_cli.ns.splits import generate_test_per_type
from nsllm_cli.providers.ns_local import load_ns_run

PROMPTS = Path(__file__).resolve().parents[1] / "tests" / "data" / "non_math_prompts.txt"


def token_ids(model: object, tok: object, prompts: list[str], ns: object | None, n: int) -> list[list[int]]:
    side = tok.padding_side  # type: ignore[attr-defined]
    tok.padding_side = "left"  # type: ignore[attr-defined]
    enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False)  # type: ignore[operator]
    tok.padding_side = side  # type: ignore[attr-defined]
    kwargs = {"max_new_tokens": n, "do_sample": False, "pad_token_id": tok.pad_token_id}  # type: ignore[attr-defined]
    with torch.inference_mode():
        if ns is None:
            out = model.generate(**enc, **kwargs)  # type: ignore[attr-defined]
        else:
            with attach(model, ns):  # type: ignore[arg-type]
                out = model.generate(**enc, **kwargs)  # type: ignore[attr-defined]
    return [row.tolist() for row in out[:, enc["input_ids"].shape[1] :]]


def tiny_ns_run(root: Path) -> Path:
    """A tiny-model NS run (gather, train, finetune through the CLI with a few questions), for a smoke run."""
    cli = [sys.executable, "-m", "nsllm_cli"]
    stages = [
        ["gather", "--model", "tiny", "--n-train", "16", "--n-val", "4"],
        ["train", "--gather", str(root / "gather"), "--reader-epochs", "1"],
        ["finetune", "--model", "tiny", "--train-run", str(root / "train"), "--n-train", "8", "--steps", "2"],
    ]
    for stage in stages:
        subprocess.run([*cli, *stage, "--run-dir", str(root / stage[0])], check=True, capture_output=True)
    return root / "finetune"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ns-run", type=Path, help="a finetune run folder (needed unless --tiny)")
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "ns_no_change.json")
    parser.add_argument(
        "--tiny", action="store_true", help="the tiny model, 8 prompts, 4 tokens; builds a tiny NS run if none given"
    )
    args = parser.parse_args()
    limit, per_unseen = None, 50
    if args.tiny:
        args.model, args.max_new_tokens, args.batch_size, limit, per_unseen = "tiny", 4, 8, 8, 2
        if args.ns_run is None:
            args.ns_run = tiny_ns_run(Path(tempfile.mkdtemp(prefix="ns-no-change-")))
    if args.ns_run is None:
        parser.error("--ns-run is required (or --tiny)")
    result: dict[str, dict[str, int]] = {}
    s = load_settings(None, model=args.model)
    model, tok = load_model(resolve_model(s.model, cache=s.cache_dir), device=s.device)
    ns = load_ns_run(args.ns_run, model, tok)
    texts = [line.strip() for line in PROMPTS.read_text(encoding="utf-8").splitlines() if line.strip()][:limit]
    anchor = generate_test_per_type(1, seed=5, types=["gcd"])[0]
    shots = few_shot_examples(anchor, seed=0)
    formats = {
        "chat": lambda q: messages_for(q, "chat"),
        "two-shot": lambda q: messages_for(q, "two-shot", shots=shots),
    }
    t0 = time.perf_counter()
    print("| format | prompts | gate false-open | token-identical answers |")
    print("|---|---|---|---|")
    for name, build in formats.items():
        opened, same = 0, 0
        for b in range(0, len(texts), args.batch_size):
            chunk = [render_prompt(tok, build(q)) for q in texts[b : b + args.batch_size]]
            plain = token_ids(model, tok, chunk, None, args.max_new_tokens)
            hooked = token_ids(model, tok, chunk, ns, args.max_new_tokens)
            opened += int(ns.last.gate.sum())
            same += sum(p == h for p, h in zip(plain, hooked, strict=True))
        n = len(texts)
        print(f"| {name} | {n} | {opened} ({100 * opened / n:.1f}%) | {same} ({100 * same / n:.1f}%) |")
        result[name] = {"prompts": n, "gate_open": opened, "token_identical": same}
    unseen = generate_test_per_type(per_unseen, seed=11, types=["addition", "division"])
    print("\n| unseen type | format | questions | gate open |\n|---|---|---|---|")
    for name in formats:
        for kind in ("addition", "division"):
            qs = [p for p in unseen if p.problem_type == kind]
            opened = 0
            for b in range(0, len(qs), args.batch_size):
                built = [
                    bench_messages(p, prompt=name, wording="paper", seed=0, complexity=2, shots=2)[0]
                    for p in qs[b : b + args.batch_size]
                ]
                chunk = [render_prompt(tok, m) for m in built]
                generate_batch(model, tok, chunk, max_new_tokens=1, ns=ns)
                opened += int(ns.last.gate.sum())
            print(f"| {kind} | {name} | {len(qs)} | {opened} ({100 * opened / len(qs):.1f}%) |")
            result[f"{kind}/{name}"] = {"questions": len(qs), "gate_open": opened}
    print(f"\n{time.perf_counter() - t0:.0f} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
