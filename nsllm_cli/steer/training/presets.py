"""Hyper-parameters of a steering-model training stage and the named presets (codesteer.md section 11).

A preset gives one `HParams` per stage; `resolve_hparams` applies a caller's overrides by field name and checks the
result, so a typo or an out-of-range value is a one-line `ConfigError` before anything heavy is loaded.

- `paper`: the original LLaMA-Factory run. SFT: full fine-tune, lr 1e-5, cosine, warmup 0.1, 12 epochs,
  batch 1 x grad-accum 2 per GPU (x 4 GPUs = 8), max length 7024, bf16 on GPUs, activation (gradient) checkpointing.
  DPO (not published; loss, beta and lr of the vendored generic example): full fine-tune of the SFT model, sigmoid,
  beta 0.1, lr 5e-6, 3 epochs, batch 1 x 8, max length 7024 (DPO prompts are kept up to 7000 tokens).
- `cpu` (default): PEFT LoRA r 16, alpha 32, dropout 0.05 on all linear layers, fp32. SFT: lr 2e-4, cosine,
  warmup 0.1, 3 epochs, batch 1 x grad-accum 8, max length 4096. DPO: lr 5e-6, sigmoid, beta 0.1, 3 epochs.
Both: 10% of the records for evaluation, evaluate and save every 200 steps, log every 20.

`ZERO3_CONFIG` (`nsllm_cli/steer/zero3.json`) is the ZeRO-3 configuration of the original run (LLaMA-Factory's
ds_z3_config): its "auto" values (batch, accumulation, clipping, bf16) are filled in by the Trainer from these
hyper-parameters. Pass it as the `deepspeed` hyper-parameter (`{"deepspeed": str(ZERO3_CONFIG)}`) or to
`accelerate launch --use_deepspeed --deepspeed_config_file`.

Example:
    >>> hp = resolve_hparams("dpo", "paper", {"peft": "lora", "lr": None, "lora_r": 8})
    >>> (hp.peft, hp.lr, hp.lora_r, hp.beta)
    ('lora', 5e-06, 8, 0.1)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from nsllm_cli.errors import ConfigError

Stage = Literal["sft", "dpo"]
PeftMode = Literal["lora", "qlora", "full"]

STAGES = ("sft", "dpo")
PEFT_MODES = ("lora", "qlora", "full")
ZERO3_CONFIG = Path(__file__).parent.parent / "zero3.json"


@dataclass(frozen=True)
class HParams:
    """Hyper-parameters of one training stage (codesteer.md section 11)."""

    peft: PeftMode
    """full (every weight), lora, or qlora (LoRA on a 4-bit nf4 base; needs a CUDA GPU)."""
    lr: float
    """Peak learning rate (AdamW)."""
    epochs: float
    """Passes over the training records (ignored when max_steps > 0)."""
    batch_size: int
    """Records per device per forward pass."""
    grad_accum: int
    """Forward passes per optimiser step."""
    max_length: int
    """Tokens per sequence; longer ones are cut at the end (counted in the report)."""
    scheduler: str = "cosine"
    """transformers lr scheduler name."""
    warmup_ratio: float = 0.1
    """Share of the optimiser steps with a linear warm-up."""
    max_steps: int = -1
    """Optimiser steps; -1 trains for `epochs`."""
    beta: float = 0.1
    """DPO: strength of the KL penalty towards the reference model."""
    loss_type: str = "sigmoid"
    """DPO: trl loss type."""
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_targets: str = "all-linear"
    """peft target_modules: 'all-linear' or comma-separated module names (q_proj,v_proj)."""
    eval_fraction: float = 0.1
    """Share of the records held out for evaluation (0: none; needs at least 1 record out of 1/fraction)."""
    eval_steps: int = 200
    save_steps: int = 200
    logging_steps: int = 20
    save_total_limit: int | None = 2
    """Checkpoints kept (None: all)."""
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    activation_checkpointing: bool = False
    """Recompute activations in the backward pass (less memory, about 20% slower); formerly gradient_checkpointing."""
    bf16: bool | None = None
    """None: bf16 on a GPU that supports it, fp32 elsewhere (bf16 is 3-5x slower on CPUs)."""
    deepspeed: str | None = None
    """A DeepSpeed config file for the HF Trainer (for example `ZERO3_CONFIG`), or None."""


PRESETS: dict[str, dict[str, HParams]] = {
    "paper": {
        "sft": HParams(
            peft="full", lr=1e-5, epochs=12, batch_size=1, grad_accum=2, max_length=7024, activation_checkpointing=True
        ),
        "dpo": HParams(
            peft="full", lr=5e-6, epochs=3, batch_size=1, grad_accum=8, max_length=7024, activation_checkpointing=True
        ),
    },
    "cpu": {
        "sft": HParams(peft="lora", lr=2e-4, epochs=3, batch_size=1, grad_accum=8, max_length=4096),
        "dpo": HParams(peft="lora", lr=5e-6, epochs=3, batch_size=1, grad_accum=8, max_length=4096),
    },
}
"""Hyper-parameter presets per stage; `describe_presets()` gives them as plain dicts."""

PRESET_NOTES = {
    "paper": "the original LLaMA-Factory run on 4xH100 (full fine-tune, DeepSpeed ZeRO-3, bf16); "
    "the batch is per GPU. Its DPO recipe was not published: sigmoid, beta 0.1, lr 5e-6 from the vendored example.",
    "cpu": "nsllm's default for the embedded 135M model on a CPU: PEFT LoRA r 16, alpha 32, all linear layers, fp32.",
}


def describe_presets() -> dict[str, dict[str, Any]]:
    """The presets as JSON-able dicts: `{preset: {"note": ..., "sft": {...}, "dpo": {...}}}`."""
    return {
        name: {"note": PRESET_NOTES[name], **{stage: asdict(hp) for stage, hp in stages.items()}}
        for name, stages in PRESETS.items()
    }


def resolve_hparams(stage: str, preset: str = "cpu", overrides: dict[str, Any] | None = None) -> HParams:
    """The preset's hyper-parameters for `stage` with `overrides` (None values ignored) applied and checked.

    Raises:
        ConfigError: an unknown stage, preset, hyper-parameter name or an out-of-range value.
    """
    if stage not in STAGES:
        raise ConfigError(f"unknown training stage {stage!r}: use sft or dpo")
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}: use {' or '.join(PRESETS)}")
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    known = {f.name for f in fields(HParams)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ConfigError(f"unknown hyper-parameter(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    hp = replace(PRESETS[preset][stage], **given)
    problems = []
    if hp.peft not in PEFT_MODES:
        problems.append(f"peft={hp.peft!r} (use lora, qlora or full)")
    for name in ("lr", "batch_size", "grad_accum", "max_length", "logging_steps", "save_steps", "eval_steps"):
        if not getattr(hp, name) > 0:
            problems.append(f"{name}={getattr(hp, name)} (must be > 0)")
    if hp.max_steps <= 0 and not hp.epochs > 0:
        problems.append(f"epochs={hp.epochs} (must be > 0 when max_steps is not set)")
    if not 0 <= hp.eval_fraction < 1:
        problems.append(f"eval_fraction={hp.eval_fraction} (must be in [0, 1))")
    if not 0 <= hp.warmup_ratio < 1:
        problems.append(f"warmup_ratio={hp.warmup_ratio} (must be in [0, 1))")
    if problems:
        raise ConfigError("invalid training setting: " + "; ".join(problems))
    return hp
