"""NS finetune step, side by side: nsllm's step vs a naive full forward + backward.

Run: .venv/bin/python benchmarks/finetune_step.py [--model embedded] [--layer 4] [--steps 5] [--batch-size 8]

All three steps train the same decoder with the intervention at the same layer and give the same loss.
- naive: one forward over prompt + answer with the vocabulary head at every position, `model(labels=...)`,
  backward (the usual way);
- head only: the vocabulary head on the answer positions only (`logits_to_keep`);
- nsllm: also the prompt prefix before the intervened token (which the intervention cannot change, at any
  layer) in one no-grad pass into a KV cache, so only the last prompt token and the answer run with autograd.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from nsllm_cli.config import load_settings
from nsllm_cli.hooks import intervene
from nsllm_cli.models.resolve import load_model, resolve_model
from nsllm_cli.ns.batches import answer_ids, answer_loss, build_batch
from nsllm_cli.ns.paper.intervention import NSIntervention
from nsllm_cli.ns.problems import PROBLEM_TYPES
from nsllm_cli.ns.prompts import answer_text, ns_messages
from nsllm_cli.ns.splits import generate_splits
from nsllm_cli.ns.trainer import forward_answers, freeze
from nsllm_cli.ns.vsa import VSA


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--layer", type=int, default=4)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "finetune_step.json")
    parser.add_argument("--tiny", action="store_true", help="the tiny model, 1 step of 2 questions (smoke run)")
    args = parser.parse_args()
    if args.tiny:
        args.model, args.layer, args.steps, args.batch_size = "tiny", 1, 1, 2
    s = load_settings(None, model=args.model, device=args.device)
    model, tok = load_model(resolve_model(s.model, cache=s.cache_dir), device=s.device)
    freeze(model)
    d = model.config.hidden_size
    vsa = VSA.generate(types=PROBLEM_TYPES, dim=2048, seed=0)
    gen = torch.Generator().manual_seed(0)
    ns = NSIntervention(
        vsa,
        torch.randn(2048, d, generator=gen) * 0.01,
        torch.randn(d, 2048, generator=gen) * 0.01,
        layer=args.layer,
        gate=-1e9,
    ).to(model.device)
    opt = torch.optim.Adam(ns.decoder.parameters(), lr=1e-3)
    problems = generate_splits(n_train=args.batch_size * (args.steps + 1), n_val=0, n_test=0, seed=0)["train"]
    pairs = [answer_ids(tok, ns_messages(p, seed=0), answer_text(p.solution)) for p in problems]
    batches = [
        build_batch(tok, pairs[i : i + args.batch_size]).to(model.device) for i in range(0, len(pairs), args.batch_size)
    ]

    def make_ours(prefix_cache: bool) -> object:
        def ours(batch: object) -> float:
            logits, labels = forward_answers(model, batch, ns, prefix_cache=prefix_cache)  # type: ignore[arg-type]
            loss = answer_loss(logits, labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return float(loss.detach())

        return ours

    def naive(batch: object) -> float:
        b = batch  # full logits at every position, shifted labels inside the model
        labels = torch.full_like(b.input_ids, -100)  # type: ignore[attr-defined]
        labels[:, 1:] = b.labels[:, :-1]  # type: ignore[attr-defined]
        with intervene(model, ns.layer, ns.hook_fn) as handle:
            handle.position = b.prompt_len - 1  # type: ignore[attr-defined]
            loss = model(**b.model_inputs(), labels=labels).loss  # type: ignore[attr-defined]
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.detach())

    ways = {"naive": naive, "head": make_ours(False), "ours": make_ours(True)}
    for way in ways.values():
        way(batches[0])  # type: ignore[operator]  # warm-up
    seconds = dict.fromkeys(ways, 0.0)
    # interleaved step by step, so a machine whose load changes during the run slows every way alike
    for batch in batches[1:]:
        for name, way in ways.items():
            start = time.perf_counter()
            way(batch)  # type: ignore[operator]
            seconds[name] += time.perf_counter() - start
    naive_s, head_s, ours_s = (seconds[k] / args.steps for k in ("naive", "head", "ours"))
    print(
        f"device {model.device} | layer {args.layer} | batch {args.batch_size} | naive {naive_s * 1000:.0f} ms/step"
        f" | head only {head_s * 1000:.0f} ms/step ({naive_s / head_s:.2f}x)"
        f" | nsllm (+ prefix KV cache) {ours_s * 1000:.0f} ms/step | {naive_s / ours_s:.2f}x"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"model": args.model, "layer": args.layer, "naive_s": naive_s, "head_s": head_s, "ours_s": ours_s}
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
