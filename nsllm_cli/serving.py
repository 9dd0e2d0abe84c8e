"""An OpenAI-compatible chat server over one local model that is loaded once (`nsllm serve`).

Routes: ``GET /health``, ``GET /v1/models`` (and ``/v1/models/{id}``), ``POST /v1/chat/completions``
(plain JSON or ``stream: true`` server-sent events in OpenAI's chunk format, ending with
``data: [DONE]``). Errors use OpenAI's ``{"error": {"message", "type", "param", "code"}}`` body.

One model serves every request, so generations run one at a time, in arrival order, behind a bounded
queue (`admission.Gate`): past ``max_queue`` waiting requests a new one gets HTTP 503 with ``Retry-After``
at once. Generations run in worker threads, never on the event loop; streamed text reaches the loop
through a streamer that hands each piece to an ``asyncio.Queue`` (no thread hop per token). A client that
disconnects, streamed or not, throws its generation's `admission.Cancel`, checked between tokens: the
model is free again within a token or two, and a request still waiting leaves the queue. ``GET /stats``
reports the queue and the last requests (tokens generated, and generated after a disconnect).

With an NS intervention, it runs on the prefill of every generation at the last prompt token, exactly as
``nsllm bench`` applies it.

On CPU, start the process with ``OMP_WAIT_POLICY=PASSIVE`` (``nsllm serve`` sets it before torch loads):
with OpenMP's default spinning, generating outside the main thread ran about 3x slower on 2 shared cores.

Example:
    >>> app = create_app(model, tok, model_id="embedded")
    >>> sock = listen("127.0.0.1", 0)
    >>> uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
"""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import socket
import threading
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Literal

import anyio
import torch
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send
from transformers import StoppingCriteria, StoppingCriteriaList, TextStreamer

from nsllm_cli.admission import Busy, Cancel, Gate, RequestRecord, Stats, Ticket
from nsllm_cli.errors import NsllmError
from nsllm_cli.providers.limits import context_length, is_blank

__all__ = ["ApiError", "ChatRequest", "Engine", "base_url", "create_app", "listen"]

DEFAULT_MAX_TOKENS = 512
DEFAULT_MAX_QUEUE = 16


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


@dataclass
class Job:
    """One tokenized request, ready for `Engine.run`."""

    input_ids: torch.Tensor
    max_new_tokens: int
    temperature: float
    top_p: float | None
    seed: int | None
    stops: list[str]

    @property
    def prompt_tokens(self) -> int:
        return int(self.input_ids.shape[1])


@dataclass
class Output:
    """What one generation produced: its new token ids (EOS included when generated)."""

    token_ids: list[int]


class _Halt(StoppingCriteria):
    """Ends a generation when the client went away or a stop string appeared in the new text."""

    def __init__(self, cancel: Cancel, tok: Any, prompt_len: int, stops: Sequence[str]) -> None:
        self.cancel, self.tok, self.prompt_len, self.stops = cancel, tok, prompt_len, list(stops)
        self.window = max((len(s) for s in self.stops), default=0) + 16  # tokens: at least one char each, mostly

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        self.cancel.generated = int(input_ids.shape[1]) - self.prompt_len  # called once per new token
        done = self.cancel.is_set()
        if not done and self.stops:
            start = max(self.prompt_len, input_ids.shape[1] - self.window)
            tail = self.tok.decode(input_ids[0, start:], skip_special_tokens=True)
            done = any(s in tail for s in self.stops)
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


class _QueueStreamer(TextStreamer):
    """transformers' text streamer handing each finished piece of text to an asyncio queue."""

    def __init__(
        self, tok: Any, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[tuple[str, Any]], cancel: Cancel
    ) -> None:
        super().__init__(tok, skip_prompt=True, skip_special_tokens=True)
        self.loop, self.queue, self.cancel = loop, queue, cancel

    def send(self, kind: str, value: Any) -> None:
        """Queue an event for the loop; a closed loop (server gone) cancels the generation instead."""
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, (kind, value))
        except RuntimeError:
            self.cancel.set("server stopped")

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        if text:
            self.send("text", text)


