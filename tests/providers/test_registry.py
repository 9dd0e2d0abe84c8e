"""`get_provider`: which spec selects which provider, and where keys come from."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsllm_cli.errors import ConfigError, MissingKeyError, UnknownProviderError
from nsllm_cli.providers import Provider, get_provider
from nsllm_cli.providers.anthropic_provider import ANTHROPIC_URL, AnthropicProvider
from nsllm_cli.providers.fake import FakeProvider
from nsllm_cli.providers.local import LocalProvider
from nsllm_cli.providers.openai_compat import DEEPSEEK_URL, MISTRAL_URL, OPENAI_URL, OpenAICompatProvider

ALL_KEYS = {"OPENAI_API_KEY": "o", "ANTHROPIC_API_KEY": "a", "DEEPSEEK_API_KEY": "d", "MISTRAL_API_KEY": "m"}


@pytest.mark.parametrize(
    ("spec", "kind", "model", "url"),
    [
        ("gpt-4o", "openai", "gpt-4o", OPENAI_URL),
        ("gpt-4o-mini", "openai", "gpt-4o-mini", OPENAI_URL),
        ("gpt-3.5-turbo-0125", "openai", "gpt-3.5-turbo-0125", OPENAI_URL),
        ("o1-preview", "openai", "o1-preview", OPENAI_URL),
        ("o1", "openai", "o1", OPENAI_URL),
        ("openai:gpt-4-turbo", "openai", "gpt-4-turbo", OPENAI_URL),
        ("claude-3-5-sonnet-20241022", "anthropic", "claude-3-5-sonnet-20241022", ANTHROPIC_URL),
        ("anthropic:claude-3-opus-20240229", "anthropic", "claude-3-opus-20240229", ANTHROPIC_URL),
        ("claude:claude-3-haiku-20240307", "anthropic", "claude-3-haiku-20240307", ANTHROPIC_URL),
        ("deepseek-chat", "deepseek", "deepseek-chat", DEEPSEEK_URL),
        ("deepseek:deepseek-reasoner", "deepseek", "deepseek-reasoner", DEEPSEEK_URL),
        ("mistral-large-latest", "mistral", "mistral-large-latest", MISTRAL_URL),
        ("open-mixtral-8x7b", "mistral", "open-mixtral-8x7b", MISTRAL_URL),
        ("mixtral:open-mixtral-8x7b", "mistral", "open-mixtral-8x7b", MISTRAL_URL),
    ],
)
def test_spec_selects_provider(spec: str, kind: str, model: str, url: str) -> None:
    p = get_provider(spec, env=ALL_KEYS)
    assert isinstance(p, Provider)
    assert isinstance(p, AnthropicProvider if kind == "anthropic" else OpenAICompatProvider)
    assert (p.kind, p.model, p.base_url, p.name) == (kind, model, url, f"{kind}:{model}")


def test_any_name_with_a_base_url_is_openai_compatible_and_needs_no_key() -> None:
    p = get_provider("llama3:8b", base_url="http://127.0.0.1:11434/v1", env={"OPENAI_API_KEY": "real"})
    assert isinstance(p, OpenAICompatProvider)
    assert (p.kind, p.model, p.name) == ("openai-compat", "llama3:8b", "openai:llama3:8b")
    assert p._api_key == "EMPTY"  # the real OpenAI key is never sent to another server


def test_prefixed_spec_with_a_base_url_keeps_its_provider() -> None:
    p = get_provider("deepseek:deepseek-chat", base_url="http://127.0.0.1:9/v1", env={"DEEPSEEK_API_KEY": "d"})
    assert (p.kind, p.base_url, p._api_key) == ("deepseek", "http://127.0.0.1:9/v1", "d")  # type: ignore[attr-defined]
    q = get_provider("openai:my-model", base_url="http://127.0.0.1:9/v1", env={}, api_key="given")
    assert (q.kind, q.model, q._api_key) == ("openai", "my-model", "given")  # type: ignore[attr-defined]


def test_local_and_fake_specs() -> None:
    local = get_provider("local:tiny")
    assert isinstance(local, LocalProvider) and local.name == "local:tiny" and local.model == "tiny"
    assert isinstance(get_provider("fake"), FakeProvider)
    with pytest.raises(ConfigError, match="base-url"):
        get_provider("local:tiny", base_url="http://127.0.0.1:1/v1")


@pytest.mark.parametrize("spec", ["llama3:8b", "gemma-2b", "codellama", "Qwen2.5-32B", "local:", "openai:"])
def test_unknown_specs_raise_with_the_accepted_forms(spec: str) -> None:
    with pytest.raises(UnknownProviderError) as info:
        get_provider(spec, env=ALL_KEYS)
    message = str(info.value)
    assert "\n" not in message and "local:<model folder>" in message and "--base-url" in message


@pytest.mark.parametrize(
    ("spec", "var"),
    [
        ("gpt-4o", "OPENAI_API_KEY"),
        ("claude-3-5-sonnet-20241022", "ANTHROPIC_API_KEY or CLAUDE_API_KEY"),
        ("deepseek-chat", "DEEPSEEK_API_KEY"),
        ("open-mixtral-8x7b", "MISTRAL_API_KEY or MIXTRAL_API_KEY"),
    ],
)
def test_missing_key_names_the_variable(spec: str, var: str) -> None:
    with pytest.raises(MissingKeyError) as info:
        get_provider(spec, env={"OTHER": "x", "OPENAI_API_KEY": "" if spec != "gpt-4o" else " "})
    assert str(info.value).startswith(f"{var} is not set") and "\n" not in str(info.value)
    assert isinstance(info.value, ConfigError)


def test_claude_and_mixtral_key_aliases() -> None:
    claude = get_provider("claude-3-5-sonnet-20241022", env={"CLAUDE_API_KEY": "ck"})
    assert (claude._api_key, claude.key_var) == ("ck", "CLAUDE_API_KEY")  # type: ignore[attr-defined]
    mistral = get_provider("mistral:open-mixtral-8x7b", env={"MIXTRAL_API_KEY": "mk"})
    assert (mistral._api_key, mistral.key_var) == ("mk", "MIXTRAL_API_KEY")  # type: ignore[attr-defined]
    both = get_provider("claude-3-opus", env={"CLAUDE_API_KEY": "ck", "ANTHROPIC_API_KEY": "ak"})
    assert both._api_key == "ak"  # type: ignore[attr-defined]


def test_keys_come_from_dotenv_but_the_real_environment_wins(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (isolated_env / ".env").write_text("OPENAI_API_KEY=from-dotenv\nDEEPSEEK_API_KEY=ds-dotenv\n", encoding="utf-8")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("DEEPSEEK_API_KEY", "ds-real")
    assert get_provider("gpt-4o")._api_key == "from-dotenv"  # type: ignore[attr-defined]
    assert get_provider("deepseek-chat")._api_key == "ds-real"  # type: ignore[attr-defined]
    import os

    assert "OPENAI_API_KEY" not in os.environ  # .env is read, never loaded into the process environment
