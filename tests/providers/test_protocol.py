"""Every provider class implements the `Provider` protocol with its signatures, not only its attribute names.

(The scripted provider is checked in tests/steer/test_loop.py, beside the loop that uses it.)
"""

from __future__ import annotations

import pytest

from nsllm_cli.providers.anthropic_provider import AnthropicProvider
from nsllm_cli.providers.base import Provider
from nsllm_cli.providers.fake import FakeProvider
from nsllm_cli.providers.local import LocalProvider
from nsllm_cli.providers.ns_local import NSLocalProvider
from nsllm_cli.providers.openai_compat import OpenAICompatProvider
from tests._protocol import protocol_mismatches


@pytest.mark.parametrize(
    "cls",
    [FakeProvider, OpenAICompatProvider, AnthropicProvider, LocalProvider, NSLocalProvider],
    ids=lambda cls: cls.__name__,
)
def test_provider_class_matches_the_protocol(cls: type) -> None:
    assert protocol_mismatches(cls, Provider) == []
