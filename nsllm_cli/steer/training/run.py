"""`train_steerer`: one SFT or DPO run of the steering model, from a checked dataset to a servable folder.

The order is what makes errors cheap and runs resumable: hyper-parameters, the qlora/CUDA check, the dataset and
the init adapter are checked before any model is loaded; existing checkpoints are refused unless the run resumes;
only then are the models loaded, the trainer built and trained, and the outputs and manifest written (by the main
process only when several run under accelerate).

Example:
    >>> report = train_steerer(TrainSettings("sft", "embedded", Path("sft.jsonl"), Path("out")))  # doctest: +SKIP
    >>> report.steer_spec  # doctest: +SKIP
    'local:out/model'
"""

from __future__ import annotations

import logging
import re
import threading
import time
import warnings
from pathlib import Path

from nsllm_cli.errors import NsllmError
from nsllm_cli.events import Event, ignore
from nsllm_cli.steer.training import models
from nsllm_cli.steer.training.data import split_records, validate_dataset
from nsllm_cli.steer.training.report import TrainReport, optional_float
from nsllm_cli.steer.training.save import save_outputs, write_manifest
from nsllm_cli.steer.training.settings import TrainSettings

log = logging.getLogger(__name__)

CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def train_steerer(
    settings: TrainSettings, *, on_event: Event | None = None, stop: threading.Event | None = None
) -> TrainReport:
    """Train the steering model with SFT or DPO and write an adapter and/or a servable model folder.

    Args:
        settings: the stage, base model, dataset, output folder, preset and its overrides (`TrainSettings`).
        on_event: progress callback `(kind, payload)`: "data" (dataset summary), "start" (steps, trainable
            parameters, resumed_from), "log" (each metrics record), "checkpoint" (path), "trained" (the in-memory
            `model` and `tokenizer` just before saving), "finish" (the report as a dict).
        stop: set it (e.g. on SIGINT) to stop after the current step with a checkpoint saved.

    Returns:
        A `TrainReport`; `report.steer_spec` is the `--steer-llm` value of the result.

    Raises:
        ConfigError: bad hyper-parameters, or an init_adapter that is not a peft adapter.
        DataError: a missing or empty dataset, or one with no usable record (before any model is loaded).
        NsllmError: qlora without a CUDA GPU, or checkpoints in out_dir without resume=True.
    """
    emit: Event = on_event or ignore
    started = time.monotonic()
    stage = settings.stage
    hp = settings.hparams()
    if hp.peft == "qlora":
        models.require_cuda(settings.device)
    data = validate_dataset(stage, settings.dataset)
    adapter_in = models.find_adapter(settings.init_adapter, hp.peft) if settings.init_adapter is not None else None
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    ckpt_dir = settings.checkpoint_dir
    last = last_checkpoint(ckpt_dir)
    if last is not None and not settings.resume:
        raise NsllmError(f"{ckpt_dir} holds checkpoints of an earlier run: resume it or use another output folder")
    resumed_from = last if settings.resume else None
    train_records, eval_records = split_records(data.records, hp.eval_fraction, settings.seed)
    emit(
        "data",
        {
            "path": str(settings.dataset),
            "records": len(data.records),
            "bad_lines": len(data.bad),
            "train": len(train_records),
            "eval": len(eval_records),
        },
    )
    report = TrainReport(
        stage=stage,
        peft=hp.peft,
        out_dir=settings.out_dir,
        model_dir=None,
        adapter_dir=None,
        manifest_path=None,
        metrics_path=settings.metrics_file,
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
        loaded = models.load_models(settings, hp, adapter_in)

        from nsllm_cli.steer.training.callbacks import MetricsCallback
        from nsllm_cli.steer.training.trainer import make_trainer

        callback = MetricsCallback(settings.metrics_file, phase=stage, emit=emit, stop=stop, report=report)
        trainer = make_trainer(
            settings=settings,
            hp=hp,
            models=loaded,
            train_records=train_records,
            eval_records=eval_records,
            callbacks=[callback],
            report=report,
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
        report.train_loss = optional_float(result.metrics.get("train_loss"))
        report.stopped = bool(stop is not None and stop.is_set() and state.global_step < state.max_steps)
        if eval_records and not report.stopped:
            at_end = [h for h in state.log_history if "eval_loss" in h and h.get("step") == state.global_step]
            report.eval_loss = optional_float((at_end[-1] if at_end else trainer.evaluate()).get("eval_loss"))
        if not report.stopped:
            emit("trained", {"model": trainer.model, "tokenizer": loaded.tok})
            save_outputs(trainer, report, models=loaded, merge=settings.merge)
        if trainer.is_world_process_zero():
            report.seconds = round(time.monotonic() - started, 2)
            if not report.stopped:
                report.manifest_path = write_manifest(
                    report, settings=settings, models=loaded, data=data, adapter=adapter_in
                )
            emit("finish", report.to_dict())
    return report


def last_checkpoint(folder: Path) -> Path | None:
    """The `checkpoint-<step>` folder with the highest step in `folder`, or None."""
    if not folder.is_dir():
        return None
    found = [(int(m.group(1)), p) for p in folder.iterdir() if p.is_dir() and (m := CHECKPOINT.match(p.name))]
    return max(found)[1] if found else None
