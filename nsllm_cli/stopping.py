"""How a long command stops: on SIGINT or SIGTERM, whatever signal dispositions the process inherited.

A shell script's background job (`nsllm finetune ... &`), `nohup` and many schedulers start a process with
SIGINT *ignored*; Python then installs no KeyboardInterrupt handler, and a stop sent by the dashboard (or by
`kill -INT`) would do nothing. So every command installs its own handlers (`install_stop_handlers`, called
by the entry point): SIGINT raises KeyboardInterrupt and SIGTERM `Stopped` (a KeyboardInterrupt), which the
run guard turns into a `stopped` status. Training loops go one better with `deferred_stop`: the first signal
only asks them to stop after the current step, so they save a checkpoint first; a second one aborts at once.

Example:
    >>> install_stop_handlers()
    >>> with deferred_stop() as stop:
    ...     for step in range(steps):
    ...         train_one(step)
    ...         if stop.is_set():
    ...             save(step + 1)
    ...             raise Stopped(stop.signum)
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(KeyboardInterrupt):
    """A stop asked for by a signal; `signum` says which (SIGINT for Ctrl-C)."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The exit code of a process stopped by this signal (`exit_code_of`)."""
        return exit_code_of(self.signum)


def exit_code_of(signum: int) -> int:
    """128 + the signal number, as shells report it: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + int(signum)


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def install_stop_handlers() -> bool:
    """Make SIGINT raise KeyboardInterrupt and SIGTERM raise `Stopped`, even if they were ignored at start.

    SIGINT gets Python's own `default_int_handler`, which asyncio recognises: inside `asyncio.run` a Ctrl-C
    then cancels the main task cleanly instead of raising wherever the loop happens to be.

    Returns:
        False outside the main thread, where Python cannot set handlers (nothing is changed then).
    """
    if not _in_main_thread():
        return False
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_stopped)
    return True


class StopRequest(threading.Event):
    """Set by the first stop signal inside `deferred_stop`; `signum` is the signal that set it."""

    def __init__(self) -> None:
        super().__init__()
        self.signum: int = signal.SIGINT


@contextmanager
def deferred_stop(
    message: str = "stopping after the current step (a checkpoint is saved); signal again to abort",
) -> Iterator[StopRequest]:
    """Inside the block, the first SIGINT/SIGTERM sets the yielded event and prints `message` to stderr;
    the next one raises `Stopped` at once. The previous handlers come back on exit.

    Outside the main thread nothing is installed and the event is never set by a signal.
    """
    request = StopRequest()
    if not _in_main_thread():
        yield request
        return

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if request.is_set():
            raise Stopped(signum)
        request.signum = signum
        request.set()
        print(f"{signal.Signals(signum).name}: {message}", file=sys.stderr, flush=True)

    previous = {signum: signal.signal(signum, on_signal) for signum in STOP_SIGNALS}
    try:
        yield request
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
