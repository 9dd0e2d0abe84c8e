"""What every step-trained method shares: the data order, the batches, the frozen model, the forward over the
answers, the optimiser-step loop and the optimiser state in checkpoints.

The NS decoder (`ns.paper.finetune`), the LoRA baseline (`ns.lora`), the bottleneck adapter (`ns.adapter`) and the
step-wise writer (`ns.steps.finetune`) all train through this module, so they see the same questions in the
same order and log the same records. A step's questions are a pure function of the step, so a resumed run
sees exactly the questions it would have seen.

Example:
    >>> device = ready(model, problems, module=adapter)  # refuses no questions; freezes the LLM
    >>> seconds = train_steps(tok, problems, device=device, opt=opt, start_step=0, trainable=n,
    ...                       loss_fn=lambda items, batch: answer_loss(*forward_answers(model, batch, adapter)),
    ...                       save=lambda step: None, steps=100, batch_size=8, seed=0, shots=2, complexity=2,
    ...                       checkpoint_every=50, on_event=ignore)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from nsllm_cli.artifacts import load_artifact, save_artifact
from nsllm_cli.errors import DataError
from nsllm_cli.events import Event
from nsllm_cli.ns.batches import TFBatch, answer_ids, build_batch
from nsllm_cli.ns.injection import attach
from nsllm_cli.ns.problems import Problem
from nsllm_cli.ns.prompts import answer_text, ns_messages
from nsllm_cli.stopping import Stopped, StopRequest, deferred_stop

OPTIMIZER_FORMAT = "nsllm-lora-optimizer"


def step_indices(n: int, step: int, batch_size: int, seed: int) -> list[int]:
    """Item indices of optimiser step `step`: epochs of seeded permutations, a pure function of the step."""
    out = []
    for k in range(step * batch_size, (step + 1) * batch_size):
        epoch, i = divmod(k, n)
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch))
        out.append(int(perm[i]))
    return out


def step_items(problems: Sequence[Problem], step: int, batch_size: int, seed: int) -> list[Problem]:
    """The questions of optimiser step `step` (see `step_indices`)."""
    return [problems[i] for i in step_indices(len(problems), step, batch_size, seed)]


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


def freeze(model: torch.nn.Module) -> None:
    """No parameter of the LLM trains."""
    for p in model.parameters():
        p.requires_grad_(False)
    model.eval()


def ready(model: Any, problems: Sequence[Any], *, module: torch.nn.Module | None = None) -> torch.device:
    """The training preamble: refuse an empty training set, freeze the LLM, put `module` on its device.

    Returns:
        The LLM's device.

    Raises:
        DataError: no training questions.
    """
    if not problems:
        raise DataError("no training questions")
    freeze(model)
    device: torch.device = next(model.parameters()).device
    if module is not None:
        module.to(device)
    return device


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


def run_steps(
    *,
    batches: StepBatches,
    device: torch.device,
    steps: int,
    start_step: int,
    loss_fn: Callable[[list[Problem], TFBatch], torch.Tensor],
    opt: torch.optim.Optimizer,
    save: Callable[[int], None],
    checkpoint_every: int,
    on_event: Callable[[str, dict[str, Any]], None],
    sched: Any = None,
    extra: Callable[[], dict[str, float]] | None = None,
) -> float:
    """Run steps `start_step..steps-1`: loss, backward, step, a `step` event, checkpoints. Returns seconds.

    A SIGINT or SIGTERM ends the loop after the current step, with a checkpoint saved (`stopping.Stopped`).
    """
    t0 = time.perf_counter()
    with deferred_stop() as stop:
        for step in range(start_step, steps):
            items, batch = batches(step, device)
            loss = loss_fn(items, batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            elapsed, done = time.perf_counter() - t0, step + 1 - start_step
            record = {
                "step": step + 1,
                "total_steps": steps,
                "loss": loss.item(),
                "lr": opt.param_groups[0]["lr"],
                **(extra() if extra is not None else {}),
                "steps_per_s": done / elapsed,
                "remaining_s": (steps - step - 1) * elapsed / done,
            }
            on_event("step", record)
            if not math.isfinite(record["loss"]):
                raise DataError(f"loss became {record['loss']} at step {step + 1}; lower --lr")
            end_step(step + 1, steps=steps, checkpoint_every=checkpoint_every, stop=stop, save=save)
    return time.perf_counter() - t0


def end_step(done: int, *, steps: int, checkpoint_every: int, stop: StopRequest, save: Callable[[int], None]) -> None:
    """After step `done` (1-based): save a checkpoint when one is due or a stop was asked for, then stop.

    Raises:
        Stopped: a SIGINT/SIGTERM arrived during the step and steps remain (the checkpoint is saved first).
    """
    if done % checkpoint_every == 0 or done == steps or stop.is_set():
        save(done)
    if stop.is_set() and done < steps:
        raise Stopped(stop.signum)


def train_steps(
    tok: Any,
    problems: Sequence[Problem],
    *,
    device: torch.device,
    opt: torch.optim.Optimizer,
    start_step: int,
    trainable: int,
    loss_fn: Callable[[list[Problem], TFBatch], torch.Tensor],
    save: Callable[[int], None],
    steps: int,
    batch_size: int,
    seed: int,
    shots: int,
    complexity: int,
    checkpoint_every: int,
    on_event: Event,
    sched: Any = None,
    extra: Callable[[], dict[str, float]] | None = None,
) -> float:
    """The `start` event, then `run_steps` over the seeded `StepBatches` of `problems`. Returns seconds."""
    on_event("start", {"steps": steps, "start_step": start_step, "trainable": trainable})
    return run_steps(
        batches=StepBatches(tok, problems, batch_size=batch_size, seed=seed, shots=shots, complexity=complexity),
        device=device,
        steps=steps,
        start_step=start_step,
        loss_fn=loss_fn,
        opt=opt,
        sched=sched,
        extra=extra,
        save=save,
        checkpoint_every=checkpoint_every,
        on_event=on_event,
    )


def _adam_state(step: int, exp_avg: torch.Tensor, exp_avg_sq: torch.Tensor, device: torch.device) -> dict[str, Any]:
    return {"step": torch.tensor(float(step)), "exp_avg": exp_avg.to(device), "exp_avg_sq": exp_avg_sq.to(device)}


def save_weight_checkpoint(
    folder: Path, weight: torch.Tensor, opt: torch.optim.Optimizer, step: int, *, name: str, fmt: str, atoms_sha: str
) -> None:
    """One trained weight (saved as `name`) with its Adam moments, tied to the VSA atoms it was trained with."""
    state = opt.state[weight]
    tensors = {name: weight.detach()}
    if state:
        tensors |= {"exp_avg": state["exp_avg"], "exp_avg_sq": state["exp_avg_sq"]}
    save_artifact(folder, tensors, fmt=fmt, meta={"step": step}, depends_on={"vsa_atoms": atoms_sha})


def load_weight_checkpoint(
    folder: Path, weight: torch.Tensor, opt: torch.optim.Optimizer, *, name: str, fmt: str, atoms_sha: str
) -> int:
    """Restore what `save_weight_checkpoint` wrote into `weight` and `opt`; the step it was saved at (0: none).

    Raises:
        ArtifactError: the checkpoint was made with other atoms or in another format.
    """
    if not (folder / "manifest.json").exists():
        return 0
    tensors, manifest = load_artifact(folder, fmt=fmt, expect_depends_on={"vsa_atoms": atoms_sha})
    step = int(manifest["meta"]["step"])
    with torch.no_grad():
        weight.copy_(tensors[name])
    if "exp_avg" in tensors:
        opt.state[weight] = _adam_state(step, tensors["exp_avg"], tensors["exp_avg_sq"], weight.device)
    return step


def save_optimizer(
    folder: Path, opt: torch.optim.Optimizer, named: list[tuple[str, torch.nn.Parameter]], step: int
) -> None:
    """The Adam(W) moments of the `named` parameters, in `folder/optimizer` (LoRA and the adapter)."""
    tensors: dict[str, torch.Tensor] = {}
    for name, p in named:
        state = opt.state.get(p)
        if state:
            tensors[f"{name}.exp_avg"] = state["exp_avg"]
            tensors[f"{name}.exp_avg_sq"] = state["exp_avg_sq"]
    save_artifact(folder / "optimizer", tensors, fmt=OPTIMIZER_FORMAT, meta={"step": step})


def load_optimizer(folder: Path, opt: torch.optim.Optimizer, named: list[tuple[str, torch.nn.Parameter]]) -> int:
    """Restore what `save_optimizer` wrote; the step it was saved at (0: none)."""
    if not (folder / "optimizer" / "manifest.json").is_file():
        return 0
    tensors, manifest = load_artifact(folder / "optimizer", fmt=OPTIMIZER_FORMAT)
    step = int(manifest["meta"]["step"])
    for name, p in named:
        if f"{name}.exp_avg" in tensors:
            opt.state[p] = _adam_state(step, tensors[f"{name}.exp_avg"], tensors[f"{name}.exp_avg_sq"], p.device)
    return step
