"""Train the CodeSteer steering model: multi-round SFT, then DPO, with trl (engine; no Typer/Rich/Textual).

`train_steerer(TrainSettings("sft", ...))` runs trl's `SFTTrainer` with the loss on **every assistant turn** of each
conversation; `TrainSettings("dpo", ...)` runs trl's `DPOTrainer` (sigmoid loss) on preference pairs, usually
starting from the SFT adapter (`init_adapter`). Both validate the JSONL before loading any model (bad lines are
reported with their line numbers and skipped; no usable record is a one-line `DataError`), write
LLaMA-Factory-style records to `metrics.jsonl`, checkpoint under `<out_dir>/checkpoints` and resume from the last
checkpoint.

One concept per module:
- `presets`: `HParams`, the `paper` and `cpu` presets, `resolve_hparams`, `ZERO3_CONFIG`;
- `settings`: `TrainSettings`, the one value a run is configured by;
- `data`: JSONL checks, the seeded eval split and the SFT assistant mask;
- `models`: loading the base, peft wrapping, DPO's reference;
- `trainer`: building trl's `SFTTrainer` / `DPOTrainer`;
- `callbacks`: `MetricsCallback` (metrics.jsonl, the stop flag);
- `save`: adapter, merged model and manifest;
- `report`: `TrainReport`;
- `run`: `train_steerer`, which ties them together.

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
Passing it as the `deepspeed` hyper-parameter instead (`overrides={"deepspeed": str(ZERO3_CONFIG)}`) works with a
plain `accelerate launch --num_processes 4`. DeepSpeed itself is not a dependency of nsllm (`pip install deepspeed`).
The effective batch is batch_size x grad_accum x the number of processes. Only the main process writes metrics,
outputs and the manifest.

Importing this package loads nothing heavy: torch, transformers, trl and peft are imported when a run starts.

Example:
    >>> from pathlib import Path
    >>> sft_settings = TrainSettings("sft", "embedded", Path("sft.jsonl"), Path("runs/steer-sft"))
    >>> sft = train_steerer(sft_settings)  # doctest: +SKIP
    >>> dpo = train_steerer(TrainSettings("dpo", "embedded", Path("dpo.jsonl"), Path("runs/steer-dpo"),
    ...                                   init_adapter=sft.adapter_dir))  # doctest: +SKIP
    >>> dpo.steer_spec  # doctest: +SKIP
    'local:runs/steer-dpo/model'
"""

from nsllm_cli.steer.training.data import DatasetCheck, sft_features, split_records, validate_dataset
from nsllm_cli.steer.training.presets import (
    PRESETS,
    STAGES,
    ZERO3_CONFIG,
    HParams,
    PeftMode,
    Stage,
    describe_presets,
    resolve_hparams,
)
from nsllm_cli.steer.training.report import TrainReport
from nsllm_cli.steer.training.run import last_checkpoint, train_steerer
from nsllm_cli.steer.training.save import FORMAT, FORMAT_VERSION, merge_adapter, read_manifest
from nsllm_cli.steer.training.settings import TrainSettings

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "PRESETS",
    "STAGES",
    "ZERO3_CONFIG",
    "DatasetCheck",
    "HParams",
    "PeftMode",
    "Stage",
    "TrainReport",
    "TrainSettings",
    "describe_presets",
    "last_checkpoint",
    "merge_adapter",
    "read_manifest",
    "resolve_hparams",
    "sft_features",
    "split_records",
    "train_steerer",
    "validate_dataset",
]
