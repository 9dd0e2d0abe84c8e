"""What a local model can be asked: how long a prompt may be, and whether a conversation says anything.

Shared by `LocalProvider` and `nsllm serve`, so both refuse the same requests with a clear message
before generating, instead of a position-embedding crash deep inside `generate` (a prompt past the
context) or an answer to nothing but the chat template (an empty prompt).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["context_length", "is_blank"]

_NO_LIMIT = 10**9
"""transformers gives tokenizers without a known limit model_max_length=int(1e30): anything this big means none."""


def context_length(model: Any, tok: Any) -> int | None:
    """The most tokens a sequence may have: `max_position_embeddings`, or the tokenizer's limit if smaller.

    Returns:
        The limit, or None when neither the model's config nor the tokenizer states one.
    """
    found = []
    for value in (
        getattr(getattr(model, "config", None), "max_position_embeddings", None),
        getattr(tok, "model_max_length", None),
    ):
        if isinstance(value, int) and 0 < value < _NO_LIMIT:
            found.append(value)
    return min(found) if found else None


def is_blank(messages: Iterable[Mapping[str, Any]]) -> bool:
    """True when no message has any non-whitespace text (content given as a string or as text parts)."""
    for message in messages:
        content = message.get("content")
        if isinstance(content, str) and content.strip():
            return False
        if isinstance(content, list):
            for part in content:
                text = part.get("text") if isinstance(part, Mapping) else getattr(part, "text", None)
                if isinstance(text, str) and text.strip():
                    return False
    return True
