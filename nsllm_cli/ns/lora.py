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

from nsllm_cli.artifacts import load_artifact, save_artifact
from nsllm_cli.errors import DataError
from nsllm_cli.events import Event, ignore
from nsllm_cli.ns.batches import answer_loss
from nsllm_cli.ns.finetune import StepBatches, forward_answers, freeze
from nsllm_cli.ns.loop import run_steps
from nsllm_cli.ns.problems import Problem

TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj")
OPTIMIZER_FORMAT = "nsllm-lora-optimizer"


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
    if not problems:
        raise DataError("no training questions")
    torch.manual_seed(seed)  # LoRA's A matrices are initialised randomly
    ckpt = out / "checkpoint"
    peft_model = wrap_lora(model, r=r, alpha=alpha, dropout=dropout, adapter=ckpt if ckpt.is_dir() else None)
    peft_model.train()  # dropout on the adapter only; the frozen base has no dropout of its own
    named = [(n, p) for n, p in peft_model.named_parameters() if p.requires_grad]
    opt = torch.optim.AdamW([p for _, p in named], lr=lr)
    start_step = _load_optimizer(ckpt, opt, named)
    trainable = sum(p.numel() for _, p in named)
    on_event("start", {"steps": steps, "start_step": start_step, "trainable": trainable})
    device = next(peft_model.parameters()).device

    def save(step: int) -> None:
        peft_model.save_pretrained(str(ckpt))
        _save_optimizer(ckpt, opt, named, step)

    seconds = run_steps(
        batches=StepBatches(tok, problems, batch_size=batch_size, seed=seed, shots=shots, complexity=complexity),
        device=device,
        steps=steps,
        start_step=start_step,
        loss_fn=lambda items, batch: answer_loss(*forward_answers(peft_model, batch, None)),
        opt=opt,
        save=save,
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


def _save_optimizer(
    folder: Path, opt: torch.optim.Optimizer, named: list[tuple[str, torch.nn.Parameter]], step: int
) -> None:
    tensors: dict[str, torch.Tensor] = {}
    for name, p in named:
        state = opt.state.get(p)
        if state:
            tensors[f"{name}.exp_avg"] = state["exp_avg"]
            tensors[f"{name}.exp_avg_sq"] = state["exp_avg_sq"]
    save_artifact(folder / "optimizer", tensors, fmt=OPTIMIZER_FORMAT, meta={"step": step})


def _load_optimizer(folder: Path, opt: torch.optim.Optimizer, named: list[tuple[str, torch.nn.Parameter]]) -> int:
    if not (folder / "optimizer" / "manifest.json").is_file():
        return 0
    tensors, manifest = load_artifact(folder / "optimizer", fmt=OPTIMIZER_FORMAT)
    step = int(manifest["meta"]["step"])
    for name, p in named:
        if f"{name}.exp_avg" in tensors:
            opt.state[p] = {
                "step": torch.tensor(float(step)),
                "exp_avg": tensors[f"{name}.exp_avg"].to(p.device),
                "exp_avg_sq": tensors[f"{name}.exp_avg_sq"].to(p.device),
            }
    return step