class Engine:
    """The loaded model behind the server: turns requests into jobs and runs them one at a time."""

    def __init__(
        self, model: Any, tok: Any, *, ns: Any | None = None, default_max_tokens: int = DEFAULT_MAX_TOKENS
    ) -> None:
        self.model, self.tok, self.ns = model, tok, ns
        self.default_max_tokens = default_max_tokens
        self.device = next(model.parameters()).device
        self.context = context_length(model, tok) or 0
        """Most tokens of prompt + answer (0: unknown): the model's positions, or the tokenizer's limit if smaller."""
        self.lock = threading.Lock()
        if ns is not None:
            ns.to(self.device)
        # Built once: greedy unless asked, no top-k (OpenAI has none), pad = the tokenizer's pad token.
        # An omitted temperature means the model's own default (greedy when it does not sample).
        config = copy.deepcopy(model.generation_config)
        self.default_temperature = float(config.temperature or 1.0) if config.do_sample else 0.0
        config.do_sample, config.temperature, config.top_p, config.top_k = False, None, None, None
        if config.pad_token_id is None:
            config.pad_token_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        self.generation_config = config
        eos = config.eos_token_id if config.eos_token_id is not None else tok.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos]) - {None}

    def prepare(self, req: ChatRequest) -> Job:
        """Validate the request and tokenize it straight through the chat template (no re-tokenization).

        Raises:
            ApiError: for a request the server cannot honour.
        """
        if req.n not in (None, 1):
            raise ApiError("only n=1 is supported", param="n", code="unsupported_value")
        if req.logprobs:
            raise ApiError("logprobs are not supported", param="logprobs", code="unsupported_value")
        if req.tools:
            raise ApiError("tools are not supported", param="tools", code="unsupported_value")
        messages = [_plain_message(m, i) for i, m in enumerate(req.messages)]
        if is_blank(messages):
            raise ApiError("the prompt is empty: no message has any text", param="messages", code="empty_prompt")
        try:
            enc = self.tok.apply_chat_template(
                messages, add_generation_prompt=True, tokenize=True, return_dict=True, return_tensors="pt"
            )
        except Exception as exc:  # noqa: BLE001 - a template that refuses the conversation is the client's problem
            raise ApiError(f"the chat template rejected the messages: {exc}", param="messages") from exc
        input_ids = enc["input_ids"].to(self.device)
        prompt_len = int(input_ids.shape[1])
        wanted = req.max_completion_tokens or req.max_tokens
        room = self.context - prompt_len if self.context else None
        if room is not None and room < 1:
            raise ApiError(
                f"the prompt has {prompt_len} tokens; the model's context is {self.context}",
                param="messages",
                code="context_length_exceeded",
            )
        limit = wanted or self.default_max_tokens
        if room is not None:
            limit = min(limit, room)
        temperature = self.default_temperature if req.temperature is None else req.temperature
        return Job(input_ids, limit, temperature, req.top_p, req.seed, req.stops)

    def run(self, job: Job, *, streamer: Any | None = None, cancel: Cancel | None = None) -> Output:
        """Generate for `job`, waiting for any generation in progress (blocking: call it from a thread).

        `cancel`, once set, ends the generation after the token in progress (the lock is released then).
        """
        from nsllm_cli.ns.intervention import attach

        cancel = cancel or Cancel()
        sampling = job.temperature > 0
        config = copy.copy(self.generation_config)  # generate() deep-copies it again; shallow is enough here
        config.max_new_tokens = job.max_new_tokens
        if sampling:
            config.do_sample, config.temperature, config.top_p, config.top_k = True, job.temperature, job.top_p, 0
        criteria = StoppingCriteriaList([_Halt(cancel, self.tok, job.prompt_tokens, job.stops)])
        with self.lock, torch.inference_mode():
            if cancel.is_set():
                return Output([])
            if job.seed is not None:
                torch.manual_seed(job.seed)
            hook: Any = attach(self.model, self.ns) if self.ns is not None else nullcontext()
            with hook as handle:
                if handle is not None:
                    handle.position = job.prompt_tokens - 1
                out = self.model.generate(
                    input_ids=job.input_ids,
                    attention_mask=torch.ones_like(job.input_ids),
                    generation_config=config,
                    stopping_criteria=criteria,
                    streamer=streamer,
                )
        return Output(out[0, job.prompt_tokens :].tolist())

    def finish(self, job: Job, out: Output, text: str) -> tuple[str, str]:
        """The text cut at the first stop string, and the finish reason ("stop" or "length")."""
        cut = _find_stop(text, job.stops)
        if cut is not None:
            return text[:cut], "stop"
        if (out.token_ids and out.token_ids[-1] in self.eos_ids) or len(out.token_ids) < job.max_new_tokens:
            return text, "stop"
        return text, "length"


