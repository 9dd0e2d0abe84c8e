"""`finetune` for the step-wise recipe: train only the writer, teacher-forced, on the reader's own reads.

Each optimiser step takes `batch_size` prompts in a seeded order (a resumed run sees the same ones).
The frozen reader reads each prompt once (cached); the symbolic step computes its result; the loss is
the cross-entropy of the gold answer's tokens and the end token with the step codes written at each
answer position. A prompt the reader gets wrong (or gates shut) carries no loss: the writer learns
code → token, and a misread would teach it a wrong pair. Their share is logged as `read_ok`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from nsllm_cli.events import Event, ignore
from nsllm_cli.ns.batches import TFBatch, answer_ids, answer_loss, build_batch
from nsllm_cli.ns.prompts import answer_text, render_prompt
from nsllm_cli.ns.steps.model import StepDecoded, StepwiseNS
from nsllm_cli.ns.steps.read_data import ReadItem
from nsllm_cli.ns.steps.store import save_stepwise
from nsllm_cli.ns.trainer import (
    end_step,
    forward_answers,
    load_weight_checkpoint,
    ready,
    save_weight_checkpoint,
    step_indices,
)
from nsllm_cli.stopping import deferred_stop

CHECKPOINT_FORMAT = "nsllm-ns-steps-checkpoint"


def read_items(model: Any, tok: Any, ns: StepwiseNS, items: Sequence[ReadItem]) -> StepDecoded:
    """The reader's decision for each item, from one prefill up to the highest read layer."""
    from nsllm_cli.ns.prefill import prefill_states
    from nsllm_cli.ns.steps.spans import query_start

    prompts = [render_prompt(tok, it.messages) for it in items]
    states, own = prefill_states(model, tok, prompts, ns.read_layers)
    feats, spans = [], []
    for i, ids in enumerate(own):
        pad = states[ns.read_layers[0]].shape[1] - len(ids)
        start = query_start(ids, ns.header)
        feats.append(torch.cat([states[layer][i, pad + start :] for layer in ns.read_layers], dim=-1))
        spans.append(torch.tensor(ids[start:]))
    return ns.decide(feats, spans)


def teacher_forced(model: Any, batch: TFBatch, ns: StepwiseNS, decided: StepDecoded) -> torch.Tensor:
    """Logits at the answer positions with the writes of `decided`; with the read given, the prompt prefix runs
    once without autograd (`steps.forward_answers`)."""
    ns.forced = decided
    try:
        logits, _ = forward_answers(model, batch, ns)
    finally:
        ns.forced = None
    return logits


def finetune_stepwise(
    model: Any,
    tok: Any,
    items: Sequence[ReadItem],
    ns: StepwiseNS,
    out: Path,
    *,
    steps: int = 300,
    batch_size: int = 8,
    lr: float = 1e-2,
    seed: int = 0,
    checkpoint_every: int = 50,
    on_event: Event = ignore,
    meta: dict[str, Any] | None = None,
    stop: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Train `ns.writer`; resumes from `out/checkpoint`. Returns a summary (also saved with the model)."""
    import time

    device = ready(model, items, module=ns)
    opt = torch.optim.Adam(ns.writer.parameters(), lr=lr)
    start = _load_checkpoint(out / "checkpoint", ns, opt)
    on_event("start", {"steps": steps, "start_step": start, "trainable": ns.trainable_parameters()})
    cache: dict[int, tuple[Any, ...]] = {}
    t0 = time.perf_counter()
    step = start
    with deferred_stop() as signalled:
        for step in range(start, steps):
            if stop is not None and stop():
                break
            index = step_indices(len(items), step, batch_size, seed)
            todo = [i for i in index if i not in cache]
            if todo:
                chosen = [items[i] for i in todo]
                read = (
                    ns.truth([(str(it.problem_type), int(it.x or 0), int(it.y or 0), it.modulus) for it in chosen])
                    if ns.oracle
                    else read_items(model, tok, ns, chosen)
                )
                for k, i in enumerate(todo):
                    cache[i] = tuple(v[k] for v in (read.type_idx, read.score, read.x, read.y, read.result, read.gate))
            parts = [cache[i] for i in index]
            type_idx, score, x, y, result, gate = (torch.stack([p[j] for p in parts]) for j in range(6))
            decided = StepDecoded(type_idx, score, x, y, result, gate)
            ok = torch.tensor(
                [bool(decided.gate[k]) and int(decided.result[k]) == items[i].solution for k, i in enumerate(index)]
            )
            pairs = [answer_ids(tok, items[i].messages, answer_text(int(items[i].solution or 0))) for i in index]
            batch = build_batch(tok, pairs).to(device)
            logits = teacher_forced(model, batch, ns, decided)
            labels = batch.labels[:, batch.prompt_len - 1 : batch.input_ids.shape[1] - 1].clone()
            if not bool(ok.any()):
                continue
            loss = answer_loss(logits[ok.to(logits.device)], labels[ok.to(labels.device)])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            done = step + 1 - start
            elapsed = time.perf_counter() - t0
            record = {
                "step": step + 1,
                "total_steps": steps,
                "loss": loss.item(),
                "lr": lr,
                "read_ok": float(ok.float().mean()),
                "gate_rate": float(decided.gate.float().mean()),
                "write_norm": ns.writer.decoder.weight.norm().item(),
                "steps_per_s": done / elapsed,
                "remaining_s": (steps - step - 1) * elapsed / done,
            }
            on_event("step", record)
            end_step(
                step + 1,
                steps=steps,
                checkpoint_every=checkpoint_every,
                stop=signalled,
                save=lambda done: _save_checkpoint(out / "checkpoint", ns, opt, done),
            )
    summary = {
        "steps": steps,
        "trainable_parameters": ns.trainable_parameters(),
        "layer": ns.layer,
        "read_layers": ns.read_layers,
        "recipe": "steps",
        "seconds": round(time.perf_counter() - t0, 1),
        **(meta or {}),
    }
    save_stepwise(out / "ns", ns, meta=summary)
    on_event("finish", summary)
    return summary


def _save_checkpoint(folder: Path, ns: StepwiseNS, opt: torch.optim.Optimizer, step: int) -> None:
    weight = ns.writer.decoder.weight
    save_weight_checkpoint(folder, weight, opt, step, name="writer", fmt=CHECKPOINT_FORMAT, atoms_sha=ns.vsa.sha256)


def _load_checkpoint(folder: Path, ns: StepwiseNS, opt: torch.optim.Optimizer) -> int:
    weight = ns.writer.decoder.weight
    return load_weight_checkpoint(folder, weight, opt, name="writer", fmt=CHECKPOINT_FORMAT, atoms_sha=ns.vsa.sha256)
