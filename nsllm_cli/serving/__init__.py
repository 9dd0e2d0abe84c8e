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

Modules, one concept each: `schema` (the wire format and errors), `engine` (the model: requests to tokens),
`admission` (the queue, the cancel switch, ``/stats``), `turn` (one request through queue and model),
`stream` (server-sent events), `app` (the routes), `sockets` (binding before serving).

Example:
    >>> app = create_app(model, tok, model_id="embedded")
    >>> sock = listen("127.0.0.1", 0)
    >>> uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
"""

from nsllm_cli.serving.app import DEFAULT_MAX_QUEUE, create_app
from nsllm_cli.serving.engine import DEFAULT_MAX_TOKENS, Engine
from nsllm_cli.serving.schema import ApiError, ChatRequest
from nsllm_cli.serving.sockets import base_url, listen

__all__ = [
    "DEFAULT_MAX_QUEUE",
    "DEFAULT_MAX_TOKENS",
    "ApiError",
    "ChatRequest",
    "Engine",
    "base_url",
    "create_app",
    "listen",
]
