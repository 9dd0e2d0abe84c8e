"""Model providers behind one interface: OpenAI(-compatible), Anthropic, Mistral, DeepSeek, local models.

Importing this package is cheap: the SDKs (openai, anthropic) and torch/transformers are imported
only when a provider first talks to its model.

Example:
    >>> from nsllm_cli.providers import GenParams, get_provider
    >>> p = get_provider("fake")
    >>> p.complete([{"role": "user", "content": "hello"}], GenParams()).text
    'hello'
"""

from nsllm_cli.providers.base import Completion, GenParams, Message, Provider, Usage
from nsllm_cli.providers.cache import ResponseCache
from nsllm_cli.providers.registry import SPEC_FORMS, get_provider
from nsllm_cli.providers.retry import RetryPolicy

__all__ = [
    "SPEC_FORMS",
    "Completion",
    "GenParams",
    "Message",
    "Provider",
    "ResponseCache",
    "RetryPolicy",
    "Usage",
    "get_provider",
]
