"""Run independent work items on a thread pool and hand back results as they finish.

The SymBench runner and steering-data collection both answer many questions whose time goes to waiting on
model APIs: threads overlap the waits, and each result is written as soon as it exists, so a kill loses only
the items in flight.

Example:
    >>> sorted(as_finished([1, 2, 3], lambda x: x * x, concurrency=2))
    [1, 4, 9]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from itertools import islice
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def as_finished(
    items: Iterable[T],
    work: Callable[[T], R],
    *,
    concurrency: int = 1,
    should_stop: Callable[[], bool] | None = None,
    name: str = "worker",
) -> Iterator[R]:
    """`work(item)` for each item, at most `concurrency` at once, yielded in finishing order.

    With concurrency 1 the items run in order in the calling thread. `should_stop` is polled before each item
    starts; when it says stop (or the consumer stops iterating, or a work item raises), no new item starts and
    queued ones are dropped; items already running finish in their threads.
    """
    pending = iter(items)

    def take() -> list[T]:
        """The next item as a one-element list; [] when told to stop or when none is left."""
        if should_stop is not None and should_stop():
            return []
        return list(islice(pending, 1))

    if concurrency <= 1:
        while batch := take():
            yield work(batch[0])
        return
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=name)
    running: set[Future[R]] = set()
    try:
        while len(running) < concurrency and (batch := take()):
            running.add(pool.submit(work, batch[0]))
        while running:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                yield fut.result()
                running.update(pool.submit(work, item) for item in take())
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
