"""Device and dtype choice: fp32 on CPU (bf16 is 3-5x slower on CPUs without bf16 units), bf16 on GPU."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nsllm_cli.errors import NsllmError

if TYPE_CHECKING:
    import torch


def pick_device(name: str = "auto") -> torch.device:
    """Resolve 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps' to an available torch device."""
    import torch

    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise NsllmError(f"unknown device {name!r}: use auto, cpu, cuda, cuda:N or mps") from exc
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise NsllmError(f"device {name!r} requested but CUDA is not available here; use --device cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise NsllmError(f"device {name!r} does not exist: {torch.cuda.device_count()} CUDA device(s) found")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise NsllmError("device 'mps' requested but MPS is not available here; use --device cpu")
    return device


def pick_dtype(name: str, device: torch.device) -> torch.dtype:
    """'auto' gives float32 on CPU and bfloat16 on accelerators; explicit names pass through."""
    import torch

    if name == "auto":
        return torch.float32 if device.type == "cpu" else torch.bfloat16
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def describe_devices() -> dict[str, object]:
    """What `nsllm env` shows: CUDA devices, MPS and CPU threads."""
    import torch

    cuda = torch.cuda.is_available()
    return {
        "cuda": cuda,
        "cuda_devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else [],
        "mps": bool(torch.backends.mps.is_available()),
        "cpu_threads": torch.get_num_threads(),
        "auto": str(pick_device("auto")),
    }
