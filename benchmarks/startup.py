"""Startup costs, side by side: our lazy CLI vs an eager one, and the converted cache vs the GGUF.

Run: .venv/bin/python benchmarks/startup.py  (or `make bench`)

1. `nsllm --help` (heavy imports inside commands) vs the same Typer app preceded by the imports a
   naive CLI would do at module level (torch, transformers, peft, trl, textual).
2. Loading the embedded model from the converted safetensors cache vs straight from the GGUF.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

EAGER = "import torch, transformers, peft, trl, textual; from nsllm_cli.cli import main; main()"
LAZY = "from nsllm_cli.cli import main; main()"


def time_cmd(code: str, repeats: int = 5, warm_up: bool = True) -> float:
    """Median wall seconds of `python -c code --help` over `repeats` runs (after one warm-up)."""
    cmd = [sys.executable, "-c", code, "--help"]
    if warm_up:
        subprocess.run(cmd, capture_output=True, check=True)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def time_loads() -> tuple[float, float]:
    """Seconds to load the embedded model: from the converted cache, and from the GGUF."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from nsllm_cli.config import load_settings
    from nsllm_cli.models import embedded

    cache = load_settings(None).cache_dir
    folder = embedded.ensure_converted(cache)
    start = time.perf_counter()
    AutoTokenizer.from_pretrained(str(folder))
    AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32)
    cached = time.perf_counter() - start
    start = time.perf_counter()
    embedded.load_gguf(embedded.gguf_path())
    gguf = time.perf_counter() - start
    return cached, gguf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "startup.json")
    parser.add_argument("--tiny", action="store_true", help="one run each, no warm-up, no model loads (smoke run)")
    args = parser.parse_args()
    repeats = 1 if args.tiny else 5
    lazy, eager = time_cmd(LAZY, repeats, not args.tiny), time_cmd(EAGER, repeats, not args.tiny)
    print(
        f"nsllm --help, median of {repeats}: lazy {lazy * 1000:.0f} ms | eager imports {eager * 1000:.0f} ms"
        f" | {eager / lazy:.1f}x faster"
    )
    result: dict[str, float | None] = {"help_lazy_s": lazy, "help_eager_s": eager, "load_cached_s": None}
    if not args.tiny:
        cached, gguf = time_loads()
        print(f"embedded model load: converted cache {cached:.1f} s | from GGUF {gguf:.1f} s | {gguf / cached:.1f}x")
        result.update(load_cached_s=cached, load_gguf_s=gguf)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
