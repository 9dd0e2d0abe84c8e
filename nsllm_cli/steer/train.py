"""Train the CodeSteer steering model: multi-round SFT, then DPO, with trl (engine; no Typer/Rich/Textual).

`train_steerer("sft", ...)` runs trl's `SFTTrainer` with the loss on **every assistant turn** of each conversation;
`train_steerer("dpo", ...)` runs trl's `DPOTrainer` (sigmoid loss) on preference pairs, usually starting from the
SFT adapter (`init_adapter`). Both validate the JSONL before loading any model (bad lines are reported with their
line numbers and skipped; no usable record is a one-line `DataError`), write LLaMA-Factory-style records to
`metrics.jsonl`, checkpoint under `<out_dir>/checkpoints` and resume from the last checkpoint.

Assistant mask (codesteer.md section 9). SmolLM2's chat template has no `{% generation %}` markers, so trl's
`assistant_only_loss` cannot be used with it. nsllm renders the conversation with the model's own template, cuts it
at every assistant turn (the template must render turn by turn: every prefix of the conversation renders to a prefix
of the whole), tokenises the pieces and sets labels on the assistant turns only: their content and the end-of-turn
token (`<|im_end|>`), not the newline the template puts after it nor the `<|im_start|>assistant` header.

Presets (`PRESETS`, codesteer.md section 11):
- `paper`: the original LLaMA-Factory run. SFT: full fine-tune, lr 1e-5, cosine, warmup 0.1, 12 epochs,
  batch 1 x grad-accum 2 per GPU (x 4 GPUs = 8), max length 7024, bf16 on GPUs, activation (gradient) checkpointing.
  DPO (not published; loss, beta and lr of the vendored generic example): full fine-tune of the SFT model, sigmoid,
  beta 0.1, lr 5e-6, 3 epochs, batch 1 x 8, max length 7024 (DPO prompts are kept up to 7000 tokens).
- `cpu` (default): PEFT LoRA r 16, alpha 32, dropout 0.05 on all linear layers, fp32. SFT: lr 2e-4, cosine,
  warmup 0.1, 3 epochs, batch 1 x grad-accum 8, max length 4096. DPO: lr 5e-6, sigmoid, beta 0.1, 3 epochs.
Both: 10% of the records for evaluation, evaluate and save every 200 steps, log every 20.

Output folder:
    <out_dir>/manifest.json      format nsllm-steerer: base model, stage, peft, dataset sha256, hyper-parameters
    <out_dir>/metrics.jsonl      one record per log (unless metrics_path points elsewhere)
    <out_dir>/checkpoints/       trainer checkpoints (checkpoint-<step>/), used by resume=True
    <out_dir>/adapter/           lora/qlora: the peft adapter (adapter_model.safetensors) + tokenizer
    <out_dir>/model/             a full safetensors model + tokenizer: the adapter merged into the base, or the
                                 fully fine-tuned model. Load it as a steerer: `--steer-llm local:<out_dir>/model`.

Several GPUs / DeepSpeed. Nothing in the code is special: accelerate runs one process per GPU and the HF Trainer
shards data and gradients. Launch the same command under accelerate, for example:

    accelerate launch --num_processes 4 -m nsllm_cli finetune steer --stage sft --preset paper ...
    accelerate launch --num_processes 4 --use_deepspeed --deepspeed_config_file nsllm_cli/steer/zero3.json \\
        -m nsllm_cli finetune steer --stage sft --preset paper ...

`zero3.json` (`ZERO3_CONFIG`) is the ZeRO-3 configuration of the original run (LLaMA-Factory's ds_z3_config): its
"auto" values (batch, accumulation, clipping, bf16) are filled in by the Trainer from the hyper-parameters, so leave
mixed precision to it (accelerate ignores or refuses its own precision settings beside a DeepSpeed file).
Passing it as the `deepspeed` hyper-parameter instead (`overrides={"deepspeed": str(ZERO3_CONFIG)}`) works with a plain
`accelerate launch --num_processes 4`. DeepSpeed itself is not a dependency of nsllm (`pip install deepspeed`).
The effective batch is batch_size x grad_accum x the number of processes. Only the main process writes metrics,
outputs and the manifest.

Example:
    >>> report = train_steerer("sft", "embedded", Path("sft.jsonl"), Path("runs/steer-sft"))  # doctest: +SKIP
    >>> dpo = train_steerer("dpo", "embedded", Path("dpo.jsonl"), Path("runs/steer-dpo"),
    ...                     init_adapter=report.adapter_dir)  # doctest: +SKIP
    >>> dpo.steer_spec  # doctest: +SKIP
    'local:runs/steer-dpo/model'
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import shutil
import threading
import time
import warnings
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from nsllm_cli import __version__
from nsllm_cli.artifacts import sha256_file
from nsllm_cli.errors import ConfigError, DataError, ModelNotFoundError, NsllmError
from nsllm_cli.events import Event, ignore
from nsllm_cli.jsonl import append_jsonl, write_json_atomic

if TYPE_CHECKING:
    import torch

    from nsllm_cli.models.resolve import ResolvedModel

log = logging.getLogger(__name__)

Stage = Literal["sft", "dpo"]
PeftMode = Literal["lora", "qlora", "full"]

FORMAT = "nsllm-steerer"
FORMAT_VERSION = 1
ZERO3_CONFIG = Path(__file__).with_name("zero3.json")
STAGES = ("sft", "dpo")
PEFT_MODES = ("lora", "qlora", "full")
ROLES = ("system", "user", "assistant")
CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
MAX_REASONS = 3
"""Bad lines named in a DataError message (all of them go to the log and the report)."""


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


# -- dataset validation (no heavy imports) ------------------------------------------------------------------------


@dataclass
class DatasetCheck:
    """The usable records of a JSONL dataset and the lines that were skipped."""

    path: Path
    stage: Stage
    records: list[dict[str, Any]]
    """Cleaned records: {"messages"} for SFT, {"prompt", "chosen", "rejected"} for DPO."""
    bad: list[tuple[int, str]]
    """(line number, reason) of every skipped line."""
    lines: int
    sha256: str


def validate_dataset(stage: Stage, path: Path) -> DatasetCheck:
    """Read and check an SFT or DPO JSONL file without importing anything heavy.

    Raises:
        DataError: the file is missing, empty, or has no usable record (one line naming the first bad lines).
    """
    if not path.is_file():
        raise DataError(f"{path}: dataset file not found")
    records: list[dict[str, Any]] = []
    bad: list[tuple[int, str]] = []
    lines = 0
    check = _check_sft if stage == "sft" else _check_dpo
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            text = raw.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            lines += 1
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                bad.append((lineno, f"not JSON ({exc.msg})"))
                continue
            if not isinstance(obj, dict):
                bad.append((lineno, "not a JSON object"))
                continue
            try:
                records.append(check(obj))
            except ValueError as exc:
                bad.append((lineno, str(exc)))
    for lineno, reason in bad:
        log.warning("%s:%d: skipped: %s", path, lineno, reason)
    if lines == 0:
        raise DataError(f"{path}: empty dataset (no records)")
    if not records:
        named = "; ".join(f"line {n}: {r}" for n, r in bad[:MAX_REASONS])
        more = f"; and {len(bad) - MAX_REASONS} more" if len(bad) > MAX_REASONS else ""
        raise DataError(f"{path}: no usable {stage.upper()} record in {lines} line(s) ({named}{more})")
    return DatasetCheck(path, stage, records, bad, lines, sha256_file(path))


def _messages(value: Any, key: str, roles: tuple[str, ...] = ROLES) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{key!r} must be a non-empty list of messages")
    out = []
    for i, m in enumerate(value):
        if not isinstance(m, dict) or m.get("role") not in roles or not isinstance(m.get("content"), str):
            raise ValueError(f"{key}[{i}] must be {{'role': {'|'.join(roles)}, 'content': <string>}}")
        out.append({"role": str(m["role"]), "content": str(m["content"])})
    return out


def _check_sft(obj: dict[str, Any]) -> dict[str, Any]:
    if "messages" not in obj:
        raise ValueError("no 'messages' field")
    messages = _messages(obj["messages"], "messages")
    roles = [m["role"] for m in messages]
    if not any(m["role"] == "assistant" and m["content"].strip() for m in messages):
        raise ValueError("no assistant turn with content")
    if "user" not in roles or roles.index("user") > roles.index("assistant"):
        raise ValueError("the first assistant turn comes before any user turn")
    return {"messages": messages}


def _check_dpo(obj: dict[str, Any]) -> dict[str, Any]:
    missing = [k for k in ("prompt", "chosen", "rejected") if k not in obj]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    prompt = _messages(obj["prompt"], "prompt")
    if prompt[-1]["role"] != "user":
        raise ValueError("'prompt' must end with a user turn")
    chosen = _messages(obj["chosen"], "chosen", ("assistant",))
    rejected = _messages(obj["rejected"], "rejected", ("assistant",))
    if chosen == rejected:
        raise ValueError("'chosen' equals 'rejected'")
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected}


# -- assistant mask ----------------------------------------------------------------------------------------------


def sft_features(tok: Any, messages: list[dict[str, str]]) -> tuple[list[int], list[int]]:
    """Token ids of a conversation rendered with the model's chat template, and a 0/1 mask of its assistant tokens.

    The mask covers each assistant turn's content and its end-of-turn token (the tokenizer's eos), not the role
    header before it nor the separator after it, nor any system, user or default-system-prompt token.

    Raises:
        DataError: the chat template does not render the conversation turn by turn.
    """
    full = _render(tok, messages, generation_prompt=False)
    segments: list[tuple[str, bool]] = []
    pos = 0
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        start = len(_prefix(tok, messages[:i], True, full, i))
        end = len(_prefix(tok, messages[: i + 1], False, full, i))
        if start < pos or end < start:
            raise DataError(f"the chat template does not render turn {i} after the previous turns")
        segments += [(full[pos:start], False), (full[start:end], True)]
        pos = end
    segments.append((full[pos:], False))
    eos = tok.eos_token_id
    ids: list[int] = []
    mask: list[int] = []
    for text, assistant in segments:
        if not text:
            continue
        piece = [int(t) for t in tok(text, add_special_tokens=False)["input_ids"]]
        bits = [int(assistant)] * len(piece)
        if assistant and eos in piece:  # train the end of turn, not what the template puts after it
            last = len(piece) - 1 - piece[::-1].index(eos)
            bits[last + 1 :] = [0] * (len(piece) - last - 1)
        ids += piece
        mask += bits
    return ids, mask


def _render(tok: Any, messages: list[dict[str, str]], *, generation_prompt: bool) -> str:
    return str(tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt))


def _prefix(tok: Any, messages: list[dict[str, str]], generation_prompt: bool, full: str, turn: int) -> str:
    text = _render(tok, messages, generation_prompt=generation_prompt)
    if not full.startswith(text):
        raise DataError(
            f"the model's chat template does not render conversations turn by turn (turn {turn} changes the text "
            "before it), so nsllm cannot mask the assistant tokens; use a model with an incremental template"
        )
    return text


# -- report ------------------------------------------------------------------------------------------------------


@dataclass
class TrainReport:
    """What a training run did and where its outputs are."""

    stage: Stage
    peft: PeftMode
    out_dir: Path
    model_dir: Path | None
    """Full safetensors model + tokenizer (merged adapter or full fine-tune); None when not written."""
    adapter_dir: Path | None
    """The peft adapter (lora/qlora)."""
    manifest_path: Path | None
    metrics_path: Path
    hparams: HParams
    global_step: int = 0
    total_steps: int = 0
    epoch: float = 0.0
    first_loss: float | None = None
    """First training loss logged by this process (after a resume: the first one after it)."""
    last_loss: float | None = None
    train_loss: float | None = None
    """The trainer's mean training loss over this process's steps."""
    eval_loss: float | None = None
    resumed_from: Path | None = None
    """The checkpoint training continued from (resume=True), or None."""
    n_records: int = 0
    n_train: int = 0
    n_eval: int = 0
    bad_lines: list[tuple[int, str]] = field(default_factory=list)
    n_truncated: int = 0
    """Training sequences longer than max_length (cut)."""
    n_dropped: int = 0
    """Training records with nothing left to learn after truncation (dropped by trl)."""
    seconds: float = 0.0
    stopped: bool = False
    """Stopped early by the `stop` event: a checkpoint was saved, no adapter/model was written."""

    @property
    def steer_spec(self) -> str | None:
        """The `--steer-llm` value that serves the trained model, e.g. `local:runs/x/model`."""
        return f"local:{self.model_dir}" if self.model_dir is not None else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (paths as strings)."""
        data = asdict(self)
        for key in ("out_dir", "model_dir", "adapter_dir", "manifest_path", "metrics_path", "resumed_from"):
            data[key] = None if data[key] is None else str(data[key])
        data["bad_lines"] = [list(b) for b in self.bad_lines]
        data["steer_spec"] = self.steer_spec
        return data


