"""Fixtures for provider tests: a fake API server on loopback and providers pointed at it with small timeouts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nsllm_cli.providers import Provider, get_provider
from tests.providers.fake_openai import FakeServer

FAST: dict[str, Any] = {"timeout_s": 2.0, "max_retries": 3, "backoff_s": 0.01, "max_wait_s": 1.0}
"""Retry and timeout settings that keep every fault test well under a second."""

USER = [{"role": "user", "content": "What is 2+2?"}]


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A fresh fake OpenAI/Anthropic server on 127.0.0.1, stopped after the test."""
    with FakeServer() as srv:
        yield srv


@pytest.fixture
def make(server: FakeServer) -> Callable[..., Provider]:
    """Build a provider for `spec` (default: an OpenAI-compatible model) at the fake server's /v1."""

    def build(spec: str = "fake-model", **overrides: Any) -> Provider:
        kwargs: dict[str, Any] = {**FAST, "env": {}, "base_url": server.url + "/v1", **overrides}
        return get_provider(spec, **kwargs)

    return build
