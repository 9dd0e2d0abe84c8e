"""Metrics fan-out: always `metrics.jsonl`; W&B and TensorBoard only when asked for.

An optional backend that is missing or fails to start is switched off with a warning: the
run and its `metrics.jsonl` carry on.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from nsllm_cli.runs import RunDir

log = logging.getLogger(__name__)


class Reporter:
    """Log metrics to the run folder and, optionally, to W&B and TensorBoard."""

    def __init__(self, run: RunDir, *, wandb: bool = False, tensorboard: bool = False) -> None:
        self.run = run
        self.warnings: list[str] = []
        self._wandb: Any = self._start_wandb() if wandb else None
        self._tb: Any = self._start_tensorboard() if tensorboard else None

    def _disable(self, backend: str, exc: BaseException) -> None:
        message = f"{backend} reporting is off: {exc.__class__.__name__}: {exc}"
        self.warnings.append(message)
        log.warning(message)

    def _start_wandb(self) -> Any:
        try:
            import wandb

            os.environ.setdefault("WANDB_MODE", "offline")
            return wandb.init(dir=str(self.run.path), name=self.run.path.name, reinit=True)
        except Exception as exc:  # noqa: BLE001 - any failure of an optional backend must not stop the run
            self._disable("W&B", exc)
            return None

    def _start_tensorboard(self) -> Any:
        try:
            from torch.utils.tensorboard import SummaryWriter

            return SummaryWriter(log_dir=str(self.run.path / "tensorboard"))
        except Exception as exc:  # noqa: BLE001
            self._disable("TensorBoard", exc)
            return None

    def log(self, step: int, **metrics: Any) -> None:
        """Record one step's metrics everywhere that is switched on."""
        self.run.log_metrics(step=step, **metrics)
        numeric = {k: float(v) for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)}
        if self._wandb is not None:
            self._wandb.log(numeric, step=step)
        if self._tb is not None:
            for key, value in numeric.items():
                self._tb.add_scalar(key, value, step)

    def close(self) -> None:
        """Flush and close the optional backends."""
        if self._wandb is not None:
            self._wandb.finish()
        if self._tb is not None:
            self._tb.close()
