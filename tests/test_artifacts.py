"""safetensors + manifest artifacts refuse tampering and mismatched dependencies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from nsllm_cli.artifacts import load_artifact, read_manifest, save_artifact, sha256_file
from nsllm_cli.errors import ArtifactError


def test_roundtrip_with_manifest(tmp_path: Path) -> None:
    t = {"w": torch.arange(12, dtype=torch.float32).reshape(3, 4), "b": torch.ones(4)}
    manifest = save_artifact(tmp_path / "enc", t, fmt="encoder", meta={"layer": 3}, depends_on={"atoms": "ab" * 32})
    assert manifest["sha256"] == sha256_file(tmp_path / "enc" / "tensors.safetensors")
    assert manifest["tensors"]["w"] == {"shape": [3, 4], "dtype": "float32"}
    loaded, m = load_artifact(tmp_path / "enc", fmt="encoder", expect_depends_on={"atoms": "ab" * 32})
    assert torch.equal(loaded["w"], t["w"]) and torch.equal(loaded["b"], t["b"])
    assert m["meta"] == {"layer": 3}
    assert not list((tmp_path / "enc").glob("*.pt")) and not list((tmp_path / "enc").glob("*.pkl"))


def test_mismatched_dependency_is_refused(tmp_path: Path) -> None:
    save_artifact(tmp_path / "enc", {"w": torch.zeros(2)}, fmt="encoder", depends_on={"atoms": "a" * 64})
    with pytest.raises(ArtifactError, match="made with another atoms"):
        load_artifact(tmp_path / "enc", fmt="encoder", expect_depends_on={"atoms": "b" * 64})


def test_tampered_tensor_file_is_refused(tmp_path: Path) -> None:
    save_artifact(tmp_path / "a", {"w": torch.zeros(8)}, fmt="atoms")
    raw = bytearray((tmp_path / "a" / "tensors.safetensors").read_bytes())
    raw[-1] ^= 0xFF
    (tmp_path / "a" / "tensors.safetensors").write_bytes(bytes(raw))
    with pytest.raises(ArtifactError, match="checksum"):
        load_artifact(tmp_path / "a", fmt="atoms")


def test_wrong_format_and_version(tmp_path: Path) -> None:
    save_artifact(tmp_path / "a", {"w": torch.zeros(1)}, fmt="atoms")
    with pytest.raises(ArtifactError, match="expected format 'encoder'"):
        read_manifest(tmp_path / "a", fmt="encoder")
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    manifest["format_version"] = 99
    (tmp_path / "a" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="format_version 99"):
        read_manifest(tmp_path / "a", fmt="atoms")
    with pytest.raises(ArtifactError, match="missing"):
        read_manifest(tmp_path / "nothing", fmt="atoms")
