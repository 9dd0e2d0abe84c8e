"""Nothing else changes: greedy answers with the NS hook attached vs the plain model, on prompts without math.

Run: .venv/bin/python benchmarks/ns_no_change.py --ns-run runs/ns-accuracy/finetune [--max-new-tokens 32]

The prompts are the 243 hand-written non-math, numeric non-math and chat prompts shipped with the tests
(`tests/data/non_math_prompts.txt`, never used in training), each asked in the plain chat format and after the
paper's 2-shot math examples. Reported: the gate's false-open rate (the hook decided to write) and the share of
answers that are token-identical to the plain model's (greedy). It also reports the gate on addition and
division questions (unseen types) in both formats.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from nsllm_cli.config import load_settings
from nsllm_cli.models.resolve import load_model, resolve_model
from nsllm_cli.ns.bench import bench_messages, generate_batch
from nsllm_cli.ns.intervention import attach
from nsllm_cli.ns.problems import generate_test_per_type
from nsllm_cli.ns.prompts import few_shot_examples, render_prompt
from nsllm_cli.ns.read_data import messages_for
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ns-run", type=Path, required=True)
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    s = load_settings(None, model=args.model)
    model, tok = load_model(resolve_model(s.model, cache=s.cache_dir), device=s.device)
    ns = load_ns_run(args.ns_run, model, tok)
    texts = [line.strip() for line in PROMPTS.read_text(encoding="utf-8").splitlines() if line.strip()]
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
    unseen = generate_test_per_type(50, seed=11, types=["addition", "division"])
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
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
