"""`finetune` (NS method): train only the decoder inside the frozen model, teacher-forced.

Each optimiser step takes `batch_size` questions in a seeded order (so a resumed run sees exactly
the questions it would have seen), builds prompt + gold answer + end token, runs one forward pass
with the intervention at the last prompt token of layer L, and minimises the mean cross-entropy
over all answer tokens and the end token. The LR schedule multiplies at optimiser steps and is a
real LambdaLR (the original's never fired). Checkpoints are safetensors: decoder + Adam state.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from nsllm_cli.errors import DataError
from nsllm_cli.events import Event, ignore
from nsllm_cli.ns.batches import TFBatch, answer_loss
from nsllm_cli.ns.injection import attach
from nsllm_cli.ns.paper.encdec import lr_factor
from nsllm_cli.ns.paper.intervention import NSIntervention
from nsllm_cli.ns.paper.store import save_ns
from nsllm_cli.ns.problems import Problem, is_unseen
from nsllm_cli.ns.trainer import forward_answers, load_weight_checkpoint, ready, save_weight_checkpoint, train_steps

FT_SCHEDULE: dict[int, float] = {100: 0.5, 500: 0.5, 1000: 0.4, 2000: 0.1, 4000: 0.5, 6000: 0.5, 8000: 0.5}
CHECKPOINT_FORMAT = "nsllm-ns-checkpoint"
LOSSES = ("teacher-forced", "legacy")


def check_training_types(problems: Sequence[Problem], *, allow_unseen: bool) -> list[Problem]:
    """Refuse addition/division rows (held out as unseen) unless explicitly allowed."""
    unseen = [p for p in problems if is_unseen(p.problem_type)]
    if unseen and not allow_unseen:
        raise DataError(
            f"{len(unseen)} training rows are of unseen types (addition/division; first: row "
            f"{unseen[0].row}); they would leak into training. Drop them or pass --allow-unseen-types"
        )
    return list(problems)


def training_problems(
    data: Path | None, *, n_train: int, seed: int, complexity: int, allow_unseen: bool
) -> list[Problem]:
    """The training questions: `data`'s train split (a folder or one CSV) or `n_train` generated ones.

    Raises:
        DataError: unseen types without `allow_unseen` (see `check_training_types`), or no questions.
    """
    from nsllm_cli.ns.dataset import load_splits

    splits = load_splits(data, n_train=n_train, n_val=0, n_test=0, seed=seed, complexity=complexity)
    problems = check_training_types(splits.get("train", []), allow_unseen=allow_unseen)
    if not problems:
        raise DataError(f"no training questions in {data or 'the generator'}")
    return problems


def finetune_ns(
    model: Any,
    tok: Any,
    problems: Sequence[Problem],
    ns: NSIntervention,
    out: Path,
    *,
    steps: int = 1000,
    batch_size: int = 8,
    lr: float = 1e-3,
    schedule: dict[int, float] | None = None,
    seed: int = 0,
    shots: int = 2,
    complexity: int = 2,
    checkpoint_every: int = 50,
    loss: str = "teacher-forced",
    on_event: Event = ignore,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train `ns.decoder`; resumes from `out/checkpoint` when present. Returns a summary.

    `loss` is "teacher-forced" (all answer tokens + the end token) or "legacy" (the paper's:
    free-running greedy steps, gradient through the first only; see :func:`legacy_loss`).
    """
    device = ready(model, problems, module=ns)
    if loss not in LOSSES:
        raise DataError(f"unknown loss {loss!r}: use {' or '.join(LOSSES)}")
    opt = torch.optim.Adam(ns.decoder.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor(FT_SCHEDULE if schedule is None else schedule))
    start_step = _load_checkpoint(out / "checkpoint", ns, opt, sched)

    def loss_fn(items: list[Problem], batch: TFBatch) -> torch.Tensor:
        ns.truth = (
            torch.tensor([p.x for p in items]),
            torch.tensor([p.y for p in items]),
            torch.tensor([p.type_index for p in items]),
        )
        if loss == "legacy":
            return legacy_loss(model, batch, ns, max_new_tokens=complexity + 5)
        logits, labels = forward_answers(model, batch, ns)
        return answer_loss(logits, labels)

    def extra() -> dict[str, float]:
        d, truth = ns.last, ns.truth
        assert d is not None and truth is not None
        ok = (d.x.cpu() == truth[0]) & (d.y.cpu() == truth[1]) & (d.type_idx.cpu() == truth[2])
        return {"gate_rate": float(d.gate.float().mean()), "decoded_ok": float(ok.float().mean())}

    seconds = train_steps(
        tok,
        problems,
        device=device,
        opt=opt,
        start_step=start_step,
        trainable=ns.trainable_parameters(),
        loss_fn=loss_fn,
        save=lambda step: _save_checkpoint(out / "checkpoint", ns, opt, step),
        steps=steps,
        batch_size=batch_size,
        seed=seed,
        shots=shots,
        complexity=complexity,
        checkpoint_every=checkpoint_every,
        on_event=on_event,
        sched=sched,
        extra=extra,
    )
    summary = {
        "steps": steps,
        "trainable_parameters": ns.trainable_parameters(),
        "layer": ns.layer,
        "loss": loss,
        "seconds": round(seconds, 1),
        **(meta or {}),
    }
    save_ns(out / "ns", ns, meta=summary)
    on_event("finish", summary)
    return summary