def _plain_message(message: ChatMessage, index: int) -> dict[str, str]:
    """A message as the chat template wants it: role and one string (developer becomes system)."""
    content = message.content
    if isinstance(content, list):
        if any(part.type != "text" for part in content):
            raise ApiError("only text content parts are supported", param=f"messages.{index}.content")
        content = "".join(part.text or "" for part in content)
    role = "system" if message.role == "developer" else message.role
    return {"role": role, "content": content or ""}


def _find_stop(text: str, stops: Sequence[str]) -> int | None:
    """Index of the earliest stop string in `text`, or None."""
    found = [i for i in (text.find(s) for s in stops) if i >= 0]
    return min(found) if found else None


def _held_back(text: str, stops: Sequence[str]) -> int:
    """Length of the longest end of `text` that could still grow into a stop string."""
    best = 0
    for s in stops:
        for k in range(min(len(s) - 1, len(text)), best, -1):
            if s.startswith(text[-k:]):
                best = k
                break
    return best


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _sse(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def create_app(
    model: Any,
    tok: Any,
    *,
    model_id: str,
    ns: Any | None = None,
    default_max_tokens: int = DEFAULT_MAX_TOKENS,
    max_queue: int = DEFAULT_MAX_QUEUE,
) -> FastAPI:
    """The FastAPI app serving `model` under the name `model_id`.

    Args:
        model: A loaded causal LM (eval mode, on its device).
        tok: Its tokenizer, with a chat template.
        model_id: The name clients pass as ``model``; other names get a 400.
        ns: An `NSIntervention` applied on the prefill of every generation, or None.
        default_max_tokens: Token budget when a request gives neither max_tokens nor max_completion_tokens.
        max_queue: Requests that may wait while one generates; more are refused with 503 + Retry-After.

    Returns:
        The app; ``app.state.engine`` is the `Engine`, ``app.state.gate`` the `Gate`, ``app.state.stats``
        the `Stats`.
    """
    engine = Engine(model, tok, ns=ns, default_max_tokens=default_max_tokens)
    gate, stats = Gate(max_queue), Stats()
    created = int(time.time())
    app = FastAPI(title="nsllm", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.engine, app.state.gate, app.state.stats = engine, gate, stats
    card = {"id": model_id, "object": "model", "created": created, "owned_by": "nsllm"}

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":
            detail = first.get("ctx", {}).get("error", "")
            return ApiError(
                f"the request body is not valid JSON: {detail}".rstrip(": "), code="invalid_json"
            ).response()
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = first.get("msg", "invalid request")
        return ApiError(
            f"{where}: {message}" if where else message, param=where or None, code="invalid_value"
        ).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = "not_found" if exc.status_code == 404 else None
        return ApiError(str(exc.detail), status=exc.status_code, code=code).response()

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        return ApiError(f"{exc.__class__.__name__}: {exc}", status=500, kind="server_error").response()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "model": model_id}

    @app.get("/stats")
    async def stats_route() -> dict[str, Any]:
        return stats.snapshot(gate)

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [card]}

    @app.get("/v1/models/{name:path}")
    async def model_card(name: str) -> dict[str, Any]:
        if name != model_id:
            raise ApiError(f"the model {name!r} does not exist", status=404, param="model", code="model_not_found")
        return card

    @app.post("/v1/chat/completions", response_model=None)
    async def chat(req: ChatRequest, request: Request) -> JSONResponse | StreamingResponse:
        if req.model != model_id:
            raise ApiError(
                f"unknown model {req.model!r}: this server serves {model_id!r}", param="model", code="model_not_found"
            )
        job = engine.prepare(req)
        rid = f"chatcmpl-{secrets.token_hex(12)}"
        head = {"id": rid, "created": int(time.time()), "model": model_id}
        try:
            ticket = gate.admit()
        except Busy as exc:
            stats.refused()
            raise ApiError(
                str(exc),
                status=503,
                code="server_busy",
                kind="server_error",
                headers={"Retry-After": str(exc.retry_after)},
            ) from None
        turn = _Turn(engine, gate, stats, job, ticket, id=rid, stream=bool(req.stream))
        if req.stream:
            usage = bool(req.stream_options and req.stream_options.include_usage)
            return _TurnStream(
                _stream(turn, head, include_usage=usage),
                turn,
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        out = await turn.answer(request)
        text, reason = engine.finish(job, out, str(tok.decode(out.token_ids, skip_special_tokens=True)))
        return JSONResponse(
            {
                **head,
                "object": "chat.completion",
                "system_fingerprint": None,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": None},
                        "logprobs": None,
                        "finish_reason": reason,
                    }
                ],
                "usage": _usage(job.prompt_tokens, len(out.token_ids)),
            }
        )

    return app


