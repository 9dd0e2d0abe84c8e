"""A streamed answer (``stream: true``): OpenAI's chunk events, cut at stop strings, ending with ``data: [DONE]``.

The generation runs in a worker thread; transformers' streamer hands each finished piece of text to an
``asyncio.Queue`` on the event loop (no thread hop per token). Text that could still grow into a stop string
is held back until the next piece decides. The first chunk (the assistant role) goes out at once, even while
the request waits for the model. However the response ends, even before it began, `TurnStream` gives the
model back and records a client that went away.

Example:
    >>> events = stream_answer(turn, {"id": rid, "created": now, "model": "embedded"}, include_usage=False)
    >>> return TurnStream(events, turn, media_type="text/event-stream")
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator
from typing import Any

import anyio
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send
from transformers import TextStreamer

from nsllm_cli.serving.admission import Cancel
from nsllm_cli.serving.engine import Output
from nsllm_cli.serving.schema import sse, usage
from nsllm_cli.serving.turn import Turn
from nsllm_cli.stop_strings import find_stop, held_back

__all__ = ["QueueStreamer", "TurnStream", "stream_answer"]


class QueueStreamer(TextStreamer):
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


class TurnStream(StreamingResponse):
    """A streamed answer that gives the model back however the response ends, even before it began."""

    def __init__(self, content: AsyncGenerator[str, None], turn: Turn, **kwargs: Any) -> None:
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


async def stream_answer(turn: Turn, head: dict[str, Any], *, include_usage: bool) -> AsyncGenerator[str, None]:
    """SSE events of one streamed answer; the generation stops if the client goes away.

    Args:
        turn: The admitted request.
        head: ``id``, ``created`` and ``model`` of every chunk.
        include_usage: Send a last chunk with the usage (``stream_options.include_usage``).
    """
    engine, job = turn.engine, turn.job
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    streamer = QueueStreamer(engine.tok, asyncio.get_running_loop(), queue, turn.cancel)

    def work() -> None:
        try:
            streamer.send("done", turn.generate(streamer))
        except BaseException as exc:  # noqa: BLE001 - reported to the client as an error event
            streamer.send("error", exc)

    extra = {"usage": None} if include_usage else {}
    base = {**head, "object": "chat.completion.chunk", "system_fingerprint": None}

    def chunk(delta: dict[str, Any], reason: str | None = None) -> str:
        return sse(
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
                    yield sse(
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
                end = find_stop(text, job.stops)
                if end is not None:
                    stopped = True
                    turn.cancel.set("stop")
                else:
                    end = len(text) - held_back(text, job.stops)
                if end > sent:
                    yield chunk({"content": text[sent:end]})
                    sent = end
        if not stopped and len(text) > sent:
            yield chunk({"content": text[sent:]})
        _, reason = engine.finish(job, out, text)
        yield chunk({}, reason)
        if include_usage:
            yield sse({**base, "choices": [], "usage": usage(job.prompt_tokens, len(out.token_ids))})
        yield "data: [DONE]\n\n"
    finally:
        if not over:  # cancelled or closed mid-way: the client is gone
            turn.cancel.set("disconnected")
