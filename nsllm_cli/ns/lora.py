"""The PEFT LoRA baseline: same prompts, data order, steps and teacher-forced loss as the NS method.

Defaults follow spec section 9: r 8, alpha 16, dropout 0.05 on the q/k/v/o projections, AdamW at
2e-4. The adapter is saved by peft (safetensors); checkpoints add the AdamW state so a killed run
resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from nsllm_cli.events import Event, ignore
from nsllm_cli.ns.batches import answer_loss
from nsllm_cli.ns.problems import Problem
from nsllm_cli.ns.trainer import forward_answers, freeze, load_optimizer, ready, save_optimizer, train_steps

TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj")


def wrap_lora(model: Any, *, r: int = 8, alpha: int = 16, dropout: float = 0.05, adapter: Path | None = None) -> Any:
    """A peft model: a fresh LoRA (trainable), or the adapter saved in `adapter` (trainable too)."""
    from peft import LoraConfig, PeftModel, get_peft_model

    freeze(model)
    if adapter is not None and (adapter / "adapter_config.json").is_file():
        return PeftModel.from_pretrained(model, str(adapter), is_trainable=True)
    config = LoraConfig(
        r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=list(TARGETS), task_type="CAUSAL_LM", bias="none"
    )
    return get_peft_model(model, config)


def finetune_lora(
    model: Any,
    tok: Any,
    problems: Sequence[Problem],
    out: Path,
    *,
    steps: int = 1000,
    batch_size: int = 8,
    lr: float = 2e-4,
    r: int = 8,
    alpha: int = 16,
    dropout: float = 0.05,
    seed: int = 0,
    shots: int = 2,
    complexity: int = 2,
    checkpoint_every: int = 50,
    on_event: Event = ignore,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train a LoRA adapter; resumes from `out/checkpoint` when present. Returns a summary."""
    ready(model, problems)
    torch.manual_seed(seed)  # LoRA's A matrices are initialised randomly
    ckpt = out / "checkpoint"
    peft_model = wrap_lora(model, r=r, alpha=alpha, dropout=dropout, adapter=ckpt if ckpt.is_dir() else None)
    peft_model.train()  # dropout on the adapter only; the frozen base has no dropout of its own
    named = [(n, p) for n, p in peft_model.named_parameters() if p.requires_grad]
    opt = torch.optim.AdamW([p for _, p in named], lr=lr)
    start_step = load_optimizer(ckpt, opt, named)
    trainable = sum(p.numel() for _, p in named)

    def save(step: int) -> None:
        peft_model.save_pretrained(str(ckpt))
        save_optimizer(ckpt, opt, named, step)

    seconds = train_steps(
        tok,
        problems,
        device=next(peft_model.parameters()).device,
        opt=opt,
        start_step=start_step,
        trainable=trainable,
        loss_fn=lambda items, batch: answer_loss(*forward_answers(peft_model, batch, None)),
        save=save,
        steps=steps,
        batch_size=batch_size,
        seed=seed,
        shots=shots,
        complexity=complexity,
        checkpoint_every=checkpoint_every,
        on_event=on_event,
    )
    peft_model.save_pretrained(str(out / "lora"))
    peft_model.eval()
    summary = {
        "method": "lora",
        "steps": steps,
        "trainable_parameters": trainable,
        "r": r,
        "alpha": alpha,
        "seconds": round(seconds, 1),
        **(meta or {}),
    }
    on_event("finish", summary)
    return summary


def load_lora(model: Any, adapter: Path) -> Any:
    """The base model with a trained adapter, for evaluation."""
    from peft import PeftModel

    freeze(model)
    return PeftModel.from_pretrained(model, str(adapter)).eval()
