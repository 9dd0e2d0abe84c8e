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

from nsllm_cli.artifacts import load_artifact, save_artifact
from nsllm_cli.errors import DataError
from nsllm_cli.events import Event, ignore
from nsllm_cli.ns.batches import TFBatch, answer_ids, answer_loss, build_batch
from nsllm_cli.ns.encdec import lr_factor
from nsllm_cli.ns.intervention import NSIntervention, attach, is_unseen
from nsllm_cli.ns.problems import Problem
from nsllm_cli.ns.prompts import answer_text, ns_messages

FT_SCHEDULE: dict[int, float] = {100: 0.5, 500: 0.5, 1000: 0.4, 2000: 0.1, 4000: 0.5, 6000: 0.5, 8000: 0.5}
CHECKPOINT_FORMAT = "nsllm-ns-checkpoint"
NS_FORMAT = "nsllm-ns"
LOSSES = ("teacher-forced", "legacy")


def step_items(problems: Sequence[Problem], step: int, batch_size: int, seed: int) -> list[Problem]:
    """The questions of optimiser step `step`: epochs of seeded permutations, a pure function of step."""
    n = len(problems)
    out = []
    for k in range(step * batch_size, (step + 1) * batch_size):
        epoch, i = divmod(k, n)
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch))
        out.append(problems[int(perm[i])])
    return out


class StepBatches:
    """The teacher-forced batch of an optimiser step, shared by every method so that all see the same data."""

    def __init__(
        self, tok: Any, problems: Sequence[Problem], *, batch_size: int, seed: int, shots: int, complexity: int
    ) -> None:
        self.tok, self.problems, self.batch_size = tok, problems, batch_size
        self.seed, self.shots, self.complexity = seed, shots, complexity
        self._ids: dict[tuple[str, int, int, int], tuple[list[int], list[int]]] = {}

    def __call__(self, step: int, device: torch.device) -> tuple[list[Problem], TFBatch]:
        """The step's questions and their batch on `device` (token ids are cached per question)."""
        items = step_items(self.problems, step, self.batch_size, self.seed)
        for p in items:
            key = (p.problem_type, p.x, p.y, p.row)
            if key not in self._ids:
                messages = ns_messages(p, seed=self.seed, complexity=self.complexity, shots=self.shots)
                self._ids[key] = answer_ids(self.tok, messages, answer_text(p.solution))
        pairs = [self._ids[(p.problem_type, p.x, p.y, p.row)] for p in items]
        return items, build_batch(self.tok, pairs).to(device)


def check_training_types(problems: Sequence[Problem], *, allow_unseen: bool) -> list[Problem]:
    """Refuse addition/division rows (held out as unseen) unless explicitly allowed."""
    unseen = [p for p in problems if is_unseen(p.problem_type)]
    if unseen and not allow_unseen:
        raise DataError(
            f"{len(unseen)} training rows are of unseen types (addition/division; first: row "
            f"{unseen[0].row}); they would leak into training. Drop them or pass --allow-unseen-types"
        )
    return list(problems)