# -- main entry point --------------------------------------------------------------------------------------------


def train_steerer(
    stage: Stage,
    model: str | Path,
    dataset: Path,
    out_dir: Path,
    *,
    preset: str = "cpu",
    peft: PeftMode | None = None,
    lr: float | None = None,
    epochs: float | None = None,
    max_steps: int | None = None,
    batch_size: int | None = None,
    grad_accum: int | None = None,
    max_length: int | None = None,
    beta: float | None = None,
    eval_fraction: float | None = None,
    overrides: dict[str, Any] | None = None,
    seed: int = 0,
    init_adapter: Path | None = None,
    resume: bool = False,
    merge: bool = True,
    metrics_path: Path | None = None,
    on_event: Event | None = None,
    stop: threading.Event | None = None,
    model_cache: Path | None = None,
    device: str = "auto",
) -> TrainReport:
    """Train the steering model with SFT or DPO and write an adapter and/or a servable model folder.

    Args:
        stage: "sft" (loss on every assistant turn of `messages`) or "dpo" (`prompt`/`chosen`/`rejected` pairs).
        model: the base model: 'embedded', 'tiny', a local model folder (also `local:<folder>`) or a hub id.
            For a DPO full fine-tune, the SFT run's `model/` folder.
        dataset: the JSONL file (formats in codesteer.md sections 9 and 10).
        out_dir: the output folder (layout in the module docstring); created if missing.
        preset: "cpu" (LoRA, default) or "paper" (full fine-tune); see `PRESETS`.
        peft, lr, epochs, max_steps, batch_size, grad_accum, max_length, beta, eval_fraction: override the
            preset (None keeps it). max_steps > 0 replaces epochs.
        overrides: any other `HParams` field by name (lora_r, warmup_ratio, logging_steps, save_steps, ...).
        seed: seeds the LoRA init, the eval split and the data order.
        init_adapter: a peft adapter to continue from (DPO: the SFT run's `adapter/`, or the SFT out_dir). With
            LoRA DPO the reference model is this adapter, frozen.
        resume: continue from the last checkpoint in `<out_dir>/checkpoints` (the report names it); without a
            checkpoint training starts from scratch.
        merge: also write `model/` (the adapter merged into a fresh copy of the base) for lora/qlora.
        metrics_path: where metrics records go (default `<out_dir>/metrics.jsonl`); appended to.
        on_event: progress callback `(kind, payload)`: "data" (dataset summary), "start" (steps, trainable
            parameters, resumed_from), "log" (each metrics record), "checkpoint" (path), "trained" (the in-memory
            `model` and `tokenizer` just before saving), "finish" (the report as a dict).
        stop: set it (e.g. on SIGINT) to stop after the current step with a checkpoint saved.
        model_cache: where the embedded/tiny models live (default: the settings' cache).
        device: "auto", "cpu" or "cuda[:N]"; qlora needs CUDA.

    Returns:
        A `TrainReport`; `report.steer_spec` is the `--steer-llm` value of the result.

    Raises:
        ConfigError: bad hyper-parameters, or an init_adapter that is not a peft adapter.
        DataError: a missing or empty dataset, or one with no usable record (before any model is loaded).
        NsllmError: qlora without a CUDA GPU, or checkpoints in out_dir without resume=True.
    """
    emit: Event = on_event or ignore
    started = time.monotonic()
    given = {
        "peft": peft,
        "lr": lr,
        "epochs": epochs,
        "max_steps": max_steps,
        "batch_size": batch_size,
        "grad_accum": grad_accum,
        "max_length": max_length,
        "beta": beta,
        "eval_fraction": eval_fraction,
    }
    hp = resolve_hparams(stage, preset, {**(overrides or {}), **{k: v for k, v in given.items() if v is not None}})
    if hp.peft == "qlora":
        _require_cuda(device)
    data = validate_dataset(stage, dataset)
    adapter_in = _find_adapter(init_adapter, hp.peft) if init_adapter is not None else None
    out_dir.mkdir(parents=True, exist_ok=True)
    ckpt_dir = out_dir / "checkpoints"
    last = last_checkpoint(ckpt_dir)
    if last is not None and not resume:
        raise NsllmError(f"{ckpt_dir} holds checkpoints of an earlier run: resume it or use another output folder")
    resumed_from = last if resume else None
    train_records, eval_records = split_records(data.records, hp.eval_fraction, seed)
    emit(
        "data",
        {
            "path": str(dataset),
            "records": len(data.records),
            "bad_lines": len(data.bad),
            "train": len(train_records),
            "eval": len(eval_records),
        },
    )
    metrics = metrics_path or out_dir / "metrics.jsonl"
    report = TrainReport(
        stage=stage,
        peft=hp.peft,
        out_dir=out_dir,
        model_dir=None,
        adapter_dir=None,
        manifest_path=None,
        metrics_path=metrics,
        hparams=hp,
        resumed_from=resumed_from,
        n_records=len(data.records),
        n_train=len(train_records),
        n_eval=len(eval_records),
        bad_lines=data.bad,
    )

    with warnings.catch_warnings():
        # trl/peft read the deprecated `is_gradient_checkpointing` property on every step; not ours to fix.
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        import torch

        from nsllm_cli.models.device import pick_device

        dev = pick_device(device)
        bf16 = hp.bf16 if hp.bf16 is not None else (dev.type == "cuda" and torch.cuda.is_bf16_supported())
        dtype = torch.bfloat16 if bf16 else torch.float32
        cache = model_cache if model_cache is not None else _default_cache()
        spec = _strip_local(model)
        base, tok, resolved = load_base(spec, cache=cache, device=dev, dtype=dtype, quantize_4bit=hp.peft == "qlora")

        from transformers import set_seed

        set_seed(seed)
        policy = _wrap(base, hp, adapter_in)
        ref = None
        if stage == "dpo" and hp.peft == "full":
            ref, _, _ = load_base(spec, cache=cache, device=dev, dtype=dtype, quantize_4bit=False)

        callbacks = _callbacks(metrics, stage, emit, stop, report)
        trainer = _make_trainer(
            stage, policy, ref, tok, train_records, eval_records, hp, ckpt_dir, dev, bf16, seed, callbacks, report
        )
        trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
        emit(
            "start",
            {
                "stage": stage,
                "peft": hp.peft,
                "trainable_parameters": trainable,
                "resumed_from": str(resumed_from) if resumed_from else None,
                "train": len(trainer.train_dataset),
                "truncated": report.n_truncated,
            },
        )
        if resumed_from is not None:
            log.info("resuming from %s", resumed_from)
        result = trainer.train(resume_from_checkpoint=str(resumed_from) if resumed_from else None)
        state = trainer.state
        report.global_step = int(state.global_step)
        report.total_steps = int(state.max_steps)
        report.epoch = float(state.epoch or 0.0)
        report.train_loss = _float(result.metrics.get("train_loss"))
        report.stopped = bool(stop is not None and stop.is_set() and state.global_step < state.max_steps)
        if eval_records and not report.stopped:
            at_end = [h for h in state.log_history if "eval_loss" in h and h.get("step") == state.global_step]
            report.eval_loss = _float((at_end[-1] if at_end else trainer.evaluate()).get("eval_loss"))
        if not report.stopped:
            emit("trained", {"model": trainer.model, "tokenizer": tok})
            _save_outputs(trainer, report, tok, spec, cache, dtype, merge)
        if trainer.is_world_process_zero():
            report.seconds = round(time.monotonic() - started, 2)
            if not report.stopped:
                report.manifest_path = _write_manifest(report, resolved, data, adapter_in, seed, model)
            emit("finish", report.to_dict())
    return report


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _default_cache() -> Path:
    from nsllm_cli.config import load_settings

    return load_settings(None).cache_dir


