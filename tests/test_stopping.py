"""Stopping on SIGINT or SIGTERM whatever the inherited dispositions: handlers, deferred stops, the step loop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch

from nsllm_cli.stopping import Stopped, deferred_stop, install_stop_handlers

READY = "ready"


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what `cmd &` in a script and nohup do


def _started(code: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ignore_sigint,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == READY
    return process


@pytest.mark.parametrize(("signum", "expected"), [(signal.SIGINT, "KeyboardInterrupt"), (signal.SIGTERM, "Stopped")])
def test_handlers_work_even_when_sigint_was_ignored_at_start(signum: int, expected: str) -> None:
    code = (
        "import signal, time\n"
        "from nsllm_cli.stopping import install_stop_handlers\n"
        "assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN\n"
        "install_stop_handlers()\n"
        "try:\n"
        f"    print({READY!r}, flush=True)\n"
        "    time.sleep(60)\n"
        "except KeyboardInterrupt as exc:\n"
        "    print(type(exc).__name__, getattr(exc, 'exit_code', 130), flush=True)\n"
    )
    process = _started(code)
    process.send_signal(signum)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert out.split() == [expected, str(128 + signum)]


def test_without_handlers_an_ignored_sigint_does_nothing() -> None:
    """The failure the handlers exist for: the same process, never installing them, shrugs SIGINT off."""
    process = _started(f"import time\nprint({READY!r}, flush=True)\ntime.sleep(60)\n")
    try:
        process.send_signal(signal.SIGINT)
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=1.0)
    finally:
        process.kill()
        process.communicate()


def _wait_for(flag: Any) -> None:
    deadline = time.monotonic() + 5
    while not flag.is_set():
        assert time.monotonic() < deadline, "the signal never arrived"
        time.sleep(0.001)


def test_deferred_stop_asks_first_and_aborts_on_the_second_signal(capsys: pytest.CaptureFixture[str]) -> None:
    before = signal.getsignal(signal.SIGTERM)
    with deferred_stop("saving first") as stop:
        assert not stop.is_set()
        os.kill(os.getpid(), signal.SIGTERM)
        _wait_for(stop)
        assert stop.signum == signal.SIGTERM
        assert "SIGTERM: saving first" in capsys.readouterr().err
        with pytest.raises(Stopped) as raised:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # the handler raises long before this ends
        assert raised.value.signum == signal.SIGINT and raised.value.exit_code == 130
    assert signal.getsignal(signal.SIGTERM) is before


def test_step_loop_saves_a_checkpoint_at_the_step_it_was_stopped(tmp_path: Path) -> None:
    from nsllm_cli.ns.trainer import run_steps

    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    install_stop_handlers()
    weight = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.SGD([weight], lr=0.1)
    saved: list[int] = []
    seen: list[int] = []

    def on_event(kind: str, payload: dict[str, Any]) -> None:
        seen.append(payload["step"])
        if payload["step"] == 3:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # let the handler run: the loop must still finish this step and save it

    with pytest.raises(Stopped) as raised:
        try:
            run_steps(
                batches=lambda step, device: ([], None),  # type: ignore[arg-type]
                device=torch.device("cpu"),
                steps=50,
                start_step=0,
                loss_fn=lambda items, batch: (weight**2).sum(),
                opt=opt,
                save=saved.append,
                checkpoint_every=10,
                on_event=on_event,
            )
        finally:
            for signum, handler in before.items():
                signal.signal(signum, handler)
    assert raised.value.signum == signal.SIGTERM
    assert seen == [1, 2, 3] and saved == [3]
