"""A real `nsllm serve` process for tests: start it on a free port, wait for its address, stop it with Ctrl-C."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from tests.conftest import nsllm_env


def _lines(stream: IO[str], out: queue.Queue[str | None]) -> None:
    for line in stream:
        out.put(line)
    out.put(None)


@contextmanager
def serving(*args: str) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """Start `nsllm serve --port 0 ARGS`, wait for its `listening on URL` line; yields (process, URL, stdout lines)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "nsllm_cli", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=nsllm_env(),
    )
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while not any(line.startswith("listening on ") for line in seen):
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, (
                f"nsllm serve ended early: {proc.wait()} {proc.stderr.read() if proc.stderr else ''}"
            )
            seen.append(line)
        url = seen[-1].split()[-1]
        yield proc, url, seen
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=60)
    return code, proc.stderr.read() if proc.stderr else ""
