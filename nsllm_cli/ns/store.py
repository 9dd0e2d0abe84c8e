"""A trained NS model on disk: save and load the folder a finetune run keeps in `artifacts/ns`.

Kept apart from the trainer so that `serve`, `bench` and the providers load NS runs without importing it.
The paper's `NSIntervention` is saved here; a step-wise model (`StepwiseNS`) is saved by `ns.stepwise_store`,
and `load_ns` tells the two apart.

Example:
    >>> save_ns(run / "artifacts" / "ns", ns, meta={"steps": 1000})
    >>> ns, manifest = load_ns(run / "artifacts" / "ns", gate=0.95)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nsllm_cli.artifacts import load_artifact, save_artifact
from nsllm_cli.ns.intervention import NSIntervention

NS_FORMAT = "nsllm-ns"


def save_ns(folder: Path, ns: NSIntervention, *, meta: dict[str, Any]) -> None:
    """Everything the NS model needs beside the LLM: atoms, encoder, trained decoder, gate and mix."""
    atoms_sha = ns.vsa.save(folder / "vsa_atoms")
    save_artifact(
        folder,
        {"encoder": ns.enc_weight, "decoder": ns.decoder.weight.detach()},
        fmt=NS_FORMAT,
        meta={
            **meta,
            "layer": ns.layer,
            "gate": ns.gate_threshold,
            "mix": ns.mix,
            "complexity": ns.complexity,
            "inject": ns.inject,
            "oracle": ns.oracle,
            "read_layers": ns.read_layers,
        },
        depends_on={"vsa_atoms": atoms_sha},
    )


def load_ns(folder: Path, **overrides: Any) -> tuple[Any, dict[str, Any]]:
    """Rebuild the NS model saved in `folder`: a `StepwiseNS` (recipe steps) or an `NSIntervention` (paper).

    Refuses atoms with another checksum.
    """
    from nsllm_cli.ns.stepwise_store import is_stepwise, load_stepwise
    from nsllm_cli.ns.vsa import VSA

    if is_stepwise(folder):
        return load_stepwise(folder, **{k: v for k, v in overrides.items() if k == "gate"})

    vsa = VSA.load(folder / "vsa_atoms")
    tensors, manifest = load_artifact(folder, fmt=NS_FORMAT, expect_depends_on={"vsa_atoms": vsa.sha256})
    meta = manifest["meta"]
    options = {
        "gate": meta["gate"],
        "mix": meta["mix"],
        "complexity": meta["complexity"],
        "inject": meta.get("inject", "last"),
        "oracle": bool(meta.get("oracle", False)),
        "read_layers": meta.get("read_layers"),
        **overrides,
    }
    ns = NSIntervention(vsa, tensors["encoder"], tensors["decoder"], layer=int(meta["layer"]), **options)
    return ns, manifest
