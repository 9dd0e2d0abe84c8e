"""`TrainSettings`: everything one steering-model training run needs, in one frozen, documented value.

It replaces a 24-parameter signature: the CLI builds one from its options, tests and scripts build one directly,
and the training steps read what they need from it. Hyper-parameters are not spelled out here: `overrides` changes
the preset's `HParams` fields by name (a None value keeps the preset's), and `resolve_hparams` checks them.

Example:
    >>> s = TrainSettings("sft", "tiny", Path("sft.jsonl"), Path("runs/sft"), overrides={"max_steps": 40})
    >>> (s.preset, s.device, s.checkpoint_dir.as_posix())
    ('cpu', 'auto', 'runs/sft/checkpoints')
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any

from nsllm_cli.steer.training.presets import HParams, Stage, resolve_hparams


@dataclass(frozen=True)
class TrainSettings:
    """The inputs, outputs and choices of one SFT or DPO run of the steering model."""

    stage: Stage
    """"sft" (loss on every assistant turn of `messages`) or "dpo" (`prompt`/`chosen`/`rejected` pairs)."""
    model: str | Path
    """The base model: 'embedded', 'tiny', a local model folder (also `local:<folder>`) or a hub id. For a DPO full
    fine-tune, the SFT run's `model/` folder."""
    dataset: Path
    """The JSONL file (formats in codesteer.md sections 9 and 10)."""
    out_dir: Path
    """The output folder (layout in the package docstring); created if missing."""
    _: KW_ONLY
    preset: str = "cpu"
    """"cpu" (LoRA, default) or "paper" (full fine-tune); see `PRESETS`."""
    overrides: dict[str, Any] = field(default_factory=dict)
    """`HParams` fields by name (peft, lr, epochs, max_steps, batch_size, grad_accum, max_length, beta,
    eval_fraction, lora_r, logging_steps, ...); None values keep the preset's. max_steps > 0 replaces epochs."""
    seed: int = 0
    """Seeds the LoRA init, the eval split and the data order."""
    init_adapter: Path | None = None
    """A peft adapter to continue from (DPO: the SFT run's `adapter/`, or the SFT out_dir). With LoRA DPO the
    reference model is this adapter, frozen."""
    resume: bool = False
    """Continue from the last checkpoint in `<out_dir>/checkpoints` (the report names it); without a checkpoint
    training starts from scratch."""
    merge: bool = True
    """Also write `model/` (the adapter merged into a fresh copy of the base) for lora/qlora."""
    metrics_path: Path | None = None
    """Where metrics records go (None: `<out_dir>/metrics.jsonl`); appended to."""
    model_cache: Path | None = None
    """Where the embedded/tiny models live (None: the settings' cache)."""
    device: str = "auto"
    """"auto", "cpu" or "cuda[:N]"; qlora needs CUDA."""

    @property
    def checkpoint_dir(self) -> Path:
        """Where the trainer writes `checkpoint-<step>/` folders."""
        return self.out_dir / "checkpoints"

    @property
    def metrics_file(self) -> Path:
        """The metrics JSONL this run appends to."""
        return self.metrics_path or self.out_dir / "metrics.jsonl"

    def hparams(self) -> HParams:
        """The preset's hyper-parameters for this stage with `overrides` applied and checked.

        Raises:
            ConfigError: an unknown stage, preset, hyper-parameter name or an out-of-range value.
        """
        return resolve_hparams(self.stage, self.preset, self.overrides)