def legacy_loss(model: Any, batch: TFBatch, ns: Any, *, max_new_tokens: int) -> torch.Tensor:
    """The paper's training signal (`--loss legacy`), for comparison only.

    Greedy free-running generation of up to `max_new_tokens` steps with the intervention on the
    prefill; per item, the CE between each step's logits and the gold answer + end token, over the
    shorter of the two lengths (a generated end token ends an item); mean over items. Only the first
    step carries a gradient: the original detached the KV cache, so later steps are run without
    autograd here.
    """
    p_len = batch.prompt_len
    ids, mask, pos = (t[:, :p_len] for t in (batch.input_ids, batch.attention_mask, batch.position_ids))
    with attach(model, ns, prefill_only=True) as handle:
        handle.position = p_len - 1
        out = model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True, logits_to_keep=1)
    steps = [out.logits[:, -1]]
    past, eos = out.past_key_values, end_token_id_of(batch)
    with torch.no_grad():
        token = steps[0].argmax(-1, keepdim=True)
        finished = token.squeeze(-1) == eos
        lengths = torch.ones_like(finished, dtype=torch.long)
        for k in range(1, max_new_tokens):
            if bool(finished.all()):
                break
            mask = torch.cat([mask, torch.ones_like(token)], dim=1)
            nxt = model(
                input_ids=token, attention_mask=mask, position_ids=pos[:, -1:] + k, past_key_values=past, use_cache=True
            )
            past = nxt.past_key_values
            steps.append(nxt.logits[:, -1])
            token = steps[-1].argmax(-1, keepdim=True)
            lengths = torch.where(finished, lengths, lengths + 1)
            finished = finished | (token.squeeze(-1) == eos)
    losses = []
    for i in range(ids.shape[0]):
        gold = batch.labels[i, p_len - 1 :]
        gold = gold[gold != -100]
        n = min(int(lengths[i]), len(gold))
        item = torch.stack([steps[k][i] for k in range(n)])
        losses.append(torch.nn.functional.cross_entropy(item.float(), gold[:n]))
    return torch.stack(losses).mean()


def end_token_id_of(batch: TFBatch) -> int:
    """The end-of-turn id: the last label of the longest answer in the batch."""
    row = batch.labels[int((batch.labels != -100).sum(-1).argmax())]
    return int(row[row != -100][-1])


def _save_checkpoint(folder: Path, ns: NSIntervention, opt: torch.optim.Optimizer, step: int) -> None:
    save_weight_checkpoint(
        folder, ns.decoder.weight, opt, step, name="decoder", fmt=CHECKPOINT_FORMAT, atoms_sha=ns.vsa.sha256
    )


def _load_checkpoint(folder: Path, ns: NSIntervention, opt: torch.optim.Optimizer, sched: Any) -> int:
    step = load_weight_checkpoint(
        folder, ns.decoder.weight, opt, name="decoder", fmt=CHECKPOINT_FORMAT, atoms_sha=ns.vsa.sha256
    )
    if step == 0:
        return 0
    sched.last_epoch = step  # continue the schedule where it stopped, without replaying steps
    for group, base in zip(opt.param_groups, sched.base_lrs, strict=True):
        group["lr"] = base * sched.lr_lambdas[0](step)
    return step
