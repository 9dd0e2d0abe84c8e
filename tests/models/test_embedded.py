"""The embedded SmolLM2: conversion from the wheel's GGUF gives the same logits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from nsllm_cli.models import embedded

pytestmark = pytest.mark.slow

PROMPT = "<|im_start|>user\nWhat is 866 + 47?<|im_end|>\n<|im_start|>assistant\n"


def test_converted_checkpoint_matches_gguf_logits(embedded_dir: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_model, gguf_tok = embedded.load_gguf(embedded.gguf_path())
    model = AutoModelForCausalLM.from_pretrained(str(embedded_dir), dtype=torch.float32, local_files_only=True).eval()
    tok = AutoTokenizer.from_pretrained(str(embedded_dir), local_files_only=True)
    ids_gguf = gguf_tok(PROMPT, return_tensors="pt").input_ids
    ids = tok(PROMPT, return_tensors="pt").input_ids
    assert torch.equal(ids, ids_gguf)
    with torch.no_grad():
        diff = (gguf_model(ids_gguf).logits - model(ids).logits).abs().max().item()
    assert diff <= 1e-4


def test_converted_folder_is_a_plain_checkpoint(embedded_dir: Path) -> None:
    names = {p.name for p in embedded_dir.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= names
    config = json.loads((embedded_dir / "config.json").read_text())
    assert "quantization_config" not in config
    assert (config["num_hidden_layers"], config["hidden_size"]) == (30, 576)
    assert json.loads((embedded_dir / "tokenizer_config.json").read_text())["model_max_length"] == 8192
    assert not list(embedded_dir.parent.glob(".*tmp-*"))


def test_second_resolution_reuses_the_conversion(embedded_dir: Path, model_cache: Path) -> None:
    before = (embedded_dir / "model.safetensors").stat().st_mtime_ns
    assert embedded.ensure_converted(model_cache) == embedded_dir
    assert (embedded_dir / "model.safetensors").stat().st_mtime_ns == before
