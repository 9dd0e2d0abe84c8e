"""Record and intervene on a causal LM's residual stream, as context managers that always clean up.

Index convention (as in `output_hidden_states`): block L's *input* is ``hidden_states[L]``; 0 is the
embeddings. Both managers use forward pre-hooks registered with ``with_kwargs=True``, since the
hidden states may arrive positionally or as the ``hidden_states`` keyword, and both remove their
hooks in ``finally``. Per-call state lives in the handle object, never on the model.

Example:
    >>> with record(model, [4, 17]) as rec:
    ...     model(**batch)
    >>> rec[4].shape           # (B, d) at the last position
    >>> with intervene(model, 17, lambda h, ctx: h * 1.0) as handle:
    ...     handle.position = prompt_len - 1
    ...     model(**batch)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from nsllm_cli.errors import LayerError

_PATHS = ("model.layers", "transformer.h", "gpt_neox.layers", "model.decoder.layers", "layers")


def get_layers(model: nn.Module) -> nn.ModuleList:
    """The list of decoder blocks, found by name (PEFT wrappers are looked through)."""
    roots: list[Any] = [model]
    base = getattr(model, "get_base_model", None)
    if callable(base):
        roots.insert(0, base())
    for root in roots:
        for path in _PATHS:
            obj: Any = root
            for part in path.split("."):
                obj = getattr(obj, part, None)
                if obj is None:
                    break
            if isinstance(obj, nn.ModuleList) and len(obj) > 0:
                return obj
    raise LayerError(f"cannot find the decoder blocks of {type(model).__name__} (looked for {', '.join(_PATHS)})")


def num_layers(model: nn.Module) -> int:
    """Number of decoder blocks."""
    return len(get_layers(model))


def resolve_layer(model: nn.Module, layer: int) -> int:
    """A block index; negative counts from the end."""
    n = num_layers(model)
    if not -n <= layer < n:
        raise LayerError(f"layer {layer} out of range: model has {n} blocks (valid {-n}..{n - 1})")
    return layer % n


def untuple(out: Any) -> torch.Tensor:
    """The hidden-state tensor of a block's input or output (tuple in transformers 4, tensor in 5)."""
    tensor: torch.Tensor = out[0] if isinstance(out, tuple) else out
    return tensor


def retuple(original: Any, new: torch.Tensor) -> Any:
    """`new` in the container type of `original`."""
    return (new, *original[1:]) if isinstance(original, tuple) else new


def _get_hidden(args: tuple[Any, ...], kwargs: dict[str, Any]) -> torch.Tensor:
    return untuple(args[0]) if args else untuple(kwargs["hidden_states"])


def _set_hidden(
    args: tuple[Any, ...], kwargs: dict[str, Any], new: torch.Tensor
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    if args:
        return (retuple(args[0], new), *args[1:]), kwargs
    return args, {**kwargs, "hidden_states": retuple(kwargs["hidden_states"], new)}


@contextmanager
def record(
    model: nn.Module, layers: Sequence[int], *, position: int | None = -1, every_call: bool = False
) -> Iterator[dict[int, Any]]:
    """Record block inputs (= hidden_states[L]); detached, cloned, on CPU.

    Args:
        position: one position -> (B, d); None -> the full (B, T, d).
        every_call: keep a list of every forward call (e.g. each generate step) instead of the first.
    """
    blocks = get_layers(model)
    indices = [resolve_layer(model, layer) for layer in layers]
    rec: dict[int, Any] = {}
    handles = []

    def make(layer: int) -> Callable[..., None]:
        def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            h = _get_hidden(args, kwargs)
            value = (h if position is None else h[:, position]).detach().clone().cpu()
            if every_call:
                rec.setdefault(layer, []).append(value)
            elif layer not in rec:
                rec[layer] = value

        return hook

    try:
        for layer, index in zip(layers, indices, strict=True):
            handles.append(blocks[index].register_forward_pre_hook(make(layer), with_kwargs=True))
        yield rec
    finally:
        for handle in handles:
            handle.remove()


@dataclass
class InterventionHandle:
    """State of one intervention: where to act (`position`), and how many forward calls it has seen."""

    position: int | None = None
    calls: int = 0
    applied: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def reset(self) -> None:
        """Re-arm for the next generate/forward: the next call counts as a prefill again."""
        self.calls = 0

    @property
    def call_index(self) -> int:
        return self.calls


@contextmanager
def intervene(
    model: nn.Module,
    layer: int,
    fn: Callable[[torch.Tensor, InterventionHandle], torch.Tensor],
    *,
    prefill_only: bool = True,
) -> Iterator[InterventionHandle]:
    """Replace block `layer`'s input with `fn(hidden, handle)`; `handle.position` tells fn where.

    With `prefill_only`, fn runs on the first forward call after entry or `reset()` (the prefill of a
    generate call, or the single teacher-forced pass); later decode steps are untouched and see the
    change only through the KV cache.
    """
    block = get_layers(model)[resolve_layer(model, layer)]
    handle = InterventionHandle()

    def hook(
        module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        index = handle.calls
        handle.calls += 1
        if prefill_only and index > 0:
            return args, kwargs
        handle.applied += 1
        return _set_hidden(args, kwargs, fn(_get_hidden(args, kwargs), handle))

    registered = block.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        yield handle
    finally:
        registered.remove()
