"""`get_provider(spec)`: one model spec string → a ready Provider, with keys from the environment or `.env`.

Accepted specs (see SPEC_FORMS):
- OpenAI: `gpt-4o`, `gpt-4o-mini`, `o1`, `o1-mini`, `chatgpt-...`, or `openai:<model>`;
- Anthropic: `claude-...` or `anthropic:<model>` (also `claude:<model>`);
- DeepSeek: `deepseek-chat`, `deepseek-reasoner`, or `deepseek:<model>` (base URL https://api.deepseek.com);
- Mistral: `mistral-...`, `open-mistral-...`, `mixtral-...`, `open-mixtral-...`, `codestral-...`, or
  `mistral:<model>` / `mixtral:<model>` (OpenAI-compatible endpoint https://api.mistral.ai/v1);
- local: `local:embedded`, `local:tiny`, `local:<model folder>` (in-process transformers);
- neurosymbolic: `ns:<finetune run folder>`: the local model that run was trained on (from its
  config.yaml, else its manifest), with the run's NS hook on every generation; named `ns:<run>`;
- `fake`: a scripted provider for tests and dry runs;
- `replay:FILE` or `replay:TRANSCRIPT#ROLE`: replays recorded answers (:mod:`nsllm_cli.providers.scripted`);
- anything else with `base_url=`: an OpenAI-compatible server (vLLM, Ollama, LM Studio, `nsllm serve`);
  no key is read from the environment for it. An explicit prefix (`openai:`, `deepseek:`, `mistral:`,
  `anthropic:`) keeps that provider's protocol quirks and key at the given URL (a proxy, a mirror);
  the model name is the spec without the prefix.

Keys: OPENAI_API_KEY, ANTHROPIC_API_KEY or CLAUDE_API_KEY, DEEPSEEK_API_KEY, MISTRAL_API_KEY or
MIXTRAL_API_KEY, from the environment, else from `./.env` (real environment wins). With a base URL a
key is optional ("EMPTY" is sent). Under NSLLM_TESTING=1 providers refuse every non-loopback host.

Example:
    >>> p = get_provider("gpt-4o-mini", cache_dir=Path("~/.cache/nsllm"))  # doctest: +SKIP
    >>> p.complete([{"role": "user", "content": "2+2?"}], GenParams(max_tokens=5)).text  # doctest: +SKIP
    >>> provider_for("local:tiny", load_settings())  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from nsllm_cli.errors import ConfigError, MissingKeyError, UnknownProviderError
from nsllm_cli.providers.base import Provider
from nsllm_cli.providers.cache import ResponseCache
from nsllm_cli.providers.retry import RetryPolicy
from nsllm_cli.providers.scripted import ScriptedProvider, is_replay

KEY_VARS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY", "CLAUDE_API_KEY"),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "mistral": ("MISTRAL_API_KEY", "MIXTRAL_API_KEY"),
}
"""Environment variables holding each provider's key, in order of preference."""

PREFIXES = {
    "openai": "openai",
    "anthropic": "anthropic",
    "claude": "anthropic",
    "deepseek": "deepseek",
    "mistral": "mistral",
    "mixtral": "mistral",
    "local": "local",
    "ns": "ns",
    "fake": "fake",
}
"""`<prefix>:<model>` forms and the provider each one selects."""

BARE_NAMES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("openai", re.compile(r"^(gpt-|chatgpt-|o\d+($|-))")),
    ("anthropic", re.compile(r"^claude-")),
    ("deepseek", re.compile(r"^deepseek-")),
    ("mistral", re.compile(r"^(open-)?(mistral|mixtral|codestral|ministral|pixtral|magistral|devstral)-")),
)
"""Model names recognised without a prefix."""

SPEC_FORMS = (
    "gpt-4o, gpt-4o-mini, o1... or openai:<model>; claude-... or anthropic:<model>; "
    "deepseek-chat or deepseek:<model>; mistral-..., open-mixtral-... or mistral:<model>; "
    "local:embedded, local:tiny or local:<model folder>; ns:<finetune run folder> (the neurosymbolic model); fake; "
    "or any model name together with --base-url for an OpenAI-compatible server"
)


