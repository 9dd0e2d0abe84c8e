"""`MetricsCallback`: the HF Trainer callback that writes metrics.jsonl, honours the stop flag and drops pickles.

One record per trainer log goes to metrics.jsonl with the fields of LLaMA-Factory's `LogCallback` (step,
total_steps, epoch, phase, loss, eval_loss, lr, tokens_per_s, elapsed_s, remaining_s, time), plus any other
numeric value trl logs (DPO's rewards, for example); the same record goes to `on_event("log", ...)`. Setting the
`stop` event (the CLI does on SIGINT) ends training after the current step with a checkpoint saved.

This module imports transformers when it is imported (the class derives from `TrainerCallback`): the training run
imports it only once it is about to build the trainer.

Example:
    >>> stop = threading.Event()  # set it to stop after the current step
    >>> callback = MetricsCallback(Path("out/metrics.jsonl"), phase="sft", emit=ignore, stop=stop,
    ...                            report=report)  # doctest: +SKIP
    >>> trainer.add_callback(callback)  # doctest: +SKIP
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from nsllm_cli.events import Event
from nsllm_cli.jsonl import append_jsonl
from nsllm_cli.steer.training.presets import Stage
from nsllm_cli.steer.training.report import TrainReport, optional_float


class MetricsCallback(TrainerCallback):
    """Append one record per trainer log to metrics.jsonl (main process only)."""

    def __init__(
        self, metrics: Path, *, phase: Stage, emit: Event, stop: threading.Event | None, report: TrainReport
    ) -> None:
        """Create the metrics file's folder; nothing is written before the first log.

        Args:
            metrics: the JSONL file the records are appended to.
            phase: the stage written into every record.
            emit: receives "log" (each record) and "checkpoint" (path, step) events.
            stop: when set, training stops after the current step and saves a checkpoint.
            report: its first_loss and last_loss follow the logged losses.
        """
        self.metrics = metrics
        self.phase = phase
        self.emit = emit
        self.stop = stop
        self.report = report
        self.t0 = time.monotonic()
        self.start_step = 0
        self.last_t = self.t0
        self.last_tokens: float | None = None
        metrics.parent.mkdir(parents=True, exist_ok=True)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.t0 = self.last_t = time.monotonic()
        self.start_step = int(state.global_step)
        self.last_tokens = None

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any) -> None:
        if not logs or not state.is_world_process_zero or "train_runtime" in logs:
            return  # the end-of-training summary goes into the report instead
        now = time.monotonic()
        step, total = int(state.global_step), int(state.max_steps)
        elapsed = now - self.t0
        done = step - self.start_step
        tokens = logs.get("num_tokens")
        rate = None
        if tokens is not None and "loss" in logs:
            if self.last_tokens is not None and tokens >= self.last_tokens and now > self.last_t:
                rate = round((tokens - self.last_tokens) / (now - self.last_t), 1)
            self.last_tokens, self.last_t = float(tokens), now
        loss = optional_float(logs.get("loss"))
        record: dict[str, Any] = {
            "step": step,
            "total_steps": total,
            "epoch": round(float(state.epoch or 0.0), 4),
            "phase": self.phase,
            "loss": loss,
            "eval_loss": optional_float(logs.get("eval_loss")),
            "lr": optional_float(logs.get("learning_rate")),
            "tokens_per_s": rate,
            "elapsed_s": round(elapsed, 3),
            "remaining_s": round(elapsed / done * (total - step), 1) if done > 0 else None,
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        skip = {"loss", "eval_loss", "learning_rate", "epoch"}
        for key, value in logs.items():
            if key not in skip and isinstance(value, int | float):
                record[key.replace("/", "_")] = value
        if loss is not None:
            self.report.last_loss = loss
            if self.report.first_loss is None:
                self.report.first_loss = loss
        append_jsonl(self.metrics, record)
        self.emit("log", record)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.stop is not None and self.stop.is_set():
            control.should_training_stop = True
            control.should_save = True

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        # The Trainer pickles its arguments there; nothing reads them back on resume (nsllm keeps no pickles).
        (folder / "training_args.bin").unlink(missing_ok=True)
        if state.is_world_process_zero:
            self.emit("checkpoint", {"path": str(folder), "step": int(state.global_step)})
