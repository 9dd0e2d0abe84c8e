"""A real HTTP server on 127.0.0.1 that speaks enough of the OpenAI and Anthropic APIs to test providers.

It runs in a background thread, records every request it sees, and replays a script of faults
(429 with Retry-After, 5xx, slow answers, malformed JSON, 4xx) before answering normally, so the
tests can count exactly how many requests a retry policy sent.

Example:
    >>> with FakeServer() as srv:  # doctest: +SKIP
    ...     srv.script("429", "ok")
    ...     OpenAI(base_url=srv.url + "/v1", api_key="x").chat.completions.create(...)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

Fault = str
"""One scripted reaction: "ok", "429", "500", "503", "slow", "malformed", "nochoices", "401", "400", "404",
"html" (a 200 HTML page), "badchunk" (an SSE stream whose second chunk is not JSON) or "cut" (a stream that
stops after the first chunk)."""


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class ServerState:
    """What the handler reads (script, answer) and writes (requests seen)."""

    reply: str = "Hello from the fake server."
    responder: Callable[[dict[str, Any]], str | int] | None = None
    """Answers per request from the request body: a reply text, or an HTTP status to fail with (e.g. 500)."""
    prompt_tokens: int = 11
    completion_tokens: int = 7
    retry_after: str | None = "0"
    slow_s: float = 5.0
    stream_usage: bool = True
    faults: list[Fault] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    closing: threading.Event = field(default_factory=threading.Event)

    def next_fault(self) -> Fault:
        with self.lock:
            return self.faults.pop(0) if self.faults else "ok"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Keep test output clean."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        state = self.server.state
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {}
        with state.lock:
            state.seen.append(Seen("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        fault = state.next_fault()
        if fault == "ok" and state.responder is not None:
            reply = state.responder(body)
            if isinstance(reply, int):
                fault = str(reply)
            else:
                body = {**body, "_reply": reply}
        anthropic = self.path.rstrip("/").endswith("/messages")
        try:
            self._react(fault, body, anthropic)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): nothing to answer

    def _react(self, fault: Fault, body: dict[str, Any], anthropic: bool) -> None:
        state = self.server.state
        if fault == "slow":
            if state.closing.wait(state.slow_s):
                return
            fault = "ok"
        if fault in ("429", "500", "502", "503", "401", "400", "404"):
            code = int(fault)
            headers = {"retry-after": state.retry_after} if code == 429 and state.retry_after is not None else {}
            message = {
                429: "Rate limit reached, slow down",
                401: "Incorrect API key provided",
                400: "Invalid value for 'temperature'",
                404: "The model does not exist",
            }.get(code, "The server had an error while processing your request")
            error_type = "authentication_error" if code == 401 else "invalid_request_error"
            payload = {"type": "error", "error": {"type": error_type, "message": message}}
            self._json(code, payload, headers)
            return
        if fault == "malformed":
            self._send(200, b'{"id": "chatcmpl-1", "choices": [', "application/json")
            return
        if fault == "badchunk":
            self._sse(['data: {"id": "chatcmpl-1", "choices": [{"delta": {"content": "Hi"}}]}\n\n', "data: {oops\n\n"])
            return
        if fault == "html":
            self._send(200, b"<html><body>Gateway says hi</body></html>", "text/html")
            return
        if fault == "nochoices":
            self._json(200, {"id": "chatcmpl-1", "object": "chat.completion", "model": body.get("model", "")})
            return
        if anthropic:
            self._anthropic(body, cut=fault == "cut")
        else:
            self._openai(body, cut=fault == "cut")

    def _openai(self, body: dict[str, Any], *, cut: bool) -> None:
        state = self.server.state
        model = str(body.get("model", "fake-model"))
        usage = {
            "prompt_tokens": state.prompt_tokens,
            "completion_tokens": state.completion_tokens,
            "total_tokens": state.prompt_tokens + state.completion_tokens,
        }
        reply = str(body.get("_reply", state.reply))
        if not body.get("stream"):
            message = {"role": "assistant", "content": reply}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            self._json(
                200,
                {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": model,
                    "choices": [choice],
                    "usage": usage,
                },
            )
            return
        events: list[dict[str, Any]] = []
        base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model}
        events.append({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
        for piece in _pieces(reply):
            events.append({**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
        events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        include = bool((body.get("stream_options") or {}).get("include_usage"))
        if include and state.stream_usage:
            events.append({**base, "choices": [], "usage": usage})
        lines = [f"data: {json.dumps(e)}\n\n" for e in events]
        if cut:
            lines = lines[:2]
        else:
            lines.append("data: [DONE]\n\n")
        self._sse(lines)

    def _anthropic(self, body: dict[str, Any], *, cut: bool) -> None:
        state = self.server.state
        model = str(body.get("model", "claude-fake"))
        usage = {"input_tokens": state.prompt_tokens, "output_tokens": state.completion_tokens}
        if not body.get("stream"):
            self._json(
                200,
                {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [{"type": "text", "text": state.reply}],
                    "stop_reason": "end_turn",
                    "stop_sequence": None,
                    "usage": usage,
                },
            )
            return
        start_msg: dict[str, Any] = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": state.prompt_tokens, "output_tokens": 1},
        }
        events: list[tuple[str, dict[str, Any]]] = [
            ("message_start", {"type": "message_start", "message": start_msg}),
            (
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            ),
        ]
        for piece in _pieces(state.reply):
            delta = {"type": "text_delta", "text": piece}
            events.append(("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}))
        events += [
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": state.completion_tokens},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        lines = [f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events]
        self._sse(lines[:3] if cut else lines)

    def _sse(self, lines: list[str]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        for line in lines:
            self.wfile.write(line.encode("utf-8"))
            self.wfile.flush()
        self.close_connection = True

    def _json(self, code: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._send(code, json.dumps(payload).encode("utf-8"), "application/json", headers)

    def _send(self, code: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


def _pieces(text: str) -> list[str]:
    """Split an answer into word-sized stream chunks that join back to the text."""
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: ServerState

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer is expected here; stay quiet."""


class FakeServer:
    """The fake API on an ephemeral loopback port; use as a context manager."""

    def __init__(self) -> None:
        self.state = ServerState()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.state = self.state
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        """Root URL, e.g. http://127.0.0.1:54321 (OpenAI clients want url + "/v1")."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[Seen]:
        """Every request received so far."""
        with self.state.lock:
            return list(self.state.seen)

    def script(self, *faults: Fault) -> None:
        """Queue reactions for the next requests; afterwards the server answers normally."""
        with self.state.lock:
            self.state.faults.extend(faults)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.state.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