class _Turn:
    """One admitted request's way through the queue and the model, and its record in `Stats`."""

    def __init__(
        self, engine: Engine, gate: Gate, stats: Stats, job: Job, ticket: Ticket, *, id: str, stream: bool
    ) -> None:
        self.engine, self.gate, self.stats, self.job, self.ticket = engine, gate, stats, job, ticket
        self.id, self.stream = id, stream
        self.cancel = Cancel()

    def generate(self, streamer: Any | None = None) -> Output:
        """Run the model (blocking, in a worker thread) and record what it did once it is free again."""
        start, tokens, failed = time.monotonic(), 0, True
        try:
            out = self.engine.run(self.job, streamer=streamer, cancel=self.cancel)
            tokens, failed = len(out.token_ids), False
            return out
        finally:
            seconds = time.monotonic() - start
            self.gate.took(seconds)
            self.record("failed" if failed else None, tokens=tokens, generate_s=seconds)

    def record(
        self, outcome: Literal["failed", "disconnected"] | None, *, tokens: int = 0, generate_s: float = 0.0
    ) -> None:
        """Add this request's record; `outcome` None means finished, or disconnected if the client went away."""
        gone = self.cancel.reason == "disconnected"
        self.stats.add(
            RequestRecord(
                id=self.id,
                stream=self.stream,
                prompt_tokens=self.job.prompt_tokens,
                max_tokens=self.job.max_new_tokens,
                outcome=outcome or ("disconnected" if gone else "finished"),
                tokens=tokens,
                tokens_at_disconnect=self.cancel.generated_at_cancel if gone else None,
                wait_s=round(self.ticket.waited, 4),
                generate_s=round(generate_s, 4),
            )
        )

    def left_while_waiting(self) -> None:
        """The client went away before its turn: leave the queue, and record it."""
        if self.ticket.state == "waiting":
            self.cancel.set("disconnected")
            self.ticket.close()
            self.record("disconnected")

    async def answer(self, request: Request) -> Output:
        """Wait for the model and generate, watching the connection: a disconnect cancels either step.

        Raises:
            ApiError: (499) when the client went away before its turn; nobody reads it.
        """
        out: Output | None = None
        failure: Exception | None = None
        try:
            async with anyio.create_task_group() as tasks:

                async def watch() -> None:
                    while (await request.receive())["type"] != "http.disconnect":
                        pass
                    self.cancel.set("disconnected")
                    if self.ticket.state == "waiting":
                        tasks.cancel_scope.cancel()

                tasks.start_soon(watch)
                try:
                    async with self.ticket:
                        out = await anyio.to_thread.run_sync(self.generate)
                except Exception as exc:  # noqa: BLE001 - raised below as itself, not in a task group's ExceptionGroup
                    failure = exc
                tasks.cancel_scope.cancel()
        finally:
            self.left_while_waiting()
        if failure is not None:
            raise failure
        if out is None:
            raise ApiError("the client closed the request", status=499, code="client_closed")
        return out