def _strip_local(model: str | Path) -> str:
    spec = str(model)
    return spec.removeprefix("local:")


def _require_cuda(device: str) -> None:
    """qlora trains a 4-bit base: refuse it before anything heavy is loaded when no CUDA GPU is in reach."""
    import torch

    if device == "cpu" or device == "mps" or not torch.cuda.is_available():
        raise NsllmError("peft 'qlora' needs a CUDA GPU (none is available here): use --peft lora on a CPU")


def _find_adapter(path: Path, peft: PeftMode) -> Path:
    if peft == "full":
        raise ConfigError(
            "init_adapter needs peft lora or qlora; for a full fine-tune pass the SFT run's model/ folder as the model"
        )
    for candidate in (path, path / "adapter"):
        if (candidate / "adapter_config.json").is_file():
            return candidate
    raise ConfigError(f"{path} is not a peft adapter folder (no adapter_config.json in it or in {path / 'adapter'})")


def last_checkpoint(folder: Path) -> Path | None:
    """The `checkpoint-<step>` folder with the highest step in `folder`, or None."""
    if not folder.is_dir():
        return None
    found = [(int(m.group(1)), p) for p in folder.iterdir() if p.is_dir() and (m := CHECKPOINT.match(p.name))]
    return max(found)[1] if found else None


