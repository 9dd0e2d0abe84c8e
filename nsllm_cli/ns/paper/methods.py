"""Which trainer a paper-recipe `finetune --method` runs: the NS decoder, the bottleneck adapter or LoRA.

All three train on the same questions in the same order (`ns.trainer`); this module only picks the trainer
and passes each the options that are its own.

Example:
    >>> what, summary = train_method(lm, tok, problems, run.artifacts, ns=ns, adapter=None, fingerprint=fp,
    ...                              train_run=path, common={"steps": 100, "batch_size": 8, ...})
    >>> what, describe(what, lora_r=8)
    ('ns', 'the NS decoder')
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nsllm_cli.ns.adapter import BottleneckAdapter
    from nsllm_cli.ns.paper.intervention import NSIntervention
    from nsllm_cli.ns.problems import Problem


def train_method(
    lm: Any,
    tok: Any,
    problems: Sequence[Problem],
    out: Path,
    *,
    ns: NSIntervention | None,
    adapter: BottleneckAdapter | None,
    fingerprint: dict[str, Any],
    train_run: Path | None,
    common: dict[str, Any],
    lr_schedule: str = "paper",
    loss: str = "teacher-forced",
    oracle: bool = False,
    lora_r: int = 8,
    lora_alpha: int = 16,
) -> tuple[str, dict[str, Any]]:
    """Train `ns` if given, else `adapter` if given, else a LoRA; returns ("ns" | "adapter" | "lora", summary).

    Args:
        common: The options every trainer takes (steps, batch_size, lr, seed, shots, complexity,
            checkpoint_every, on_event).
        lr_schedule: ns: "paper" (the x0.5 steps, really applied) or "none" (constant).
        loss: ns: "teacher-forced" or "legacy".
        oracle: ns: recorded in the summary.
        lora_r: LoRA rank.
        lora_alpha: LoRA alpha.
    """
    if ns is not None:
        from nsllm_cli.ns.paper.finetune import finetune_ns

        meta = {"model": fingerprint, "train_run": str(train_run), "oracle": oracle}
        schedule: dict[int, float] | None = {} if lr_schedule == "none" else None
        return "ns", finetune_ns(lm, tok, problems, ns, out, schedule=schedule, loss=loss, meta=meta, **common)
    if adapter is not None:
        from nsllm_cli.ns.adapter import finetune_adapter

        return "adapter", finetune_adapter(lm, tok, problems, adapter, out, meta={"model": fingerprint}, **common)
    from nsllm_cli.ns.lora import finetune_lora

    summary = finetune_lora(lm, tok, problems, out, r=lora_r, alpha=lora_alpha, meta={"model": fingerprint}, **common)
    return "lora", summary


def describe(what: str, *, lora_r: int) -> str:
    """What `train_method` trained, in words."""
    return {"ns": "the NS decoder", "adapter": "the bottleneck adapter", "lora": f"a LoRA adapter (r {lora_r})"}[what]
