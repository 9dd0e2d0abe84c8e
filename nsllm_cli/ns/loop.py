"""The optimiser-step loop shared by the NS method and both baselines: same data, same bookkeeping."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import torch

from nsllm_cli.errors import DataError
from nsllm_cli.ns.batches import TFBatch
from nsllm_cli.ns.finetune import StepBatches
from nsllm_cli.ns.problems import Problem
from nsllm_cli.stopping import Stopped, deferred_stop


def run_steps(
    *,
    batches: StepBatches,
    device: torch.device,
    steps: int,
    start_step: int,
    loss_fn: Callable[[list[Problem], TFBatch], torch.Tensor],
    opt: torch.optim.Optimizer,
    save: Callable[[int], None],
    checkpoint_every: int,
    on_event: Callable[[str, dict[str, Any]], None],
    sched: Any = None,
    extra: Callable[[], dict[str, float]] | None = None,
) -> float:
    """Run steps `start_step..steps-1`: loss, backward, step, a `step` event, checkpoints. Returns seconds.

    A SIGINT or SIGTERM ends the loop after the current step, with a checkpoint saved (`stopping.Stopped`).
    """
    t0 = time.perf_counter()
    with deferred_stop() as stop:
        for step in range(start_step, steps):
            items, batch = batches(step, device)
            loss = loss_fn(items, batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            elapsed, done = time.perf_counter() - t0, step + 1 - start_step
            record = {
                "step": step + 1,
                "total_steps": steps,
                "loss": loss.item(),
                "lr": opt.param_groups[0]["lr"],
                **(extra() if extra is not None else {}),
                "steps_per_s": done / elapsed,
                "remaining_s": (steps - step - 1) * elapsed / done,
            }
            on_event("step", record)
            if not math.isfinite(record["loss"]):
                raise DataError(f"loss became {record['loss']} at step {step + 1}; lower --lr")
            if (step + 1) % checkpoint_every == 0 or step + 1 == steps or stop.is_set():
                save(step + 1)
            if stop.is_set() and step + 1 < steps:
                raise Stopped(stop.signum)
    return time.perf_counter() - t0
