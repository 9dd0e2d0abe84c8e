"""Fixtures for the dashboard tests: a runs folder and a frozen cursor blink (helpers live in `_runs.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from nsllm_cli.providers.local import LocalProvider


@pytest.fixture(autouse=True)
def _no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inputs never blink, so screens are the same whenever they are read."""
    from textual.widgets import Input

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


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
    from nsllm_cli.ns.intervention import NSIntervention
    from nsllm_cli.ns.problems import PROBLEM_TYPES
    from nsllm_cli.ns.store import save_ns
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
