"""The HTTP app of `nsllm serve`: routes and error handlers over one `Engine`, behind one `Gate`.

Routes: ``GET /health``, ``GET /stats``, ``GET /v1/models`` (and ``/v1/models/{id}``),
``POST /v1/chat/completions`` (plain JSON, or ``stream: true`` server-sent events, see `stream`). Every
error, the framework's own included, is answered in OpenAI's format (`schema.ApiError`).

Example:
    >>> app = create_app(model, tok, model_id="embedded", max_queue=4)
    >>> app.state.stats.snapshot(app.state.gate)["queue"]
    {'max_queue': 4, 'waiting': 0, 'generating': 0}
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from nsllm_cli.serving.admission import Busy, Gate, Stats
from nsllm_cli.serving.engine import DEFAULT_MAX_TOKENS, Engine
from nsllm_cli.serving.schema import ApiError, ChatRequest, usage
from nsllm_cli.serving.stream import TurnStream, stream_answer
from nsllm_cli.serving.turn import Turn

__all__ = ["DEFAULT_MAX_QUEUE", "create_app"]

DEFAULT_MAX_QUEUE = 16


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
        turn = Turn(engine, gate, stats, job, ticket, id=rid, stream=bool(req.stream))
        if req.stream:
            include = bool(req.stream_options and req.stream_options.include_usage)
            return TurnStream(
                stream_answer(turn, head, include_usage=include),
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
                "usage": usage(job.prompt_tokens, len(out.token_ids)),
            }
        )

    return app
