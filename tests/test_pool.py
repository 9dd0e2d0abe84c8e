"""`as_finished`: bounded concurrency, finishing order, and stopping before new items start."""

from __future__ import annotations

import threading
import time

from nsllm_cli.pool import as_finished


def test_at_most_k_run_at_once_and_results_come_as_they_finish() -> None:
    lock, live, peak = threading.Lock(), [0], [0]

    def work(x: int) -> int:
        with lock:
            live[0] += 1
            peak[0] = max(peak[0], live[0])
        time.sleep(0.05 * (5 - x))  # later items finish first
        with lock:
            live[0] -= 1
        return x

    out = list(as_finished(range(5), work, concurrency=3))
    assert sorted(out) == [0, 1, 2, 3, 4] and peak[0] == 3
    assert out.index(2) < out.index(0)  # finishing order, not submission order


def test_sequential_runs_in_order_and_stop_is_polled_before_each_item() -> None:
    started: list[int] = []

    def work(x: int) -> int:
        started.append(x)
        return x

    assert list(as_finished(range(4), work)) == [0, 1, 2, 3]
    started.clear()
    assert list(as_finished(range(4), work, should_stop=lambda: len(started) >= 2)) == [0, 1]
    assert list(as_finished(range(4), work, should_stop=lambda: True)) == []
    started.clear()
    assert len(list(as_finished(range(10), work, concurrency=2, should_stop=lambda: len(started) >= 3))) <= 4
