"""Settings precedence: flag > --config YAML > env > .env > default, and secrets never written."""

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
    monkeypatch.setenv("NSLLM_SEED", "3")
    monkeypatch.setenv("NSLLM_MODEL", "from-env")
    monkeypatch.setenv("NSLLM_DEVICE", "cpu")
    monkeypatch.setenv("NSLLM_RUNS_DIR", "from-env")
    (tmp_path / ".env").write_text("NSLLM_SEED=2\nNSLLM_MODEL=from-dotenv\nNSLLM_DEVICE=mps\nNSLLM_DTYPE=bfloat16\n")
    s = load_settings(cfg, seed=4)
    assert s.seed == 4  # flag beats YAML (and env)
    assert s.model == "from-yaml"  # YAML beats env and .env
    assert s.device == "cuda"  # YAML beats env and .env
    assert s.dtype == "float16"  # YAML beats .env
    assert s.runs_dir == Path("from-env")  # env beats default
    monkeypatch.delenv("NSLLM_MODEL")
    assert load_settings(None).model == "from-dotenv"  # .env beats default
    monkeypatch.setenv("NSLLM_MODEL", "from-env")
    assert load_settings(None).model == "from-env"  # env beats .env


def test_a_runs_config_yaml_replays_its_settings_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nsllm_cli.runs import RunDir

    monkeypatch.setenv("NSLLM_API_KEY", "sk-first")
    first = load_settings(None, model="tiny", seed=7, dtype="float32")
    run = RunDir.create(tmp_path / "runs", "gather", settings=first, argv=["nsllm", "gather"])
    monkeypatch.setenv("NSLLM_MODEL", "embedded")
    monkeypatch.setenv("NSLLM_SEED", "1")
    monkeypatch.setenv("NSLLM_API_KEY", "sk-now")
    monkeypatch.setenv("NSLLM_HOME", str(tmp_path / "this-machine"))
    (tmp_path / ".env").write_text("NSLLM_DTYPE=bfloat16\n")
    again = load_settings(run.path / "config.yaml")
    assert (again.model, again.seed, again.dtype) == ("tiny", 7, "float32")  # the run's, not the shell's
    assert again.api_key is not None and again.api_key.get_secret_value() == "sk-now"  # a masked key is not replayed
    assert again.home_dir == tmp_path / "this-machine"  # folders belong to this machine
    assert load_settings(run.path / "config.yaml", seed=2).seed == 2  # a flag still wins


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
