"""Saving and loading the step-wise NS model: atoms, reader, writer and their settings, as safetensors + JSON.

One folder (a finetune run's `artifacts/ns`) holds everything besides the LLM:
`vsa_atoms/` (pinned by sha256), `tensors.safetensors` (reader weights under ``reader.*``, the writer
under ``writer``) and `manifest.json` (format ``nsllm-ns-steps``: layers, gate, types, the user-turn
header ids, the tokenizer's digit check and the model fingerprint). No pickles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from nsllm_cli.artifacts import load_artifact, read_manifest, save_artifact
from nsllm_cli.errors import ArtifactError
from nsllm_cli.ns.steps.model import StepwiseNS
from nsllm_cli.ns.steps.reader import READER_VERSION, SpanReader
from nsllm_cli.ns.steps.writer import StepWriter
from nsllm_cli.ns.vsa import VSA

STEPS_FORMAT = "nsllm-ns-steps"
READER_FORMAT = "nsllm-reader"


def save_reader(folder: Path, reader: SpanReader, vsa: VSA, *, meta: dict[str, Any]) -> None:
    """A trained reader (a `train` run's artifact) with its atoms."""
    sha = vsa.save(folder / "vsa_atoms")
    save_artifact(
        folder,
        {f"reader.{k}": v for k, v in reader.state_dict().items()},
        fmt=READER_FORMAT,
        meta={**meta, **_reader_shape(reader)},
        depends_on={"vsa_atoms": sha},
    )


def load_reader(folder: Path) -> tuple[SpanReader, VSA, dict[str, Any]]:
    """Rebuild a reader saved by `save_reader` (refuses atoms with another checksum)."""
    vsa = VSA.load(folder / "vsa_atoms")
    tensors, manifest = load_artifact(folder, fmt=READER_FORMAT, expect_depends_on={"vsa_atoms": vsa.sha256})
    reader = _build_reader(tensors, manifest["meta"])
    return reader, vsa, manifest["meta"]


def _reader_shape(reader: SpanReader) -> dict[str, Any]:
    return {
        "reader_version": READER_VERSION,
        "d_model": reader.d_model,
        "n_slots": reader.n_slots,
        "digit_slots": reader.digit_slots,
        "type_slots": reader.type_slots,
        "ood_slot": reader.ood_slot,
        "n_types": reader.n_types,
        "hidden": reader.hidden,
        "max_operand": reader.max_operand,
        "tail": reader.tail,
    }


def _build_reader(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> SpanReader:
    if meta.get("reader_version") != READER_VERSION:
        raise ArtifactError(
            "this NS run's reader was trained before the pooled type read and the open-set gate, so its gate "
            "cannot be trusted; retrain it: nsllm gather, nsllm train, then nsllm finetune"
        )
    try:
        reader = SpanReader(
            d_model=int(meta["d_model"]),
            n_slots=int(meta["n_slots"]),
            digit_slots=[int(v) for v in meta["digit_slots"]],
            type_slots=[int(v) for v in meta["type_slots"]],
            ood_slot=int(meta["ood_slot"]),
            n_types=int(meta["n_types"]),
            hidden=int(meta["hidden"]),
            max_operand=int(meta["max_operand"]),
            tail=int(meta.get("tail", 0)),
        )
        reader.load_state_dict({k.removeprefix("reader."): v for k, v in tensors.items() if k.startswith("reader.")})
    except (KeyError, RuntimeError, ValueError) as exc:
        raise ArtifactError(f"not a usable reader: {exc}") from exc
    return reader.eval()


def save_stepwise(folder: Path, ns: StepwiseNS, *, meta: dict[str, Any]) -> None:
    """Everything the step-wise NS model needs beside the LLM."""
    sha = ns.vsa.save(folder / "vsa_atoms")
    tensors = {f"reader.{k}": v for k, v in ns.reader.state_dict().items()}
    tensors["writer"] = ns.writer.decoder.weight.detach()
    save_artifact(
        folder,
        tensors,
        fmt=STEPS_FORMAT,
        meta={
            **meta,
            **_reader_shape(ns.reader),
            "recipe": "steps",
            "types": list(ns.types),
            "read_layers": ns.read_layers,
            "layer": ns.layer,
            "write_layer": ns.layer,
            "header": ns.header,
            "gate": ns.gate_threshold,
            "complexity": ns.complexity,
            "max_steps": ns.max_steps,
            "oracle": ns.oracle,
            "digit_ids": ns.digit_ids,
            "minus_ids": ns.minus_ids,
        },
        depends_on={"vsa_atoms": sha},
    )


def is_stepwise(folder: Path) -> bool:
    """Whether `folder` holds a step-wise NS model (else the paper's format)."""
    try:
        read_manifest(folder, fmt=STEPS_FORMAT)
    except ArtifactError:
        return False
    return True


def load_stepwise(folder: Path, **overrides: Any) -> tuple[StepwiseNS, dict[str, Any]]:
    """Rebuild a `StepwiseNS` saved by `save_stepwise`; `overrides` may set gate."""
    vsa = VSA.load(folder / "vsa_atoms")
    tensors, manifest = load_artifact(folder, fmt=STEPS_FORMAT, expect_depends_on={"vsa_atoms": vsa.sha256})
    meta = manifest["meta"]
    reader = _build_reader(tensors, meta)
    writer = StepWriter(vsa.dim, int(tensors["writer"].shape[0]))
    with torch.no_grad():
        writer.decoder.weight.copy_(tensors["writer"])
    ns = StepwiseNS(
        vsa,
        reader,
        writer,
        types=tuple(meta["types"]),
        read_layers=[int(v) for v in meta["read_layers"]],
        write_layer=int(meta["write_layer"]),
        header=[int(v) for v in meta["header"]],
        gate=float(overrides.get("gate", meta["gate"])),
        complexity=int(meta["complexity"]),
        max_steps=int(meta["max_steps"]),
        oracle=bool(meta.get("oracle", False)),
        digit_ids=[int(v) for v in meta.get("digit_ids", ())],
        minus_ids=[int(v) for v in meta.get("minus_ids", ())],
    )
    return ns, manifest
