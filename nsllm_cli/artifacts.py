"""Tensors on disk: safetensors + a JSON manifest beside them, never pickles.

A manifest records the format, its version, nsllm's version, free metadata and the sha256 of
the tensor file and of every artifact it depends on, so that a loader can refuse a mismatch
(for example an encoder saved with other VSA atoms).

Example:
    >>> save_artifact(Path("atoms"), {"atoms": t}, fmt="vsa-atoms", meta={"seed": 0})
    >>> tensors, manifest = load_artifact(Path("atoms"), fmt="vsa-atoms")
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nsllm_cli import __version__
from nsllm_cli.errors import ArtifactError
from nsllm_cli.jsonl import write_json_atomic

if TYPE_CHECKING:
    import torch

FORMAT_VERSION = 1
TENSORS = "tensors.safetensors"
MANIFEST = "manifest.json"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def save_artifact(
    folder: Path,
    tensors: dict[str, torch.Tensor],
    *,
    fmt: str,
    meta: dict[str, Any] | None = None,
    depends_on: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Save `tensors` to `folder/tensors.safetensors` and write `folder/manifest.json`.

    Args:
        folder: created if missing.
        tensors: name -> tensor; made contiguous and moved to CPU.
        fmt: the artifact kind, checked on load.
        meta: JSON-able metadata (model id, layers, seed, ...).
        depends_on: name -> sha256 of artifacts this one must be used with.

    Returns:
        The manifest that was written.
    """
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{TENSORS}.tmp-{os.getpid()}"
    save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(tmp))
    os.replace(tmp, folder / TENSORS)
    manifest = {
        "format": fmt,
        "format_version": FORMAT_VERSION,
        "created_by": f"nsllm {__version__}",
        "sha256": sha256_file(folder / TENSORS),
        "tensors": {
            k: {"shape": list(v.shape), "dtype": str(v.dtype).removeprefix("torch.")} for k, v in tensors.items()
        },
        "depends_on": dict(depends_on or {}),
        "meta": dict(meta or {}),
    }
    write_json_atomic(folder / MANIFEST, manifest)
    return manifest


def read_manifest(folder: Path, *, fmt: str) -> dict[str, Any]:
    """Read and check a manifest's format and version."""
    path = folder / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactError(f"{path} is missing: {folder} is not an nsllm {fmt} artifact") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"cannot read {path}: {exc}") from exc
    if manifest.get("format") != fmt:
        raise ArtifactError(f"{path}: expected format {fmt!r}, found {manifest.get('format')!r}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"{path}: format_version {manifest.get('format_version')!r} is not supported (expected {FORMAT_VERSION})"
        )
    return manifest


def load_artifact(
    folder: Path, *, fmt: str, expect_depends_on: dict[str, str] | None = None
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Load tensors after checking the manifest, the file checksum and the dependency checksums.

    Raises:
        ArtifactError: wrong format or version, a corrupted tensor file, or a dependency whose
            checksum differs from `expect_depends_on`.
    """
    from safetensors.torch import load_file

    manifest = read_manifest(folder, fmt=fmt)
    tensor_path = folder / TENSORS
    if not tensor_path.exists():
        raise ArtifactError(f"{tensor_path} is missing")
    if sha256_file(tensor_path) != manifest.get("sha256"):
        raise ArtifactError(f"{tensor_path}: checksum does not match its manifest (file changed or corrupted)")
    for name, digest in (expect_depends_on or {}).items():
        found = manifest.get("depends_on", {}).get(name)
        if found != digest:
            raise ArtifactError(
                f"{folder}: made with another {name} (sha256 {str(found)[:12]}..., expected {digest[:12]}...)"
            )
    return load_file(str(tensor_path)), manifest