def split_records(
    records: list[dict[str, Any]], fraction: float, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A seeded (train, eval) split with floor(n * fraction) eval records, leaving at least one to train on."""
    n_eval = min(int(len(records) * fraction), len(records) - 1)
    if n_eval <= 0:
        return list(records), []
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    held = set(order[:n_eval])
    return [r for i, r in enumerate(records) if i not in held], [r for i, r in enumerate(records) if i in held]


# -- models ------------------------------------------------------------------------------------------------------


def load_base(
    spec: str, *, cache: Path, device: torch.device, dtype: torch.dtype, quantize_4bit: bool = False
) -> tuple[Any, Any, ResolvedModel]:
    """The base model to train (on CPU unless 4-bit: the Trainer places it), its tokenizer and its resolution."""
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    from nsllm_cli.models.resolve import load_tokenizer, resolve_model

    hf_logging.disable_progress_bar()
    resolved = resolve_model(spec, cache=cache)
    tok = load_tokenizer(resolved)
    kwargs: dict[str, Any] = {"dtype": dtype, "local_files_only": resolved.is_local}
    if quantize_4bit:
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=dtype,
            bnb_4bit_use_double_quant=True,
        )
        index = device.index if device.index is not None else int(os.environ.get("LOCAL_RANK", "0"))
        kwargs["device_map"] = {"": index}
    try:
        model = AutoModelForCausalLM.from_pretrained(resolved.source, **kwargs)
    except OSError as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelNotFoundError(f"cannot load model from {resolved.source}: {first}") from exc
    if model.generation_config is not None and model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tok.pad_token_id
    return model, tok, resolved


def _lora_config(hp: HParams) -> Any:
    from peft import LoraConfig

    targets: str | list[str] = hp.lora_targets
    if targets != "all-linear":
        targets = [t.strip() for t in hp.lora_targets.split(",") if t.strip()]
    return LoraConfig(
        r=hp.lora_r,
        lora_alpha=hp.lora_alpha,
        lora_dropout=hp.lora_dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
        bias="none",
    )


def _wrap(model: Any, hp: HParams, adapter: Path | None) -> Any:
    """Full: the model itself. lora/qlora: a peft model with a fresh adapter, or `adapter` made trainable."""
    if hp.peft == "full":
        return model
    from peft import PeftModel, get_peft_model, prepare_model_for_kbit_training

    if hp.peft == "qlora":
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=hp.activation_checkpointing)
    if adapter is not None:
        return PeftModel.from_pretrained(model, str(adapter), is_trainable=True)
    return get_peft_model(model, _lora_config(hp))


# -- trainer -----------------------------------------------------------------------------------------------------


def _make_trainer(
    stage: Stage,
    model: Any,
    ref: Any,
    tok: Any,
    train_records: list[dict[str, Any]],
    eval_records: list[dict[str, Any]],
    hp: HParams,
    ckpt_dir: Path,
    device: torch.device,
    bf16: bool,
    seed: int,
    callbacks: list[Any],
    report: TrainReport,
) -> Any:
    from datasets import Dataset
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()  # the engine reports through on_event; stderr stays for one-line errors
    common: dict[str, Any] = {
        "output_dir": str(ckpt_dir),
        "learning_rate": hp.lr,
        "num_train_epochs": hp.epochs,
        "max_steps": hp.max_steps,
        "per_device_train_batch_size": hp.batch_size,
        "per_device_eval_batch_size": hp.batch_size,
        "gradient_accumulation_steps": hp.grad_accum,
        "lr_scheduler_type": hp.scheduler,
        "warmup_steps": hp.warmup_ratio,  # transformers 5: a float below 1 is a ratio of the steps
        "weight_decay": hp.weight_decay,
        "max_grad_norm": hp.max_grad_norm,
        "logging_steps": hp.logging_steps,
        "logging_first_step": True,
        "save_strategy": "steps",
        "save_steps": hp.save_steps,
        "save_total_limit": hp.save_total_limit,
        "eval_strategy": "steps" if eval_records else "no",
        "eval_steps": hp.eval_steps,
        "bf16": bf16,
        "activation_checkpointing": hp.activation_checkpointing,
        "deepspeed": hp.deepspeed,
        "use_cpu": device.type == "cpu",
        "seed": seed,
        "data_seed": seed,
        "report_to": "none",
        "disable_tqdm": True,
        "max_length": hp.max_length,
    }
    if stage == "sft":
        from trl.trainer.sft_config import SFTConfig
        from trl.trainer.sft_trainer import SFTTrainer

        train_rows = [_sft_row(tok, r) for r in train_records]
        eval_rows = [_sft_row(tok, r) for r in eval_records]
        report.n_truncated = sum(len(r["input_ids"]) > hp.max_length for r in train_rows)
        sft_args = SFTConfig(**common, assistant_only_loss=False, packing=False)
        sft = SFTTrainer(
            model=model,
            args=sft_args,
            train_dataset=Dataset.from_list(train_rows),
            eval_dataset=Dataset.from_list(eval_rows) if eval_rows else None,
            processing_class=tok,
            callbacks=callbacks,
        )
        prepared: Any = sft.train_dataset
        report.n_dropped = len(train_rows) - len(prepared)
        return _quiet(sft)

    from trl.trainer.dpo_config import DPOConfig
    from trl.trainer.dpo_trainer import DPOTrainer

    dpo_args = DPOConfig(**common, beta=hp.beta, loss_type=[hp.loss_type])
    dpo = DPOTrainer(
        model=model,
        ref_model=ref,
        args=dpo_args,
        train_dataset=Dataset.from_list(train_records),
        eval_dataset=Dataset.from_list(eval_records) if eval_records else None,
        processing_class=tok,
        callbacks=callbacks,
    )
    prepared = dpo.train_dataset
    lengths = zip(prepared["prompt_ids"], prepared["chosen_ids"], prepared["rejected_ids"], strict=True)
    report.n_truncated = sum(len(p) + max(len(c), len(r)) > hp.max_length for p, c, r in lengths)
    report.n_dropped = len(train_records) - len(prepared)
    return _quiet(dpo)


def _quiet(trainer: Any) -> Any:
    """Drop the Trainer's stdout printer: logs reach the caller through metrics.jsonl and on_event only."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    return trainer


def _sft_row(tok: Any, record: dict[str, Any]) -> dict[str, list[int]]:
    ids, mask = sft_features(tok, record["messages"])
    return {"input_ids": ids, "assistant_masks": mask}


def _callbacks(
    metrics: Path, phase: Stage, emit: Event, stop: threading.Event | None, report: TrainReport
) -> list[Any]:
    """The metrics writer (LLaMA-Factory's LogCallback fields), the stop flag and the checkpoint cleaner."""
    from transformers import TrainerCallback

    class MetricsCallback(TrainerCallback):
        """Append one record per trainer log to metrics.jsonl (main process only)."""

        def __init__(self) -> None:
            self.t0 = time.monotonic()
            self.start_step = 0
            self.last_t = self.t0
            self.last_tokens: float | None = None

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.t0 = self.last_t = time.monotonic()
            self.start_step = int(state.global_step)
            self.last_tokens = None

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any) -> None:
            if not logs or not state.is_world_process_zero or "train_runtime" in logs:
                return  # the end-of-training summary goes into the report instead
            now = time.monotonic()
            step, total = int(state.global_step), int(state.max_steps)
            elapsed = now - self.t0
            done = step - self.start_step
            tokens = logs.get("num_tokens")
            rate = None
            if tokens is not None and "loss" in logs:
                if self.last_tokens is not None and tokens >= self.last_tokens and now > self.last_t:
                    rate = round((tokens - self.last_tokens) / (now - self.last_t), 1)
                self.last_tokens, self.last_t = float(tokens), now
            loss = _float(logs.get("loss"))
            record: dict[str, Any] = {
                "step": step,
                "total_steps": total,
                "epoch": round(float(state.epoch or 0.0), 4),
                "phase": phase,
                "loss": loss,
                "eval_loss": _float(logs.get("eval_loss")),
                "lr": _float(logs.get("learning_rate")),
                "tokens_per_s": rate,
                "elapsed_s": round(elapsed, 3),
                "remaining_s": round(elapsed / done * (total - step), 1) if done > 0 else None,
                "time": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            skip = {"loss", "eval_loss", "learning_rate", "epoch"}
            for key, value in logs.items():
                if key not in skip and isinstance(value, int | float):
                    record[key.replace("/", "_")] = value
            if loss is not None:
                report.last_loss = loss
                if report.first_loss is None:
                    report.first_loss = loss
            append_jsonl(metrics, record)
            emit("log", record)

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if stop is not None and stop.is_set():
                control.should_training_stop = True
                control.should_save = True

        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            # The Trainer pickles its arguments there; nothing reads them back on resume (nsllm keeps no pickles).
            (folder / "training_args.bin").unlink(missing_ok=True)
            if state.is_world_process_zero:
                emit("checkpoint", {"path": str(folder), "step": int(state.global_step)})

    metrics.parent.mkdir(parents=True, exist_ok=True)
    return [MetricsCallback()]


# -- outputs -----------------------------------------------------------------------------------------------------


def _save_outputs(
    trainer: Any, report: TrainReport, tok: Any, spec: str, cache: Path, dtype: torch.dtype, merge: bool
) -> None:
    """Write adapter/ (peft) and model/ (merged or full), each through a temporary sibling."""
    out = report.out_dir
    main = trainer.is_world_process_zero()
    if report.peft == "full":
        tmp = _tmp(out, "model")
        trainer.save_model(str(tmp))  # gathers ZeRO-3 shards; collective, so every process calls it
        if main:
            _finish_model_folder(tmp, tok)
            report.model_dir = _publish(tmp, out / "model")
        trainer.accelerator.wait_for_everyone()
        return
    tmp = _tmp(out, "adapter")
    trainer.save_model(str(tmp))
    if main:
        shutil.rmtree(tmp / "ref", ignore_errors=True)  # DPO's frozen reference copy of the initial adapter
        (tmp / "training_args.bin").unlink(missing_ok=True)
        report.adapter_dir = _publish(tmp, out / "adapter")
        if merge:
            report.model_dir = merge_adapter(spec, report.adapter_dir, out / "model", cache=cache, dtype=dtype)
    trainer.accelerator.wait_for_everyone()


def merge_adapter(base: str, adapter: Path, dest: Path, *, cache: Path, dtype: torch.dtype | None = None) -> Path:
    """Merge a peft adapter into a fresh, unquantised copy of `base` (on the CPU) and save it as a model folder.

    Returns:
        `dest`: config.json, model.safetensors, generation config and the tokenizer; loadable by `load_model`.
    """
    import torch
    from peft import PeftModel

    model, tok, _ = load_base(base, cache=cache, device=torch.device("cpu"), dtype=dtype or torch.float32)
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    tmp = _tmp(dest.parent, dest.name)
    merged.save_pretrained(str(tmp))
    _finish_model_folder(tmp, tok)
    return _publish(tmp, dest)


def _finish_model_folder(folder: Path, tok: Any) -> None:
    tok.save_pretrained(str(folder))
    (folder / "training_args.bin").unlink(missing_ok=True)
    if not (folder / "config.json").is_file():
        raise NsllmError(f"saving the trained model wrote no config.json into {folder}")


def _tmp(parent: Path, name: str) -> Path:
    tmp = parent / f".{name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    return tmp


def _publish(tmp: Path, dest: Path) -> Path:
    """Replace `dest` by `tmp` (a resumed run overwrites the outputs of the interrupted one)."""
    if dest.exists():
        shutil.rmtree(dest)
    os.replace(tmp, dest)
    return dest


def _write_manifest(
    report: TrainReport,
    resolved: ResolvedModel,
    data: DatasetCheck,
    adapter_in: Path | None,
    seed: int,
    model: str | Path,
) -> Path:
    from nsllm_cli.runs import environment_info

    def rel(path: Path | None) -> str | None:
        return None if path is None else path.relative_to(report.out_dir).as_posix()

    init = None
    if adapter_in is not None:
        weights = adapter_in / "adapter_model.safetensors"
        init = {"path": str(adapter_in), "sha256": sha256_file(weights) if weights.is_file() else None}
    base_config = Path(resolved.source) / "config.json"
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_by": f"nsllm {__version__}",
        "stage": report.stage,
        "peft": report.peft,
        "base_model": {
            "spec": str(model),
            "kind": resolved.kind,
            "source": resolved.source,
            "config_sha256": sha256_file(base_config) if base_config.is_file() else None,
        },
        "init_adapter": init,
        "dataset": {
            "path": str(data.path),
            "sha256": data.sha256,
            "records": len(data.records),
            "bad_lines": [list(b) for b in data.bad],
            "train": report.n_train,
            "eval": report.n_eval,
            "truncated": report.n_truncated,
            "dropped": report.n_dropped,
        },
        "loss_mask": "every assistant turn: content + end-of-turn token" if report.stage == "sft" else "dpo",
        "hyperparameters": {**asdict(report.hparams), "seed": seed},
        "outputs": {
            "adapter": rel(report.adapter_dir),
            "model": rel(report.model_dir),
            "metrics": str(report.metrics_path),
        },
        "training": {
            "global_step": report.global_step,
            "total_steps": report.total_steps,
            "epoch": report.epoch,
            "train_loss": report.train_loss,
            "eval_loss": report.eval_loss,
            "resumed_from": str(report.resumed_from) if report.resumed_from else None,
            "seconds": report.seconds,
        },
        "environment": environment_info(),
    }
    path = report.out_dir / "manifest.json"
    write_json_atomic(path, manifest)
    return path


def read_manifest(out_dir: Path) -> dict[str, Any]:
    """The manifest of a training output folder, checked for format and version.

    Raises:
        NsllmError: no manifest, or another format or version.
    """
    path = out_dir / "manifest.json"
    try:
        manifest = cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError) as exc:
        raise NsllmError(f"{path}: not a readable steerer manifest ({exc})") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise NsllmError(
            f"{path}: format {manifest.get('format')!r} v{manifest.get('format_version')}, "
            f"expected {FORMAT} v{FORMAT_VERSION}"
        )
    return manifest
