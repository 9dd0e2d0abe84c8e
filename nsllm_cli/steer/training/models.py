"""The models a steering-model run trains: the base, its peft wrapping, and DPO's frozen reference.

`load_models` turns the settings into a `LoadedModels` bundle: the device and precision are chosen once here, the
base is loaded (4-bit for qlora), wrapped with a fresh or given LoRA adapter, and for a full-fine-tune DPO a second,
frozen copy of the base is loaded as the reference. The checks that need no model (`require_cuda`, `find_adapter`)
run before any of this, so their errors come in seconds.

Example:
    >>> loaded = load_models(settings, hp, adapter=None)  # doctest: +SKIP
    >>> loaded.policy.print_trainable_parameters()  # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nsllm_cli.errors import ConfigError, ModelNotFoundError, NsllmError
from nsllm_cli.steer.training.presets import HParams, PeftMode
from nsllm_cli.steer.training.settings import TrainSettings

if TYPE_CHECKING:
    import torch

    from nsllm_cli.models.resolve import ResolvedModel


@dataclass(frozen=True)
class LoadedModels:
    """The models, tokenizer and precision of one training run."""

    policy: Any
    """The model to train: the base itself (full) or a peft model around it."""
    ref: Any
    """DPO full fine-tune: a frozen copy of the base; None otherwise (LoRA DPO: trl freezes the initial adapter)."""
    tok: Any
    resolved: ResolvedModel
    spec: str
    """The base model spec without a `local:` prefix (what merging loads again)."""
    cache: Path
    """Where the embedded/tiny models live."""
    device: torch.device
    bf16: bool
    dtype: torch.dtype


def load_models(settings: TrainSettings, hp: HParams, adapter: Path | None) -> LoadedModels:
    """Pick the device and precision, load the base (and DPO's reference) and wrap it for `hp.peft`."""
    import torch
    from transformers import set_seed

    from nsllm_cli.models.device import pick_device

    dev = pick_device(settings.device)
    bf16 = hp.bf16 if hp.bf16 is not None else (dev.type == "cuda" and torch.cuda.is_bf16_supported())
    dtype = torch.bfloat16 if bf16 else torch.float32
    cache = settings.model_cache if settings.model_cache is not None else _default_cache()
    spec = str(settings.model).removeprefix("local:")
    base, tok, resolved = load_base(spec, cache=cache, device=dev, dtype=dtype, quantize_4bit=hp.peft == "qlora")
    set_seed(settings.seed)
    policy = _wrap(base, hp, adapter)
    ref = None
    if settings.stage == "dpo" and hp.peft == "full":
        ref, _, _ = load_base(spec, cache=cache, device=dev, dtype=dtype, quantize_4bit=False)
    return LoadedModels(policy, ref, tok, resolved, spec, cache, dev, bf16, dtype)


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


def _default_cache() -> Path:
    from nsllm_cli.config import load_settings

    return load_settings(None).cache_dir


def require_cuda(device: str) -> None:
    """qlora trains a 4-bit base: refuse it before anything heavy is loaded when no CUDA GPU is in reach."""
    import torch

    if device == "cpu" or device == "mps" or not torch.cuda.is_available():
        raise NsllmError("peft 'qlora' needs a CUDA GPU (none is available here): use --peft lora on a CPU")


def find_adapter(path: Path, peft: PeftMode) -> Path:
    """The peft adapter folder at `path` or in its `adapter/`.

    Raises:
        ConfigError: a full fine-tune (which continues from a model folder instead), or no adapter there.
    """
    if peft == "full":
        raise ConfigError(
            "init_adapter needs peft lora or qlora; for a full fine-tune pass the SFT run's model/ folder as the model"
        )
    for candidate in (path, path / "adapter"):
        if (candidate / "adapter_config.json").is_file():
            return candidate
    raise ConfigError(f"{path} is not a peft adapter folder (no adapter_config.json in it or in {path / 'adapter'})")
