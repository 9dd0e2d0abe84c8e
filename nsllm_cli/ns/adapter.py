"""The paper's bottleneck baseline (called "LoRA" there): h <- (1 - w) B(A(h)) + w h at the NS position.

Fresh bias-free `A: d -> 2048` and `B: 2048 -> d`, both trainable, at the same layer, position,
prefill-only rule, mix weight, loss, data and optimiser as the NS method, but with no gate and no
symbolic step. `init_from` reuses a trained encoder/decoder pair instead of a fresh init.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nsllm_cli.artifacts import load_artifact, save_artifact
from nsllm_cli.events import Event, ignore
from nsllm_cli.ns.batches import answer_loss
from nsllm_cli.ns.problems import Problem
from nsllm_cli.ns.trainer import forward_answers, load_optimizer, ready, save_optimizer, train_steps

ADAPTER_FORMAT = "nsllm-adapter"


class BottleneckAdapter(nn.Module):
    """Down- and up-projection mixed into the residual stream at one position of one layer."""

    def __init__(
        self,
        d_model: int,
        *,
        layer: int,
        width: int = 2048,
        mix: float = 0.5,
        seed: int = 0,
        init_from: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> None:
        super().__init__()
        self.layer, self.mix = layer, mix
        self.down = nn.Linear(d_model, width, bias=False)
        self.up = nn.Linear(width, d_model, bias=False)
        with torch.no_grad():
            if init_from is not None:
                self.down.weight.copy_(init_from[0])
                self.up.weight.copy_(init_from[1])
            else:
                gen = torch.Generator().manual_seed(seed)
                for lin in (self.down, self.up):
                    bound = 1 / math.sqrt(lin.in_features)  # nn.Linear's default, but seeded
                    lin.weight.copy_((torch.rand(lin.weight.shape, generator=gen) * 2 - 1) * bound)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = (1 - self.mix) * self.up(self.down(h.to(self.down.weight.dtype))).to(h.dtype)
        return out + self.mix * h

    def hook_fn(self, hidden: torch.Tensor, ctx: Any) -> torch.Tensor:
        """For `hooks.intervene`: replace position `ctx.position` (default: last), never in place."""
        position = getattr(ctx, "position", None)
        p = (-1 if position is None else int(position)) % hidden.shape[1]
        return torch.cat([hidden[:, :p], self(hidden[:, p]).unsqueeze(1), hidden[:, p + 1 :]], dim=1)

    def trainable_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def finetune_adapter(
    model: Any,
    tok: Any,
    problems: Sequence[Problem],
    adapter: BottleneckAdapter,
    out: Path,
    *,
    steps: int = 1000,
    batch_size: int = 8,
    lr: float = 1e-3,
    seed: int = 0,
    shots: int = 2,
    complexity: int = 2,
    checkpoint_every: int = 50,
    on_event: Event = ignore,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train both projections (Adam); resumes from `out/checkpoint`. Returns a summary."""
    device = ready(model, problems, module=adapter)
    named = list(adapter.named_parameters())
    opt = torch.optim.Adam([p for _, p in named], lr=lr)
    ckpt = out / "checkpoint"
    start_step = 0
    if (ckpt / "manifest.json").is_file():
        tensors, manifest = load_artifact(ckpt, fmt=ADAPTER_FORMAT)
        adapter.load_state_dict({k: v.to(device) for k, v in tensors.items()})
        start_step = load_optimizer(ckpt, opt, named)

    def save(step: int) -> None:
        save_adapter(ckpt, adapter, meta={})
        save_optimizer(ckpt, opt, named, step)

    seconds = train_steps(
        tok,
        problems,
        device=device,
        opt=opt,
        start_step=start_step,
        trainable=adapter.trainable_parameters(),
        loss_fn=lambda items, batch: answer_loss(*forward_answers(model, batch, adapter)),
        save=save,
        steps=steps,
        batch_size=batch_size,
        seed=seed,
        shots=shots,
        complexity=complexity,
        checkpoint_every=checkpoint_every,
        on_event=on_event,
    )
    summary = {
        "method": "adapter",
        "steps": steps,
        "trainable_parameters": adapter.trainable_parameters(),
        "layer": adapter.layer,
        "seconds": round(seconds, 1),
        **(meta or {}),
    }
    save_adapter(out / "adapter", adapter, meta=summary)
    on_event("finish", summary)
    return summary


def save_adapter(folder: Path, adapter: BottleneckAdapter, *, meta: dict[str, Any]) -> None:
    """Weights + manifest (layer, mix, width)."""
    save_artifact(
        folder,
        {k: v.detach() for k, v in adapter.state_dict().items()},
        fmt=ADAPTER_FORMAT,
        meta={**meta, "layer": adapter.layer, "mix": adapter.mix, "width": adapter.down.out_features},
    )


def load_adapter(folder: Path) -> BottleneckAdapter:
    """A trained adapter saved by :func:`save_adapter`."""
    tensors, manifest = load_artifact(folder, fmt=ADAPTER_FORMAT)
    meta = manifest["meta"]
    d_model = int(tensors["down.weight"].shape[1])
    adapter = BottleneckAdapter(d_model, layer=int(meta["layer"]), width=int(meta["width"]), mix=float(meta["mix"]))
    adapter.load_state_dict(tensors)
    return adapter.eval()
