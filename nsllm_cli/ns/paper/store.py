"""The paper recipe's NS model on disk: atoms, encoder, trained decoder and settings, as safetensors + JSON.

Kept apart from the trainer so that `serve`, `bench` and the providers load NS runs without importing it;
`ns.store.load_ns` tells this format from the steps recipe's.

Example:
    >>> save_ns(run / "artifacts" / "ns", ns, meta={"steps": 1000})
    >>> ns, manifest = load_paper_ns(run / "artifacts" / "ns", gate=0.95)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nsllm_cli.artifacts import load_artifact, save_artifact
from nsllm_cli.ns.paper.intervention import NSIntervention
from nsllm_cli.ns.vsa import VSA

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


def load_paper_ns(folder: Path, **overrides: Any) -> tuple[NSIntervention, dict[str, Any]]:
    """Rebuild the `NSIntervention` saved in `folder`; refuses atoms with another checksum."""
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
