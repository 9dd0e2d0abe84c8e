"""gather throughput, side by side: batched left-padded prefill vs a naive one-question-at-a-time loop.

Run: .venv/bin/python benchmarks/gather_throughput.py [--model embedded] [--n 64] [--batch-size 16] [--upto 6]

All record hidden states at the last prompt token of the same 2-shot prompts. The naive loop is what the
original code effectively did per question: one forward with full logits and every hidden state. nsllm
batches with left padding, computes no logits, and, when the requested layers are block inputs up to
`--upto` (the embedded model's information peaks at index 4), stops the forward pass there.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from nsllm_cli.config import load_settings
from nsllm_cli.models.resolve import load_model, resolve_model
from nsllm_cli.ns.prefill import prefill_hidden
from nsllm_cli.ns.prompts import ns_messages, render_prompt
from nsllm_cli.ns.splits import generate_splits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--upto", type=int, default=6, help="highest layer of the second nsllm row")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "gather_throughput.json")
    parser.add_argument("--tiny", action="store_true", help="the tiny model, 8 questions (smoke run)")
    args = parser.parse_args()
    if args.tiny:
        args.model, args.n, args.batch_size, args.upto = "tiny", 8, 4, 1
    s = load_settings(None, model=args.model, device=args.device)
    model, tok = load_model(resolve_model(s.model, cache=s.cache_dir), device=s.device)
    layers = list(range(model.config.num_hidden_layers + 1))
    problems = generate_splits(n_train=args.n, n_val=0, n_test=0, seed=0)["train"]
    prompts = [render_prompt(tok, ns_messages(p, seed=0)) for p in problems]
    prefill_hidden(model, tok, prompts[: args.batch_size], layers)  # warm-up

    def naive(chunk: list[str]) -> None:
        for prompt in chunk:
            ids = tok(prompt, return_tensors="pt", add_special_tokens=False).to(model.device)
            with torch.inference_mode():
                out = model(**ids, output_hidden_states=True)
            _ = [h[0, -1].float().cpu() for h in out.hidden_states]

    upto = list(range(args.upto + 1))
    ways = {
        "naive": naive,
        "all": lambda chunk: prefill_hidden(model, tok, chunk, layers),
        "upto": lambda chunk: prefill_hidden(model, tok, chunk, upto),
    }
    seconds = dict.fromkeys(ways, 0.0)
    # interleaved chunk by chunk, so a machine whose load changes during the run slows every way alike
    for b in range(0, args.n, args.batch_size):
        chunk = prompts[b : b + args.batch_size]
        for name, way in ways.items():
            start = time.perf_counter()
            way(chunk)
            seconds[name] += time.perf_counter() - start
    naive_qps, ours_all, ours_upto = (args.n / seconds[k] for k in ("naive", "all", "upto"))
    print(
        f"device {model.device} | {args.n} questions | naive loop {naive_qps:.1f} q/s"
        f" | nsllm all {len(layers)} layers (bs {args.batch_size}) {ours_all:.1f} q/s ({ours_all / naive_qps:.2f}x)"
        f" | nsllm layers 0-{args.upto} {ours_upto:.1f} q/s ({ours_upto / naive_qps:.2f}x)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"model": args.model, "n": args.n, "naive_qps": naive_qps, "all_qps": ours_all, "upto_qps": ours_upto}
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
