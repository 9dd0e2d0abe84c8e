"""The tiny random-init Llama used by the tests and by --model tiny."""

from __future__ import annotations

from pathlib import Path

import torch

from nsllm_cli.models.resolve import load_model, resolve_model


def test_tiny_model_shape_and_tokenizer(tiny_dir: Path, model_cache: Path) -> None:
    resolved = resolve_model("tiny", cache=model_cache)
    assert Path(resolved.source) == tiny_dir
    model, tok = load_model(resolved, device="cpu")
    cfg = model.config
    assert (cfg.num_hidden_layers, cfg.hidden_size, cfg.vocab_size) == (2, 64, len(tok))
    assert 3_000_000 < sum(p.numel() for p in model.parameters()) < 3_500_000
    assert model.dtype == torch.float32
    # the real SmolLM2 tokenizer: every digit its own token, ChatML template
    ids = tok(" 866", add_special_tokens=False).input_ids
    assert [tok.decode([i]) for i in ids][-3:] == ["8", "6", "6"]
    text = tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
    assert "<|im_start|>assistant" in text
    enc = tok(["1 + 1", "a longer prompt here"], return_tensors="pt", padding=True)
    with torch.no_grad():
        out = model(**enc, output_hidden_states=True)
    assert len(out.hidden_states) == 3
    assert out.hidden_states[0].shape == (2, enc.input_ids.shape[1], 64)


def test_tiny_model_is_deterministic(tiny_dir: Path, tmp_path: Path) -> None:
    from nsllm_cli.models.tiny import build_tiny

    build_tiny(tmp_path / "again", tiny_dir)
    a = (tiny_dir / "model.safetensors").read_bytes()
    b = (tmp_path / "again" / "model.safetensors").read_bytes()
    assert a == b
