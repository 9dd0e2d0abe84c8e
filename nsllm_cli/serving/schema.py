"""The wire format of `nsllm serve`: OpenAI's chat request body, its error body, and the pieces of its answers.

Requests are pydantic models that accept (and ignore) fields they do not know, as OpenAI clients send many.
Errors are answered as ``{"error": {"message", "type", "param", "code"}}`` by raising `ApiError` anywhere
in a route. Streamed answers are server-sent events (`sse`).

Example:
    >>> req = ChatRequest(model="embedded", messages=[{"role": "user", "content": "hi"}], stop="\\n")
    >>> req.stops
    ['\\n']
    >>> usage(12, 3)
    {'prompt_tokens': 12, 'completion_tokens': 3, 'total_tokens': 15}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ApiError", "ChatMessage", "ChatRequest", "ContentPart", "StreamOptions", "sse", "usage"]


class ApiError(Exception):
    """An error answered to the client in OpenAI's error format."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        param: str | None = None,
        code: str | None = None,
        kind: str = "invalid_request_error",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.status, self.param, self.code, self.kind = message, status, param, code, kind
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        """The JSON error response."""
        return JSONResponse(
            {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}},
            status_code=self.status,
            headers=self.headers,
        )


class ContentPart(BaseModel):
    """One part of a message's content; only text parts are supported."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    """One message of the conversation."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None


class StreamOptions(BaseModel):
    """Options of a streamed answer."""

    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatRequest(BaseModel):
    """The body of ``POST /v1/chat/completions``; unknown fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    n: int | None = Field(default=None, ge=1)
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    logprobs: bool | None = None
    tools: list[Any] | None = None

    @property
    def stops(self) -> list[str]:
        """The non-empty stop strings."""
        items = [self.stop] if isinstance(self.stop, str) else (self.stop or [])
        return [s for s in items if s]


def usage(prompt: int, completion: int) -> dict[str, int]:
    """The ``usage`` object of an answer."""
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def sse(data: dict[str, Any]) -> str:
    """One server-sent event carrying `data` as compact JSON."""
    return f"data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"
