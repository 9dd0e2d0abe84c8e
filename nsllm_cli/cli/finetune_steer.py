"""`nsllm finetune steer`: train the CodeSteer steering model by SFT, then DPO (trl + peft), on one GPU or many."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from nsllm_cli.cli._common import ConfigOpt, DeviceOpt, ModelOpt, RunDirOpt, SeedOpt, err_console, guarded, settings
from nsllm_cli.cli._resume import resumable


def _dataset(data: Path, stage: str) -> Path:
    """A JSONL file, or a `steer collect` run folder holding `sft.jsonl` / `dpo.jsonl`."""
    from nsllm_cli.errors import DataError

    if data.is_dir():
        found = data / f"{stage}.jsonl"
        if not found.is_file():
            how = "nsllm steer collect" + (" --trees" if stage == "dpo" else "")
            raise DataError(f"{data} has no {stage}.jsonl (collect it with `{how}`)")
        return found
    if not data.is_file():
        raise DataError(f"{data}: no such file or folder")
    return data


@guarded
@resumable
def steer(
    ctx: typer.Context,
    stage: Annotated[
        str, typer.Option(help="sft (multi-round, loss on every guidance) or dpo (preference pairs).")
    ] = "sft",
    data: Annotated[
        Path | None, typer.Option(help="The JSONL dataset, or a `steer collect` run folder (its sft/dpo.jsonl).")
    ] = None,
    init: Annotated[
        Path | None, typer.Option(help="DPO: the SFT run folder (or its adapter/) to start from and compare with.")
    ] = None,
    preset: Annotated[
        str, typer.Option(help="cpu: LoRA, small model (default); paper: full fine-tune as in the paper.")
    ] = "cpu",
    peft: Annotated[
        str | None, typer.Option(help="lora, qlora (4-bit base, CUDA) or full (default: the preset's).")
    ] = None,
    lr: Annotated[float | None, typer.Option(help="Peak learning rate (default: the preset's).")] = None,
    epochs: Annotated[float | None, typer.Option(help="Passes over the data (default: the preset's).")] = None,
    max_steps: Annotated[int | None, typer.Option(help="Optimiser steps; replaces --epochs.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Records per device per step.")] = None,
    grad_accum: Annotated[int | None, typer.Option(help="Forward passes per optimiser step.")] = None,
    max_length: Annotated[
        int | None, typer.Option(help="Tokens per sequence (longer ones are cut, and counted).")
    ] = None,
    beta: Annotated[float | None, typer.Option(help="DPO: KL strength (default 0.1).")] = None,
    logging_steps: Annotated[
        int | None, typer.Option(help="Optimiser steps between logged losses in metrics.jsonl (default 20).")
    ] = None,
    show_presets: Annotated[bool, typer.Option("--show-presets", help="Print the presets as JSON and exit.")] = False,
    resume: Annotated[Path | None, typer.Option(help="Continue a stopped run from its last checkpoint.")] = None,
    model: ModelOpt = None,
    device: DeviceOpt = None,
    seed: SeedOpt = None,
    config: ConfigOpt = None,
    run_dir: RunDirOpt = None,
) -> None:
    """Train the steering model (SFT, then DPO); the result serves as `--steer-llm runs/<run>`.

    Several GPUs: `accelerate launch --num_processes 4 -m nsllm_cli finetune steer --stage sft --preset paper ...`
    (DeepSpeed ZeRO-3: add `--use_deepspeed --deepspeed_config_file nsllm_cli/steer/zero3.json`).
    """
    import signal

    from nsllm_cli.cli._run import open_run
    from nsllm_cli.errors import ConfigError, DataError
    from nsllm_cli.steer.training import STAGES, TrainSettings, describe_presets, train_steerer
    from nsllm_cli.stopping import deferred_stop, exit_code_of

    if show_presets:
        typer.echo(json.dumps(describe_presets(), indent=2))
        return
    if stage not in STAGES:
        raise ConfigError(f"--stage must be sft or dpo, not {stage!r}")
    if data is None:
        raise ConfigError("--data is required: a JSONL file or a `nsllm steer collect` run folder")
    dataset = _dataset(data, stage)
    adapter = None
    if init is not None:
        adapter = init / "adapter" if (init / "adapter").is_dir() else init
        if not adapter.is_dir():
            raise DataError(f"{init}: no adapter to start from (give a `finetune steer --stage sft` run folder)")
    s = settings(config, model=model, device=device, seed=seed)
    run = open_run(
        s,
        f"finetune-steer-{stage}",
        resume=resume,
        run_dir=run_dir,
        extra_config={
            "stage": stage,
            "data": str(dataset),
            "init": str(init) if init else None,
            "preset": preset,
            "peft": peft,
            "lr": lr,
            "epochs": epochs,
            "max_steps": max_steps,
            "batch_size": batch_size,
            "grad_accum": grad_accum,
            "max_length": max_length,
            "beta": beta,
            "logging_steps": logging_steps,
        },
    )
    hparams = {"peft": peft, "lr": lr, "epochs": epochs, "max_steps": max_steps, "batch_size": batch_size,
               "grad_accum": grad_accum, "max_length": max_length, "beta": beta,
               "logging_steps": logging_steps}  # fmt: skip
    training = TrainSettings(
        stage,  # type: ignore[arg-type]
        s.model,
        dataset,
        run.path,
        preset=preset,
        overrides=hparams,
        seed=s.seed,
        init_adapter=adapter,
        resume=resume is not None,
        metrics_path=run.metrics_path,
        model_cache=s.cache_dir,
        device=s.device,
    )
    err = err_console()
    progress = _Progress(stage)
    message = "stopping after this step (a checkpoint is saved); signal again to abort"
    with deferred_stop(message) as stop, run.guard(), progress:
        report = train_steerer(training, on_event=progress.on_event, stop=stop)
    summary = report.to_dict()
    if report.stopped:
        run.write_results(summary)
        by = signal.Signals(stop.signum).name
        run.set_status("stopped", error=f"stopped by {by}; continue with --resume {run.path}")
        err.print(f"[yellow]stopped at step {report.global_step}; continue with --resume {run.path}[/]")
        raise typer.Exit(exit_code_of(stop.signum))
    run.finish(summary)
    if report.resumed_from:
        err.print(f"resumed from {report.resumed_from}")
    loss = " → ".join(f"{v:.4f}" for v in (report.first_loss, report.last_loss) if v is not None)
    err.print(
        f"{stage.upper()} {report.peft}: {report.global_step} steps, loss {loss or '-'}"
        + (f", eval loss {report.eval_loss:.4f}" if report.eval_loss is not None else "")
        + (f", {len(report.bad_lines)} bad lines skipped" if report.bad_lines else "")
        + (f", {report.n_truncated} sequences cut at max length" if report.n_truncated else "")
    )
    typer.echo(f"steerer: --steer-llm {run.path}" + (f"   adapter: {report.adapter_dir}" if report.adapter_dir else ""))


class _Progress:
    """A rich progress bar over optimiser steps with the latest loss."""

    def __init__(self, stage: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(TextColumn(stage), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[extra]}"), TimeRemainingColumn(),
                                 console=err_console())  # fmt: skip
        self.task = self.progress.add_task(stage, total=None, extra="loading")

    def __enter__(self) -> _Progress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def on_event(self, kind: str, p: dict[str, Any]) -> None:
        if kind == "data" and p.get("bad_lines"):
            self.progress.console.print(f"[yellow]{p['bad_lines']} malformed line(s) in {p['path']} skipped[/]")
        elif kind == "start":
            self.progress.update(self.task, extra=f"{p['trainable_parameters']:,} trainable parameters")
        elif kind == "log":
            loss = p.get("loss")
            extra = f"loss {loss:.4f}" if isinstance(loss, int | float) else ""
            self.progress.update(self.task, completed=p.get("step", 0), total=p.get("total_steps"), extra=extra)
