"""Admission in front of the one model `nsllm serve` runs, and the server's account of each request.

One generation runs at a time. At most ``max_queue`` more requests wait for it, in arrival order; a
request beyond that is refused at once (`Busy`, answered as HTTP 503 with ``Retry-After``) instead of
piling up threads and timing out. Each generation gets a `Cancel` switch that the server throws when the
client goes away; the generation checks it between tokens, so an abandoned request frees the model within
a token or two. `Stats` keeps the counts and the last requests' records (``GET /stats``), among them how
many tokens were generated after the disconnect was seen.

Example:
    >>> gate = Gate(max_queue=4)
    >>> ticket = gate.admit()  # raises Busy when 1 + 4 requests are already in
    >>> async with ticket:  # waits for its turn
    ...     run_the_model()
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["Busy", "Cancel", "Gate", "RequestRecord", "Stats", "Ticket"]

Outcome = Literal["finished", "stopped", "disconnected", "failed"]


class Busy(Exception):
    """The queue is full: the request is refused and may be retried after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Cancel:
    """The stop switch of one generation: why it was thrown and how many tokens existed by then."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: str | None = None
        self.generated = 0
        """New tokens so far; the generation thread updates it after every token."""
        self.generated_at_cancel: int | None = None

    def set(self, reason: str = "cancelled") -> None:
        """Throw the switch; only the first call records its reason and the token count."""
        if not self._event.is_set():
            self.reason, self.generated_at_cancel = reason, self.generated
            self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()


class Ticket:
    """One admitted request: waiting, then holding the model inside ``async with``, then done."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.state: Literal["waiting", "generating", "done"] = "waiting"
        self.admitted = time.monotonic()
        self.waited = 0.0
        """Seconds between admission and the model's turn."""

    async def __aenter__(self) -> Ticket:
        await self.gate._turn.acquire()
        if self.state != "waiting":  # closed while waiting (the response went away)
            self.gate._turn.release()
            raise asyncio.CancelledError
        self.gate.waiting -= 1
        self.gate.generating += 1
        self.state, self.waited = "generating", time.monotonic() - self.admitted
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Leave the queue or give the model back (idempotent)."""
        if self.state == "waiting":
            self.gate.waiting -= 1
        elif self.state == "generating":
            self.gate.generating -= 1
            self.gate._turn.release()
        self.state = "done"


class Gate:
    """A bounded FIFO queue before one model: `admit` refuses at once when it is full."""

    def __init__(self, max_queue: int) -> None:
        if max_queue < 0:
            raise ValueError(f"max_queue must be >= 0, not {max_queue}")
        self.max_queue = max_queue
        self.waiting = 0
        self.generating = 0
        self._turn = asyncio.Lock()  # FIFO: waiters are woken in the order they came
        self._seconds: deque[float] = deque(maxlen=16)

    def admit(self) -> Ticket:
        """A ticket in the queue (call on the event loop).

        Raises:
            Busy: when one request generates and `max_queue` wait already.
        """
        if self.waiting + self.generating > self.max_queue:
            wait = self.retry_after()
            raise Busy(
                f"the server is busy: {self.generating} request generating and {self.waiting} waiting "
                f"(--max-queue {self.max_queue}); retry after {wait} s",
                retry_after=wait,
            )
        self.waiting += 1
        return Ticket(self)

    def took(self, seconds: float) -> None:
        """Note how long a generation held the model (for `retry_after`)."""
        self._seconds.append(seconds)

    def retry_after(self) -> int:
        """Whole seconds until a place is likely free: one recent generation's mean time, at least 1."""
        mean = sum(self._seconds) / len(self._seconds) if self._seconds else 1.0
        return max(1, min(60, math.ceil(mean)))


@dataclass
class RequestRecord:
    """What the server did with one request."""

    id: str
    stream: bool
    prompt_tokens: int
    max_tokens: int
    outcome: Outcome
    tokens: int = 0
    """New tokens the model generated (EOS included)."""
    tokens_at_disconnect: int | None = None
    """New tokens that existed when the disconnect was seen (None: the client stayed)."""
    wait_s: float = 0.0
    generate_s: float = 0.0
    ended_at: float = field(default_factory=time.time)
    """Wall-clock time (epoch seconds) when the model was free again."""

    @property
    def tokens_after_disconnect(self) -> int | None:
        if self.tokens_at_disconnect is None:
            return None
        return self.tokens - self.tokens_at_disconnect

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "tokens_after_disconnect": self.tokens_after_disconnect}


class Stats:
    """Counts of outcomes and the most recent request records (thread-safe)."""

    def __init__(self, keep: int = 256) -> None:
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {"finished": 0, "stopped": 0, "disconnected": 0, "failed": 0, "refused": 0}
        self.recent: deque[RequestRecord] = deque(maxlen=keep)

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self.counts[record.outcome] += 1
            self.recent.append(record)

    def refused(self) -> None:
        with self._lock:
            self.counts["refused"] += 1

    def snapshot(self, gate: Gate) -> dict[str, Any]:
        """The ``GET /stats`` body."""
        with self._lock:
            return {
                "queue": {"max_queue": gate.max_queue, "waiting": gate.waiting, "generating": gate.generating},
                "requests": dict(self.counts),
                "recent": [r.as_dict() for r in self.recent],
            }
