"""The outputs of a steering-model run: the adapter, the servable model folder and the manifest.

Each folder is written into a temporary sibling and then moved into place, so an interrupted save never leaves
a half-written `adapter/` or `model/` (a resumed run replaces the outputs of the interrupted one). No pickles:
the Trainer's `training_args.bin` is removed, and DPO's frozen `ref` adapter copy is not kept.

    <out_dir>/manifest.json   format nsllm-steerer: base model, stage, peft, dataset sha256, hyper-parameters
    <out_dir>/adapter/        lora/qlora: the peft adapter (adapter_model.safetensors) + tokenizer
    <out_dir>/model/          a full safetensors model + tokenizer: the adapter merged into the base, or the
                              fully fine-tuned model

Example:
    >>> manifest = read_manifest(Path("runs/steer-sft"))  # doctest: +SKIP
    >>> manifest["stage"], manifest["outputs"]["model"]  # doctest: +SKIP
    ('sft', 'model')
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from nsllm_cli import __version__
from nsllm_cli.artifacts import sha256_file
from nsllm_cli.errors import NsllmError
from nsllm_cli.jsonl import write_json_atomic
from nsllm_cli.steer.training.data import DatasetCheck
from nsllm_cli.steer.training.models import LoadedModels
from nsllm_cli.steer.training.report import TrainReport
from nsllm_cli.steer.training.settings import TrainSettings

if TYPE_CHECKING:
    import torch

FORMAT = "nsllm-steerer"
FORMAT_VERSION = 1


def save_outputs(trainer: Any, report: TrainReport, *, models: LoadedModels, merge: bool) -> None:
    """Write adapter/ (peft) and model/ (merged or full), each through a temporary sibling."""
    out = report.out_dir
    main = trainer.is_world_process_zero()
    if report.peft == "full":
        tmp = _tmp(out, "model")
        trainer.save_model(str(tmp))  # gathers ZeRO-3 shards; collective, so every process calls it
        if main:
            _finish_model_folder(tmp, models.tok)
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
            report.model_dir = merge_adapter(
                models.spec, report.adapter_dir, out / "model", cache=models.cache, dtype=models.dtype
            )
    trainer.accelerator.wait_for_everyone()


def merge_adapter(base: str, adapter: Path, dest: Path, *, cache: Path, dtype: torch.dtype | None = None) -> Path:
    """Merge a peft adapter into a fresh, unquantised copy of `base` (on the CPU) and save it as a model folder.

    Returns:
        `dest`: config.json, model.safetensors, generation config and the tokenizer; loadable by `load_model`.
    """
    import torch
    from peft import PeftModel

    from nsllm_cli.steer.training.models import load_base  # looked up per call: tests replace the loader

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


def write_manifest(
    report: TrainReport, *, settings: TrainSettings, models: LoadedModels, data: DatasetCheck, adapter: Path | None
) -> Path:
    """Write `<out_dir>/manifest.json`: what was trained from what, with which hyper-parameters, and the outputs."""
    from nsllm_cli.runs import environment_info

    def rel(path: Path | None) -> str | None:
        return None if path is None else path.relative_to(report.out_dir).as_posix()

    init = None
    if adapter is not None:
        weights = adapter / "adapter_model.safetensors"
        init = {"path": str(adapter), "sha256": sha256_file(weights) if weights.is_file() else None}
    resolved = models.resolved
    base_config = Path(resolved.source) / "config.json"
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_by": f"nsllm {__version__}",
        "stage": report.stage,
        "peft": report.peft,
        "base_model": {
            "spec": str(settings.model),
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
        "hyperparameters": {**asdict(report.hparams), "seed": settings.seed},
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
