"""Shared fixtures: no network, isolated folders, and models built offline once per session.

The network is blocked for the whole suite by pytest-socket (see `addopts` in pyproject.toml:
only loopback is allowed, for the server tests).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from nsllm_cli.providers.local import LocalProvider

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["NSLLM_TESTING"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Cache folder for converted/built models, shared by the whole session.

    NSLLM_TEST_CACHE reuses one folder across sessions on a developer machine; CI starts empty,
    so the conversion itself is exercised on every CI run.
    """
    reuse = os.environ.get("NSLLM_TEST_CACHE")
    return Path(reuse) if reuse else tmp_path_factory.mktemp("model-cache")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_cache: Path) -> Iterator[Path]:
    """Point every nsllm folder at tmp_path (models at the session cache) and drop stray settings."""
    for key in list(os.environ):
        if key.startswith("NSLLM_") and key not in {"NSLLM_TESTING", "NSLLM_TEST_CACHE"}:
            monkeypatch.delenv(key)
    monkeypatch.setenv("NSLLM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NSLLM_CACHE", str(model_cache))
    monkeypatch.setenv("NSLLM_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.chdir(tmp_path)  # no .env from the repository or the user
    yield tmp_path


@pytest.fixture(scope="session")
def symbench_dir() -> Path:
    """The original SymBench data (`../shared/symbench`); tests that need it skip cleanly when it is absent."""
    folder = SHARED / "symbench"
    if not folder.is_dir():
        pytest.skip("../shared/symbench is not present")
    return folder


@pytest.fixture(scope="session")
def embedded_dir(model_cache: Path) -> Path:
    """The embedded SmolLM2 converted to safetensors (about 30-50 s, once per session)."""
    from nsllm_cli.models.embedded import ensure_converted

    return ensure_converted(model_cache)


@pytest.fixture(scope="session")
def tiny_dir(model_cache: Path, embedded_dir: Path) -> Path:
    """A random-init 2-layer Llama (hidden 64) with the real SmolLM2 tokenizer, saved to a folder."""
    from nsllm_cli.models.tiny import ensure_tiny

    return ensure_tiny(model_cache)


@pytest.fixture(scope="session")
def tiny_model(tiny_dir: Path) -> tuple[Any, Any]:
    """The tiny model and tokenizer on CPU, through the same loader `serve` uses; loaded once."""
    from nsllm_cli.models.resolve import ResolvedModel, load_model

    return load_model(ResolvedModel("tiny", "local", str(tiny_dir)), device="cpu", dtype="float32")


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    """An empty runs folder (the isolated NSLLM_RUNS_DIR)."""
    path = tmp_path / "runs"
    path.mkdir()
    return path


@pytest.fixture
def tiny_local(tiny_dir: Path, model_cache: Path) -> LocalProvider:
    """A `local:tiny` provider on CPU in float32 (the model itself is loaded once per process and shared)."""
    from nsllm_cli.providers.local import LocalProvider

    return LocalProvider("local:tiny", "tiny", model_cache=model_cache, device="cpu", dtype="float32")


@pytest.fixture(scope="session")
def tiny_ns_run(tmp_path_factory: pytest.TempPathFactory, tiny_dir: Path, model_cache: Path) -> Path:
    """A finetune run folder whose artifacts/ns hold an open-gate NS intervention for the tiny model.

    Random encoder, a large random decoder and mix 0 (the hidden state is replaced outright), gate -1e9
    (every type score passes): the hook must change what the model says. Built in well under a second.
    """
    import torch

    from nsllm_cli.ns.activations import model_fingerprint
    from nsllm_cli.ns.paper.intervention import NSIntervention
    from nsllm_cli.ns.paper.store import save_ns
    from nsllm_cli.ns.problems import PROBLEM_TYPES
    from nsllm_cli.ns.vsa import VSA
    from nsllm_cli.providers.local import LocalProvider

    loaded = LocalProvider("local:tiny", "tiny", model_cache=model_cache, device="cpu", dtype="float32").loaded
    d = int(loaded.model.config.hidden_size)
    vsa = VSA.generate(types=PROBLEM_TYPES, dim=256, seed=0)
    gen = torch.Generator().manual_seed(0)
    enc, dec = torch.randn(256, d, generator=gen) * 0.1, torch.randn(d, 256, generator=gen) * 50.0
    ns = NSIntervention(vsa, enc, dec, layer=1, gate=-1e9, mix=0.0)
    run = tmp_path_factory.mktemp("chat-ns") / "finetune-open"
    save_ns(run / "artifacts" / "ns", ns, meta={"model": model_fingerprint(loaded.model, loaded.tokenizer)})
    return run


def nsllm_env(**extra: str) -> dict[str, str]:
    """Environment for an `nsllm` subprocess: the current (isolated) one plus `extra`."""
    return {**os.environ, **extra}


@pytest.fixture(scope="session")
def embedded_ns_run(tmp_path_factory: pytest.TempPathFactory, model_cache: Path, embedded_dir: Path) -> Path:
    """A small step-wise NS run on the embedded model, made through the real CLI (a few minutes, once).

    gather (1 000 questions of every operation + negatives) -> train (the reader) -> finetune (the writer, 100 steps):
    `make demo`'s counts, whose run was measured. About 10 minutes on 2 cores: the read goes to block 20, so the
    module that uses it has a longer timeout.
    """
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("embedded-ns")
    env = {**os.environ, "NSLLM_CACHE": str(model_cache), "NSLLM_RUNS_DIR": str(root), "NSLLM_HOME": str(root)}
    stages = [
        ["gather", "--n-train", "1000", "--n-val", "40", "--run-dir", str(root / "gather")],
        ["train", "--gather", str(root / "gather"), "--reader-epochs", "15", "--run-dir", str(root / "train")],
        ["finetune", "--train-run", str(root / "train"), "--n-train", "400", "--steps", "100",
         "--run-dir", str(root / "finetune")],
    ]  # fmt: skip
    for args in stages:
        proc = subprocess.run(
            [sys.executable, "-m", "nsllm_cli", *args], capture_output=True, text=True, env=env, cwd=root, timeout=900
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
    return root / "finetune"
