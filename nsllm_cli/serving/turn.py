"""One admitted request's way through the queue and the model, and its record in `Stats`.

A `Turn` holds the request's `Ticket` (its place in the queue) and its `Cancel` switch. `Turn.answer`
waits for the model and generates in a worker thread while watching the connection: a client that
disconnects leaves the queue, or stops its generation within a token or two. Whatever happens, the turn
adds one `RequestRecord` (finished, disconnected or failed) once the model is free again.

Example:
    >>> turn = Turn(engine, gate, stats, job, gate.admit(), id="chatcmpl-1", stream=False)
    >>> out = await turn.answer(request)  # in a route
"""

from __future__ import annotations

import time
from typing import Any, Literal

import anyio
from fastapi import Request

from nsllm_cli.serving.admission import Cancel, Gate, RequestRecord, Stats, Ticket
from nsllm_cli.serving.engine import Engine, Job, Output
from nsllm_cli.serving.schema import ApiError

__all__ = ["Turn"]


class Turn:
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