def get_provider(
    spec: str,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    cache_dir: Path | None = None,
    timeout_s: float = 60,
    max_retries: int = 5,
    env: Mapping[str, str] | None = None,
    backoff_s: float = 1.0,
    max_wait_s: float = 60.0,
    device: str = "auto",
    dtype: str = "auto",
    model_cache: Path | None = None,
) -> Provider:
    """Build the provider for `spec` (see the module docstring for the accepted forms).

    Args:
        base_url: an OpenAI-compatible server (any spec), or another URL for a prefixed provider.
        api_key: overrides the key from the environment.
        cache_dir: turns on the response cache under `<cache_dir>/responses/` (API providers only;
            local models are not cached because their weights can change under the same name).
        timeout_s: per-request timeout (for streams: the longest wait for the next chunk).
        max_retries: retries on 429, 5xx, timeouts and connection errors (0 = one attempt).
        env: the environment to read keys from (default: os.environ over ./.env).
        backoff_s, max_wait_s: first retry wait (doubling, with jitter) and the cap on any wait.
        device, dtype, model_cache: for `local:` and `ns:` models (see nsllm_cli.models).

    Raises:
        UnknownProviderError: a spec that names no provider (the message lists the accepted forms).
        MissingKeyError: the provider's key is in neither the environment nor .env.
        ArtifactError: an `ns:` folder that is not a finished finetune run of a model found here
            (checked before the model loads), or whose artefacts do not match that model.
        ConfigError: a `replay:` file that cannot be read or holds no answers in a known shape.
    """
    if is_replay(spec):
        return ScriptedProvider.from_spec(spec)
    spec = local_folder_spec(spec.strip())
    prefix, model = split_spec(spec)
    if not model:
        raise UnknownProviderError(f"empty model name in {spec!r}: use {SPEC_FORMS}")
    if prefix == "local":
        if base_url:
            raise ConfigError(f"{spec!r} runs in this process; --base-url does not apply to local: models")
        from nsllm_cli.providers.local import LocalProvider

        return LocalProvider(spec, model, model_cache=model_cache, device=device, dtype=dtype)
    if prefix == "ns":
        if base_url:
            raise ConfigError(f"{spec!r} runs in this process; --base-url does not apply to ns: models")
        from nsllm_cli.providers.ns_local import ns_provider

        run = model.rstrip("/") or model
        return ns_provider(
            Path(run).expanduser(), name=f"ns:{run}", model_cache=model_cache, device=device, dtype=dtype
        )
    if prefix == "fake":
        from nsllm_cli.providers.fake import FakeProvider

        return FakeProvider(spec)

    kind = prefix or guess_kind(model)
    if base_url is not None and prefix is None:
        kind = "openai-compat"
    if kind is None:
        raise UnknownProviderError(f"unknown model {spec!r}: use {SPEC_FORMS}")

    environ = environment(env)
    key, key_var = find_key(kind, environ)
    if api_key:
        key, key_var = api_key, None
    if key is None:
        if base_url is None:
            names = " or ".join(KEY_VARS[kind])
            raise MissingKeyError(f"{names} is not set: export it or put it in .env (needed for {kind}:{model})")
        key = "EMPTY"
    retry = RetryPolicy(max_retries=max_retries, backoff_s=backoff_s, max_wait_s=max_wait_s)
    cache = ResponseCache(cache_dir) if cache_dir is not None else None
    name = f"{'openai' if kind == 'openai-compat' else kind}:{model}"

    if kind == "anthropic":
        from nsllm_cli.providers.anthropic_provider import ANTHROPIC_URL, AnthropicProvider

        return AnthropicProvider(
            name,
            model,
            base_url=base_url or ANTHROPIC_URL,
            api_key=key,
            key_var=key_var,
            timeout_s=timeout_s,
            retry=retry,
            cache=cache,
        )
    from nsllm_cli.providers.openai_compat import DEEPSEEK_URL, MISTRAL_URL, OPENAI_URL, OpenAICompatProvider

    default_url = {"deepseek": DEEPSEEK_URL, "mistral": MISTRAL_URL}.get(kind)
    if kind == "openai":
        default_url = environ.get("OPENAI_BASE_URL") or OPENAI_URL
    return OpenAICompatProvider(
        name,
        model,
        kind=kind,
        base_url=base_url or default_url,
        api_key=key,
        key_var=key_var,
        timeout_s=timeout_s,
        retry=retry,
        cache=cache,
    )


class ProviderSettings(Protocol):
    """The settings every provider of a command is built with (:class:`nsllm_cli.config.Settings` has them)."""

    @property
    def cache_dir(self) -> Path:
        """Response cache (API providers) and model cache (local ones)."""
        ...

    @property
    def device(self) -> str:
        """Where `local:` and `ns:` models run."""
        ...

    @property
    def dtype(self) -> str:
        """Their weights' dtype."""
        ...


def provider_for(
    spec: str, settings: ProviderSettings, *, base_url: str | None = None, api_key: str | None = None
) -> Provider:
    """:func:`get_provider` for `spec` with the settings' cache folder (responses and models), device and dtype.

    Args:
        spec: any accepted spec (see the module docstring), `replay:` files included.
        settings: a command's resolved settings.
        base_url, api_key: as for :func:`get_provider`.
    """
    return get_provider(
        spec,
        base_url=base_url,
        api_key=api_key,
        cache_dir=settings.cache_dir,
        model_cache=settings.cache_dir,
        device=settings.device,
        dtype=settings.dtype,
    )


def local_folder_spec(spec: str) -> str:
    """A model folder given as a bare path becomes `local:<folder>`; a run folder with a `model/` inside, that one.

    So a trained steerer serves as `--steer-llm runs/<run>` (its `model/` folder) as well as `local:...`.
    """
    if ":" in spec.split("/", 1)[0] or not spec or spec.startswith(("http://", "https://")):
        return spec
    path = Path(spec).expanduser()
    if (path / "model" / "config.json").is_file():
        return f"local:{path / 'model'}"
    if (path / "config.json").is_file():
        return f"local:{path}"
    return spec


def split_spec(spec: str) -> tuple[str | None, str]:
    """`'anthropic:claude-x'` → ('anthropic', 'claude-x'); a spec without a known prefix → (None, spec).

    Only known prefixes count, so Ollama-style names such as 'llama3:8b' stay whole.
    """
    if spec.lower() in ("fake", "fake:"):
        return "fake", "fake"
    head, sep, rest = spec.partition(":")
    if sep and head.lower() in PREFIXES:
        return PREFIXES[head.lower()], rest.strip()
    return None, spec


def guess_kind(model: str) -> str | None:
    """The provider of a bare model name, or None."""
    for kind, pattern in BARE_NAMES:
        if pattern.match(model.lower()):
            return kind
    return None


def environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`env` if given; else os.environ over the values of `./.env` (a real variable always wins)."""
    if env is not None:
        return dict(env)
    merged: dict[str, str] = {}
    dotenv = Path.cwd() / ".env"
    if dotenv.is_file():
        from dotenv import dotenv_values

        merged.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    merged.update(os.environ)
    return merged


def find_key(kind: str, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The first non-empty key variable for `kind`, and its name."""
    for var in KEY_VARS.get(kind, ()):
        value = (environ.get(var) or "").strip()
        if value:
            return value, var
    return None, None
