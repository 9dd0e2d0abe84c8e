"""A random-init tiny Llama (2 layers, hidden 64) with the real SmolLM2 tokenizer.

Used by the tests and by `--model tiny` for smoke runs: it exercises every code path of the
real model (chat template, digits as single tokens, hidden states) in milliseconds, and it
needs no download. Its answers are noise.
"""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.models.build_once import build_once

CACHE_NAME = "tiny-llama"


def build_tiny(out: Path, tokenizer_dir: Path, *, seed: int = 0) -> None:
    """Write a tiny random Llama plus the tokenizer found in `tokenizer_dir` into `out`."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=pad,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(cfg).eval()
    model.generation_config.pad_token_id = pad
    model.save_pretrained(str(out))
    tok.model_max_length = cfg.max_position_embeddings
    tok.save_pretrained(str(out))


def ensure_tiny(cache: Path) -> Path:
    """The tiny model folder in the cache, built once from the embedded model's tokenizer."""
    from nsllm_cli.models.embedded import ensure_converted

    source = ensure_converted(cache)
    return build_once(cache / "models" / CACHE_NAME, lambda tmp: build_tiny(tmp, source), marker="model.safetensors")
