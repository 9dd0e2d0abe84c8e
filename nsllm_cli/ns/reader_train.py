"""`train` for the step-wise recipe: fit the reader on a span gather and report it per split.

The report is what tells a user whether the read side is good enough before spending time on the
writer: on validation prompts (trained wordings, new numbers) and on held-out wordings, the share of
problems read fully right (type, x, y, gate open), the type and operand accuracy, and the gate's false-open
rate on negatives.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from nsllm_cli.errors import ArtifactError
from nsllm_cli.events import Event, ignore
from nsllm_cli.ns.problems import PROBLEM_TYPES, TRAIN_TYPES
from nsllm_cli.ns.reader import SpanReader, evaluate_reader, train_reader
from nsllm_cli.ns.span_gather import load_split, read_span_manifest
from nsllm_cli.ns.stepwise_store import save_reader
from nsllm_cli.ns.vsa import VSA


def train_steps_reader(
    source: Path,
    out: Path,
    *,
    epochs: int = 20,
    hidden: int = 256,
    lr: float = 2e-3,
    batch_size: int = 64,
    gate: float = 0.9,
    vsa_dim: int = 2048,
    atoms_seed: int = 0,
    seed: int = 0,
    on_event: Event = ignore,
) -> dict[str, Any]:
    """Fit a `SpanReader` on `source`'s train split; save it with fresh atoms in `out/reader`. Returns results."""
    manifest = read_span_manifest(source)
    train = load_split(source, "train")
    if train is None or len(train) == 0:
        raise ArtifactError(f"{source} has no training prompts")
    torch.manual_seed(seed)
    complexity = int(manifest.get("config", {}).get("complexity", 2))
    reader = SpanReader(
        int(train.feats.shape[1]), n_types=len(TRAIN_TYPES), hidden=hidden, max_operand=10 ** (complexity + 1) - 1
    )
    on_event("start", {"train": len(train), "read_layers": manifest["read_layers"]})
    t0 = time.perf_counter()
    history = train_reader(reader, train, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, on_event=on_event)
    seconds = time.perf_counter() - t0
    splits = {}
    for split in ("val", "heldout"):
        data = load_split(source, split)
        if data is not None and len(data):
            splits[split] = evaluate_reader(reader, data, gate=gate)
    splits["train"] = evaluate_reader(reader, train, gate=gate)
    vsa = VSA.generate(types=PROBLEM_TYPES, dim=vsa_dim, seed=atoms_seed)
    results = {
        "recipe": "steps",
        "model": manifest["model"],
        "read_layers": manifest["read_layers"],
        "types": list(TRAIN_TYPES),
        "complexity": complexity,
        "gate": gate,
        "epochs": epochs,
        "seconds": round(seconds, 1),
        "final_loss": history[-1]["loss"] if history else None,
        "splits": splits,
        "gather": str(source),
    }
    save_reader(out / "reader", reader, vsa, meta=results)
    return results
