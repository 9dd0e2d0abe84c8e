"""Gathered activations on disk: fp16 safetensors shards per layer, `rows.jsonl` and a manifest.

Layout of a gather folder::

    manifest.json                 model fingerprint, layers, index convention, seed, shard size
    rows.jsonl                    one line per question, in order: row id, split, type, x, y, solution, prompt sha
    h_L{L}_{k:05d}.safetensors    tensor "h" of shape (rows in shard k, d) for layer L

A shard's tensors are written (atomically) before its rows are appended, so the number of
whole lines in `rows.jsonl` is always the number of questions safely on disk: that is what
`gather` resumes from after a kill.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nsllm_cli import __version__
from nsllm_cli.errors import ArtifactError
from nsllm_cli.jsonl import read_jsonl

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

FORMAT = "nsllm-activations"
FORMAT_VERSION = 1
INDEX_CONVENTION = "hidden_states[L] = input of block L; 0 = embeddings"
POSITION_RULE = "last prompt token (end of the generation prompt), prefill, left padding"


def shard_name(layer: int, shard: int) -> str:
    """File name of one layer's shard."""
    return f"h_L{layer}_{shard:05d}.safetensors"


def model_fingerprint(model: PreTrainedModel, tok: PreTrainedTokenizerBase) -> dict[str, Any]:
    """What identifies a model for reuse checks: its config, size and chat template."""
    config = model.config.to_dict()
    for volatile in ("_name_or_path", "transformers_version", "dtype", "torch_dtype", "use_cache"):
        config.pop(volatile, None)
    template = getattr(tok, "chat_template", None) or ""
    return {
        "name_or_path": str(getattr(model.config, "_name_or_path", "")),
        "config_sha256": hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest(),
        "n_layers": int(model.config.num_hidden_layers),
        "d_model": int(model.config.hidden_size),
        "chat_template_sha256": hashlib.sha256(template.encode()).hexdigest(),
    }


def new_manifest(
    fingerprint: dict[str, Any],
    *,
    layers: list[int],
    seed: int,
    complexity: int,
    shots: int,
    shard_size: int,
    total: int,
    splits: dict[str, int],
) -> dict[str, Any]:
    """The manifest of a fresh gather folder."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_by": f"nsllm {__version__}",
        "model": fingerprint,
        "layers": layers,
        "index_convention": INDEX_CONVENTION,
        "position": POSITION_RULE,
        "dtype": "float16",
        "seed": seed,
        "complexity": complexity,
        "shots": shots,
        "shard_size": shard_size,
        "total": total,
        "splits": splits,
    }


def read_manifest(folder: Path) -> dict[str, Any]:
    """Read and check a gather manifest."""
    path = folder / "manifest.json"
    if not path.is_file():
        raise ArtifactError(f"{folder} is not a gather run: {path.name} is missing")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{path} is not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(f"{path}: not an nsllm activations manifest (version {FORMAT_VERSION})")
    return manifest


@dataclass
class Activations:
    """Hidden states of one layer for the rows of one split, loaded into memory (float32)."""

    h: torch.Tensor
    rows: list[dict[str, Any]]


def load_layer(folder: Path, layer: int, split: str | None = None) -> Activations:
    """Load every complete shard of `layer`, optionally keeping only one split's rows."""
    import torch
    from safetensors.torch import load_file

    manifest = read_manifest(folder)
    if layer not in manifest["layers"]:
        raise ArtifactError(f"{folder}: layer {layer} was not gathered (gathered: {manifest['layers']})")
    rows = list(read_jsonl(folder / "rows.jsonl"))
    if not rows:
        raise ArtifactError(f"{folder}: the run is empty (no gathered rows)")
    size = int(manifest["shard_size"])
    n_shards = -(-len(rows) // size)
    parts = []
    for k in range(n_shards):
        path = folder / shard_name(layer, k)
        if not path.is_file():
            raise ArtifactError(f"{path} is missing")
        parts.append(load_file(str(path))["h"])
    h = torch.cat(parts)[: len(rows)].float()
    if split is None:
        return Activations(h, rows)
    keep = [i for i, r in enumerate(rows) if r["split"] == split]
    if not keep:
        raise ArtifactError(f"{folder}: no rows of split {split!r}")
    return Activations(h[torch.tensor(keep)], [rows[i] for i in keep])
