"""Settings precedence: flag > env > .env > YAML > default, and secrets never written."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsllm_cli.config import Settings, load_settings
from nsllm_cli.errors import ConfigError


def write_yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text)
    return path


def test_defaults() -> None:
    s = load_settings(None)
    assert s.model == "embedded"
    assert s.device == "auto"
    assert s.seed == 0
    assert s.wandb is False and s.tensorboard is False


def test_full_precedence_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write_yaml(tmp_path, "seed: 1\nmodel: from-yaml\ndevice: cuda\ndtype: float16\n")
    (tmp_path / ".env").write_text("NSLLM_SEED=2\nNSLLM_MODEL=from-dotenv\nNSLLM_DEVICE=mps\n")
    monkeypatch.setenv("NSLLM_SEED", "3")
    monkeypatch.setenv("NSLLM_MODEL", "from-env")
    s = load_settings(cfg, seed=4)
    assert s.seed == 4  # flag beats env
    assert s.model == "from-env"  # env beats .env
    assert s.device == "mps"  # .env beats YAML
    assert s.dtype == "float16"  # YAML beats default


def test_none_flags_mean_not_given(tmp_path: Path) -> None:
    cfg = write_yaml(tmp_path, "model: tiny\n")
    assert load_settings(cfg, model=None).model == "tiny"


def test_paths_follow_home_and_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NSLLM_CACHE")
    monkeypatch.setenv("NSLLM_HOME", str(tmp_path / "h"))
    s = load_settings(None)
    assert s.home_dir == tmp_path / "h"
    assert s.cache_dir == tmp_path / "h"  # cache defaults to home
    monkeypatch.setenv("NSLLM_CACHE", str(tmp_path / "c"))
    assert load_settings(None).cache_dir == tmp_path / "c"


def test_secret_is_masked_in_redacted_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NSLLM_API_KEY", "sk-very-secret")
    s = load_settings(None)
    assert s.api_key is not None and s.api_key.get_secret_value() == "sk-very-secret"
    dumped = s.redacted()
    assert dumped["api_key"] == "**********"
    assert "sk-very-secret" not in repr(dumped)


def test_wrong_type_from_env_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NSLLM_SEED", "lots")
    with pytest.raises(ConfigError, match="seed='lots'"):
        load_settings(None)


def test_every_setting_is_documented() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no attribute docstring"