class _TurnStream(StreamingResponse):
    """A streamed answer that gives the model back however the response ends, even before it began."""

    def __init__(self, content: AsyncGenerator[str, None], turn: _Turn, **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self.turn, self.content = turn, content

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self.content.aclose()  # runs the generator's cleanup now, not at garbage collection
            self.turn.cancel.set("disconnected")  # a no-op once the generation is over
            self.turn.left_while_waiting()


async def _stream(turn: _Turn, head: dict[str, Any], *, include_usage: bool) -> AsyncGenerator[str, None]:
    """SSE events of one streamed answer; the generation stops if the client goes away."""
    engine, job = turn.engine, turn.job
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    streamer = _QueueStreamer(engine.tok, asyncio.get_running_loop(), queue, turn.cancel)

    def work() -> None:
        try:
            streamer.send("done", turn.generate(streamer))
        except BaseException as exc:  # noqa: BLE001 - reported to the client as an error event
            streamer.send("error", exc)

    extra = {"usage": None} if include_usage else {}
    base = {**head, "object": "chat.completion.chunk", "system_fingerprint": None}

    def chunk(delta: dict[str, Any], reason: str | None = None) -> str:
        return _sse(
            {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}], **extra}
        )

    yield chunk({"role": "assistant", "content": ""})  # at once, even while the request waits for the model
    over = False
    try:
        async with turn.ticket:
            threading.Thread(target=work, name="nsllm-generate", daemon=True).start()
            text, sent, stopped = "", 0, False
            while True:
                kind, value = await queue.get()
                if kind == "error":
                    over = True
                    yield _sse(
                        {
                            "error": {
                                "message": f"generation failed: {value}",
                                "type": "server_error",
                                "param": None,
                                "code": None,
                            }
                        }
                    )
                    return
                if kind == "done":
                    out: Output = value
                    over = True
                    break
                if stopped:
                    continue
                text += value
                end = _find_stop(text, job.stops)
                if end is not None:
                    stopped = True
                    turn.cancel.set("stop")
                else:
                    end = len(text) - _held_back(text, job.stops)
                if end > sent:
                    yield chunk({"content": text[sent:end]})
                    sent = end
        if not stopped and len(text) > sent:
            yield chunk({"content": text[sent:]})
        _, reason = engine.finish(job, out, text)
        yield chunk({}, reason)
        if include_usage:
            yield _sse({**base, "choices": [], "usage": _usage(job.prompt_tokens, len(out.token_ids))})
        yield "data: [DONE]\n\n"
    finally:
        if not over:  # cancelled or closed mid-way: the client is gone
            turn.cancel.set("disconnected")


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (`host`, `port`); port 0 picks a free one (read it from ``getsockname()``).

    Binding before serving lets a caller print the real address first: clients that connect early
    wait in the backlog until the server accepts.

    Raises:
        NsllmError: when the address cannot be bound.
    """
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise NsllmError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise NsllmError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket) -> str:
    """``http://host:port/v1`` for a listening socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/v1"
