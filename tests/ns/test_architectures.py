"""The NS pipeline is not Llama-only: layers found by name, sizes from the config, on tiny random models
of the other families (Qwen2/3, Gemma 1/2, Mistral, Phi-3), built offline with the SmolLM2 tokenizer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from nsllm_cli.ns.activations import model_fingerprint
from nsllm_cli.ns.batches import answer_ids, answer_loss, build_batch
from nsllm_cli.ns.bench import generate_batch
from nsllm_cli.ns.paper.intervention import NSIntervention
from nsllm_cli.ns.prefill import prefill_hidden
from nsllm_cli.ns.problems import PROBLEM_TYPES, make_problem
from nsllm_cli.ns.prompts import answer_text, ns_messages, render_prompt
from nsllm_cli.ns.trainer import forward_answers, freeze
from nsllm_cli.ns.vsa import VSA

FAMILIES = ["Qwen2", "Qwen3", "Gemma", "Gemma2", "Mistral", "Phi3"]


def _model(family: str, vocab: int) -> Any:
    import transformers

    config = getattr(transformers, f"{family}Config")(
        vocab_size=vocab,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=2048,
    )
    torch.manual_seed(0)
    model = getattr(transformers, f"{family}ForCausalLM")(config).eval()
    freeze(model)
    return model


@pytest.fixture(scope="module")
def tok(tiny_dir: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_dir))


@pytest.mark.parametrize("family", FAMILIES)
def test_gather_intervene_and_generate_on_other_families(family: str, tok: Any) -> None:
    model = _model(family, len(tok))
    fp = model_fingerprint(model, tok)
    assert fp["n_layers"] == 3 and fp["d_model"] == 64
    probs = [make_problem("gcd", 866, 46), make_problem("bitwise_xor", 500, 3), make_problem("lcm", 12, 8)]
    prompts = [render_prompt(tok, ns_messages(p, seed=0)) for p in probs]
    # early-stopped block inputs == the full pass's hidden states, left padding included
    full = prefill_hidden(model, tok, prompts, [0, 1, 2, 3])
    early = prefill_hidden(model, tok, prompts, [0, 1])
    for layer in (0, 1):
        assert torch.allclose(early[layer], full[layer], atol=1e-4)
    # the intervention trains through the KV-cached prefix exactly as through the full pass
    vsa = VSA.generate(types=PROBLEM_TYPES, dim=128, seed=0)
    gen = torch.Generator().manual_seed(0)
    ns = NSIntervention(
        vsa, torch.randn(128, 64, generator=gen), torch.randn(64, 128, generator=gen), layer=1, gate=-1e9
    )
    batch = build_batch(tok, [answer_ids(tok, ns_messages(p, seed=0), answer_text(p.solution)) for p in probs])
    losses = []
    for prefix_cache in (False, True):
        logits, labels = forward_answers(model, batch, ns, prefix_cache=prefix_cache)
        losses.append(answer_loss(logits, labels))
    assert torch.allclose(losses[0], losses[1], atol=1e-4)
    with torch.no_grad():
        base, _ = forward_answers(model, batch, None)
        changed, _ = forward_answers(model, batch, ns)
    assert not torch.allclose(base, changed, atol=1e-4)  # the hook found the block and acted
    texts = generate_batch(model, tok, prompts, max_new_tokens=3, ns=ns)
    assert len(texts) == 3 and ns.last is not None and ns.last.result.shape == (3,)
