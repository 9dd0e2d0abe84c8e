"""Build trl's trainer for one stage: `SFTTrainer` on pre-masked conversations, or `DPOTrainer` on pairs.

Both take the same Trainer arguments from `HParams`. SFT rows are tokenised here with nsllm's own assistant mask
(`sft_features`), so trl's `assistant_only_loss` stays off; DPO rows go to trl as conversational
`prompt`/`chosen`/`rejected` records. The report learns how many sequences were cut at max_length and how many
records trl dropped. The Trainer's stdout printers are removed: progress reaches the caller through
metrics.jsonl and `on_event` only.

Example:
    >>> trainer = make_trainer(settings=s, hp=hp, models=loaded, train_records=train, eval_records=[],
    ...                        callbacks=[], report=report)  # doctest: +SKIP
    >>> trainer.train()  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from nsllm_cli.steer.training.data import sft_features
from nsllm_cli.steer.training.models import LoadedModels
from nsllm_cli.steer.training.presets import HParams
from nsllm_cli.steer.training.report import TrainReport
from nsllm_cli.steer.training.settings import TrainSettings


def make_trainer(
    *,
    settings: TrainSettings,
    hp: HParams,
    models: LoadedModels,
    train_records: list[dict[str, Any]],
    eval_records: list[dict[str, Any]],
    callbacks: list[Any],
    report: TrainReport,
) -> Any:
    """The trl trainer of `settings.stage`, quiet, with `callbacks`; sets report.n_truncated and n_dropped."""
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()  # the engine reports through on_event; stderr stays for one-line errors
    common: dict[str, Any] = {
        "output_dir": str(settings.checkpoint_dir),
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
        "bf16": models.bf16,
        "activation_checkpointing": hp.activation_checkpointing,
        "deepspeed": hp.deepspeed,
        "use_cpu": models.device.type == "cpu",
        "seed": settings.seed,
        "data_seed": settings.seed,
        "report_to": "none",
        "disable_tqdm": True,
        "max_length": hp.max_length,
    }
    tok = models.tok
    if settings.stage == "sft":
        from trl import SFTConfig, SFTTrainer  # type: ignore[attr-defined]  # public, lazily exported (no __all__)

        train_rows = [_sft_row(tok, r) for r in train_records]
        eval_rows = [_sft_row(tok, r) for r in eval_records]
        report.n_truncated = sum(len(r["input_ids"]) > hp.max_length for r in train_rows)
        sft_args = SFTConfig(**common, assistant_only_loss=False, packing=False)
        sft = SFTTrainer(model=models.policy, args=sft_args, **_inputs(train_rows, eval_rows, tok, callbacks))
        prepared: Any = sft.train_dataset
        report.n_dropped = len(train_rows) - len(prepared)
        return _quiet(sft)

    from trl import DPOConfig, DPOTrainer  # type: ignore[attr-defined]

    dpo_args = DPOConfig(**common, beta=hp.beta, loss_type=[hp.loss_type])
    inputs = _inputs(train_records, eval_records, tok, callbacks)
    dpo = DPOTrainer(model=models.policy, ref_model=models.ref, args=dpo_args, **inputs)
    prepared = dpo.train_dataset
    lengths = zip(prepared["prompt_ids"], prepared["chosen_ids"], prepared["rejected_ids"], strict=True)
    report.n_truncated = sum(len(p) + max(len(c), len(r)) > hp.max_length for p, c, r in lengths)
    report.n_dropped = len(train_records) - len(prepared)
    return _quiet(dpo)


def _inputs(
    train: list[dict[str, Any]], held_out: list[dict[str, Any]], tok: Any, callbacks: list[Any]
) -> dict[str, Any]:
    """The datasets, tokenizer and callbacks both trainers take (no eval dataset when nothing is held out)."""
    from datasets import Dataset

    return {
        "train_dataset": Dataset.from_list(train),
        "eval_dataset": Dataset.from_list(held_out) if held_out else None,
        "processing_class": tok,
        "callbacks": callbacks,
    }


def _quiet(trainer: Any) -> Any:
    """Drop the Trainer's stdout printer: logs reach the caller through metrics.jsonl and on_event only."""
    from transformers import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    return trainer


def _sft_row(tok: Any, record: dict[str, Any]) -> dict[str, list[int]]:
    ids, mask = sft_features(tok, record["messages"])
    return {"input_ids": ids, "assistant_masks": mask}
