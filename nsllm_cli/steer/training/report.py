"""`TrainReport`: what a steering-model training run did and where its outputs are.

The trainer, its metrics callback and the save step fill it in as the run goes; the CLI prints it and writes
`report.to_dict()` to the run folder's results.

Example:
    >>> report = train_steerer(TrainSettings("sft", "tiny", Path("sft.jsonl"), Path("out")))  # doctest: +SKIP
    >>> report.steer_spec  # doctest: +SKIP
    'local:out/model'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nsllm_cli.steer.training.presets import HParams, PeftMode, Stage


@dataclass
class TrainReport:
    """What a training run did and where its outputs are."""

    stage: Stage
    peft: PeftMode
    out_dir: Path
    model_dir: Path | None
    """Full safetensors model + tokenizer (merged adapter or full fine-tune); None when not written."""
    adapter_dir: Path | None
    """The peft adapter (lora/qlora)."""
    manifest_path: Path | None
    metrics_path: Path
    hparams: HParams
    global_step: int = 0
    total_steps: int = 0
    epoch: float = 0.0
    first_loss: float | None = None
    """First training loss logged by this process (after a resume: the first one after it)."""
    last_loss: float | None = None
    train_loss: float | None = None
    """The trainer's mean training loss over this process's steps."""
    eval_loss: float | None = None
    resumed_from: Path | None = None
    """The checkpoint training continued from (resume=True), or None."""
    n_records: int = 0
    n_train: int = 0
    n_eval: int = 0
    bad_lines: list[tuple[int, str]] = field(default_factory=list)
    n_truncated: int = 0
    """Training sequences longer than max_length (cut)."""
    n_dropped: int = 0
    """Training records with nothing left to learn after truncation (dropped by trl)."""
    seconds: float = 0.0
    stopped: bool = False
    """Stopped early by the `stop` event: a checkpoint was saved, no adapter/model was written."""

    @property
    def steer_spec(self) -> str | None:
        """The `--steer-llm` value that serves the trained model, e.g. `local:runs/x/model`."""
        return f"local:{self.model_dir}" if self.model_dir is not None else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (paths as strings)."""
        data = asdict(self)
        for key in ("out_dir", "model_dir", "adapter_dir", "manifest_path", "metrics_path", "resumed_from"):
            data[key] = None if data[key] is None else str(data[key])
        data["bad_lines"] = [list(b) for b in self.bad_lines]
        data["steer_spec"] = self.steer_spec
        return data


def optional_float(value: Any) -> float | None:
    """A trainer log or metric value as a float, None staying None."""
    return None if value is None else float(value)