def freeze(model: torch.nn.Module) -> None:
    """No parameter of the LLM trains."""
    for p in model.parameters():
        p.requires_grad_(False)
    model.eval()


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
    if not problems:
        raise DataError("no training questions")
    if loss not in LOSSES:
        raise DataError(f"unknown loss {loss!r}: use {' or '.join(LOSSES)}")
    freeze(model)
    device = next(model.parameters()).device
    ns.to(device)
    opt = torch.optim.Adam(ns.decoder.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor(FT_SCHEDULE if schedule is None else schedule))
    start_step = _load_checkpoint(out / "checkpoint", ns, opt, sched)
    on_event("start", {"steps": steps, "start_step": start_step, "trainable": ns.trainable_parameters()})
    from nsllm_cli.ns.loop import run_steps

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

    seconds = run_steps(
        batches=StepBatches(tok, problems, batch_size=batch_size, seed=seed, shots=shots, complexity=complexity),
        device=device,
        steps=steps,
        start_step=start_step,
        loss_fn=loss_fn,
        opt=opt,
        sched=sched,
        extra=extra,
        save=lambda step: _save_checkpoint(out / "checkpoint", ns, opt, step),
        checkpoint_every=checkpoint_every,
        on_event=on_event,
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


def forward_answers(
    model: Any, batch: TFBatch, ns: Any | None, *, prefix_cache: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits and labels at the answer positions only, with the intervention at the last prompt token.

    Every item's answer occupies the same positions (prompts left-padded to P), so the vocabulary
    head runs on those A positions instead of all P + A (`logits_to_keep`). With an intervention,
    nothing before the last prompt token depends on it, at any layer: with `prefix_cache`, the first
    P - 1 tokens run once without autograd into a KV cache, and only the last prompt token and the
    answer (A + 1 tokens) run with gradients. Same loss, same gradients, a fraction of the work.
    """
    p_len, total = batch.prompt_len, batch.input_ids.shape[1]
    keep = torch.arange(p_len - 1, total - 1, device=batch.input_ids.device)
    labels = batch.labels[:, keep]
    if ns is None:
        return model(**batch.model_inputs(), logits_to_keep=keep).logits, labels
    if getattr(ns, "stepwise", False) and ns.forced is None:  # its reader needs the whole prompt in this pass
        prefix_cache = False
    if not prefix_cache or p_len < 2:
        with attach(model, ns, prefill_only=True) as handle:
            handle.position = p_len - 1
            return model(**batch.model_inputs(), logits_to_keep=keep).logits, labels
    ids, mask, pos = batch.input_ids, batch.attention_mask, batch.position_ids
    with torch.no_grad():
        past = model(
            input_ids=ids[:, : p_len - 1],
            attention_mask=mask[:, : p_len - 1],
            position_ids=pos[:, : p_len - 1],
            use_cache=True,
            logits_to_keep=1,
        ).past_key_values
    with attach(model, ns, prefill_only=True) as handle:
        handle.position = 0  # the last prompt token is the suffix's first
        logits = model(
            input_ids=ids[:, p_len - 1 :],
            attention_mask=mask,
            position_ids=pos[:, p_len - 1 :],
            past_key_values=past,
            use_cache=True,
            logits_to_keep=keep - (p_len - 1),
        ).logits
    return logits, labels


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


def save_ns(folder: Path, ns: NSIntervention, *, meta: dict[str, Any]) -> None:
    """Everything the NS model needs beside the LLM: atoms, encoder, trained decoder, gate and mix."""
    atoms_sha = ns.vsa.save(folder / "vsa_atoms")
    save_artifact(
        folder,
        {"encoder": ns.enc_weight, "decoder": ns.decoder.weight.detach()},
        fmt=NS_FORMAT,
        meta={
            **meta,
            "layer": ns.layer,
            "gate": ns.gate_threshold,
            "mix": ns.mix,
            "complexity": ns.complexity,
            "inject": ns.inject,
            "oracle": ns.oracle,
            "read_layers": ns.read_layers,
        },
        depends_on={"vsa_atoms": atoms_sha},
    )


def load_ns(folder: Path, **overrides: Any) -> tuple[Any, dict[str, Any]]:
    """Rebuild the NS model saved in `folder`: a `StepwiseNS` (recipe steps) or an `NSIntervention` (paper).

    Refuses atoms with another checksum.
    """
    from nsllm_cli.ns.stepwise_store import is_stepwise, load_stepwise
    from nsllm_cli.ns.vsa import VSA

    if is_stepwise(folder):
        return load_stepwise(folder, **{k: v for k, v in overrides.items() if k == "gate"})

    vsa = VSA.load(folder / "vsa_atoms")
    tensors, manifest = load_artifact(folder, fmt=NS_FORMAT, expect_depends_on={"vsa_atoms": vsa.sha256})
    meta = manifest["meta"]
    options = {
        "gate": meta["gate"],
        "mix": meta["mix"],
        "complexity": meta["complexity"],
        "inject": meta.get("inject", "last"),
        "oracle": bool(meta.get("oracle", False)),
        "read_layers": meta.get("read_layers"),
        **overrides,
    }
    ns = NSIntervention(vsa, tensors["encoder"], tensors["decoder"], layer=int(meta["layer"]), **options)
    return ns, manifest


def _save_checkpoint(folder: Path, ns: NSIntervention, opt: torch.optim.Optimizer, step: int) -> None:
    state = opt.state[ns.decoder.weight]
    tensors = {"decoder": ns.decoder.weight.detach()}
    if state:
        tensors |= {"exp_avg": state["exp_avg"], "exp_avg_sq": state["exp_avg_sq"]}
    save_artifact(folder, tensors, fmt=CHECKPOINT_FORMAT, meta={"step": step}, depends_on={"vsa_atoms": ns.vsa.sha256})


def _load_checkpoint(folder: Path, ns: NSIntervention, opt: torch.optim.Optimizer, sched: Any) -> int:
    if not (folder / "manifest.json").exists():
        return 0
    tensors, manifest = load_artifact(folder, fmt=CHECKPOINT_FORMAT, expect_depends_on={"vsa_atoms": ns.vsa.sha256})
    step = int(manifest["meta"]["step"])
    with torch.no_grad():
        ns.decoder.weight.copy_(tensors["decoder"])
    if "exp_avg" in tensors:
        dev = ns.decoder.weight.device
        opt.state[ns.decoder.weight] = {
            "step": torch.tensor(float(step)),
            "exp_avg": tensors["exp_avg"].to(dev),
            "exp_avg_sq": tensors["exp_avg_sq"].to(dev),
        }
    sched.last_epoch = step  # continue the schedule where it stopped, without replaying steps
    for group, base in zip(opt.param_groups, sched.base_lrs, strict=True):
        group["lr"] = base * sched.lr_lambdas[0](step)
    return step
