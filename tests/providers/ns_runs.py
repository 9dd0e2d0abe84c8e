"""NS finetune run folders for the tiny model, written the way `nsllm finetune` writes them (helpers, not tests).

The intervention is random but strong: a large random decoder, mix 0 (the hidden state is replaced
outright) and an open gate (-1e9: every type score passes), so it must change what the model says;
a closed gate (1e9) must leave the answer alone. Built in well under a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

QUESTION = [{"role": "user", "content": "What is 866 gcd 46?"}]


def tiny_loaded(model_cache: Path) -> Any:
    """The process-wide tiny model on CPU in float32 (what `ns:` and `local:tiny` load in the tests)."""
    from nsllm_cli.providers.local import LocalProvider

    return LocalProvider("local:tiny", "tiny", model_cache=model_cache, device="cpu", dtype="float32").loaded


def make_tiny_ns_run(
    root: Path,
    name: str,
    *,
    model_cache: Path,
    gate: float = -1e9,
    recorded: str | None = "tiny",
    fingerprint: dict[str, Any] | None = None,
) -> Path:
    """A finished finetune run folder `root/name` whose artifacts/ns hold an NS intervention for the tiny model.

    Args:
        recorded: the `--model` its config.yaml records (None: no config.yaml, the model comes from the manifest).
        fingerprint: keys that replace the tiny model's fingerprint in the manifest (a run of another model).
    """
    import torch

    from nsllm_cli.config import load_settings
    from nsllm_cli.ns.activations import model_fingerprint
    from nsllm_cli.ns.paper.intervention import NSIntervention
    from nsllm_cli.ns.paper.store import save_ns
    from nsllm_cli.ns.problems import PROBLEM_TYPES
    from nsllm_cli.ns.vsa import VSA
    from nsllm_cli.runs import RunDir

    loaded = tiny_loaded(model_cache)
    d = int(loaded.model.config.hidden_size)
    vsa = VSA.generate(types=PROBLEM_TYPES, dim=256, seed=0)
    gen = torch.Generator().manual_seed(0)
    enc, dec = torch.randn(256, d, generator=gen) * 0.1, torch.randn(d, 256, generator=gen) * 50.0
    ns = NSIntervention(vsa, enc, dec, layer=1, gate=gate, mix=0.0)
    meta = {"model": {**model_fingerprint(loaded.model, loaded.tokenizer), **(fingerprint or {})}}
    if recorded is None:
        path = root / name
        save_ns(path / "artifacts" / "ns", ns, meta=meta)
        return path
    run = RunDir.create(root, "finetune", settings=load_settings(None, model=recorded), name=name, argv=["nsllm"])
    save_ns(run.artifacts / "ns", ns, meta=meta)
    run.finish({"steps": 0})
    return run.path
