"""Record and intervene on the residual stream of a causal LM with forward pre-hooks.

Index convention (spec §6): layer ``L`` is the residual stream *entering* decoder block ``L``, which is
exactly ``hidden_states[L]`` of ``output_hidden_states`` (``hidden_states[0]`` = embeddings). The last
entry, ``hidden_states[n_layers]``, is the output after the final norm: it is no block's input, so it
cannot be hooked and ``n_layers`` is out of range here.

Both context managers register a ``register_forward_pre_hook(..., with_kwargs=True)`` on ``__enter__``
(hidden states may arrive positionally or as the ``hidden_states`` keyword) and remove it in
``finally``. They nest; hooks on the same block run in registration order, so a ``record`` opened
inside an ``intervene`` at the same layer sees the intervened input, and one opened outside it sees
the original. Per-call state lives in the handle objects, never on the model.

Example:
    >>> with record(model, [0, -1]) as rec:
    ...     model(**batch)
    >>> rec[-1].shape  # (B, d) at the last position, on CPU
    torch.Size([2, 64])
    >>> with intervene(model, 1, lambda h, ctx: h * 0.5) as handle:
    ...     handle.position = prompt_len - 1  # read by fn through ctx.position
    ...     ids = model.generate(**batch, max_new_tokens=3)  # fn runs on the prefill only
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import reduce
from typing import Any, Literal, overload

import torch
from torch import nn

from nsllm_cli.errors import LayerError

__all__ = [
    "InterventionContext",
    "InterventionHandle",
    "Recording",
    "get_layers",
    "intervene",
    "num_layers",
    "record",
    "resolve_layer",
    "retuple",
    "untuple",
]

_LAYER_PATHS = ("model.layers", "transformer.h", "gpt_neox.layers", "model.decoder.layers", "layers")
_HookResult = tuple[tuple[Any, ...], dict[str, Any]] | None


def _attr(obj: Any, path: str) -> Any:
    """``obj.a.b`` for ``path == "a.b"``, or None when any step is missing."""
    try:
        return reduce(getattr, path.split("."), obj)
    except AttributeError:
        return None


def get_layers(model: nn.Module) -> nn.ModuleList:
    """The decoder blocks of `model` (Llama-, GPT-2-, GPT-NeoX-, OPT-style, or peft-wrapped).

    Raises:
        LayerError: when no known block list is found.
    """
    base_getter = getattr(model, "get_base_model", None)
    candidates = [model, base_getter() if callable(base_getter) else None]
    candidates += [_attr(model, "base_model"), _attr(model, "base_model.model")]  # peft LoraModel and friends
    for candidate in candidates:
        for path in _LAYER_PATHS:
            found = _attr(candidate, path)
            if isinstance(found, nn.ModuleList) and len(found) > 0:
                return found
    raise LayerError(f"cannot find the decoder blocks of {type(model).__name__} (tried {', '.join(_LAYER_PATHS)})")


def num_layers(model: nn.Module) -> int:
    """Number of decoder blocks."""
    return len(get_layers(model))


def resolve_layer(model: nn.Module, layer: int) -> int:
    """Block index in ``0..n-1``; negative indices count from the end.

    Raises:
        LayerError: naming the valid range when `layer` is out of it.
    """
    n = num_layers(model)
    if not -n <= layer < n:
        hint = " (hidden_states[n] is after the final norm, not a block input)" if layer == n else ""
        raise LayerError(f"layer {layer} out of range: model has {n} blocks (valid {-n}..{n - 1}){hint}")
    return layer % n


def untuple(out: Any) -> torch.Tensor:
    """The hidden-state tensor of a block input/output: ``out[0]`` for a tuple or list, else `out`."""
    value = out[0] if isinstance(out, tuple | list) else out
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"expected a tensor or a tuple starting with one, got {type(out).__name__}")
    return value


def retuple(original: Any, new: torch.Tensor) -> Any:
    """`new` in the container shape of `original`: ``(new, *rest)`` for a tuple, `new` for a tensor."""
    if isinstance(original, tuple | list):
        return type(original)([new, *original[1:]])
    return new


def _hidden(args: tuple[Any, ...], kwargs: dict[str, Any]) -> torch.Tensor:
    return untuple(kwargs["hidden_states"] if "hidden_states" in kwargs else args)


def _with_hidden(args: tuple[Any, ...], kwargs: dict[str, Any], new: torch.Tensor) -> _HookResult:
    """New (args, kwargs) carrying `new` where the hidden states came in; the received ones are untouched."""
    if "hidden_states" in kwargs:
        return args, {**kwargs, "hidden_states": retuple(kwargs["hidden_states"], new)}
    return (new, *args[1:]), kwargs


class Recording(dict[int, torch.Tensor]):
    """Recorded block inputs by block index; negative keys count from the end."""

    def __init__(self, n_layers: int) -> None:
        super().__init__()
        self.n_layers = n_layers

    def __missing__(self, key: int) -> torch.Tensor:
        if isinstance(key, int) and -self.n_layers <= key < 0:
            return self[key + self.n_layers]
        raise KeyError(key)


@overload
def record(
    model: nn.Module, layers: Sequence[int], *, position: int | None = -1, every_call: Literal[False] = False
) -> AbstractContextManager[Recording]: ...
@overload
def record(
    model: nn.Module, layers: Sequence[int], *, position: int | None = -1, every_call: Literal[True]
) -> AbstractContextManager[dict[int, list[torch.Tensor]]]: ...
def record(
    model: nn.Module, layers: Sequence[int], *, position: int | None = -1, every_call: bool = False
) -> AbstractContextManager[Any]:
    """Record the residual stream entering the given blocks (``hidden_states[L]``).

    Args:
        model: A causal LM (see `get_layers`).
        layers: Block indices; negative ones count from the end. Keys of the result are ``0..n-1``.
        position: Token position to keep, giving ``(B, d)``; ``None`` keeps ``(B, T, d)``.
        every_call: By default only the first forward call of each block inside the ``with`` is
            recorded (the prefill of a ``generate``). ``True`` yields a list per layer, one entry per
            call (decode steps have T == 1, so use position -1 or None).

    Returns:
        A context manager yielding ``{layer: tensor}`` (a `Recording`), filled while the model runs;
        tensors are detached CPU copies. Hooks are removed on exit, also on error.

    Raises:
        LayerError: for a layer the model does not have.
    """
    return _record(model, layers, position, every_call)


@contextmanager
def _record(
    model: nn.Module, layers: Sequence[int], position: int | None, every_call: bool
) -> Iterator[Recording | dict[int, list[torch.Tensor]]]:
    blocks = get_layers(model)
    resolved = list(dict.fromkeys(resolve_layer(model, layer) for layer in layers))
    first = Recording(len(blocks))
    every: dict[int, list[torch.Tensor]] = {layer: [] for layer in resolved}

    def make_hook(layer: int) -> Callable[[nn.Module, tuple[Any, ...], dict[str, Any]], None]:
        def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            if not every_call and layer in first:
                return
            h = _hidden(args, kwargs)
            kept = (h if position is None else h[:, position]).detach().to("cpu", copy=True)
            if every_call:
                every[layer].append(kept)
            else:
                first[layer] = kept

        return hook

    handles = []
    try:
        for layer in resolved:
            handles.append(blocks[layer].register_forward_pre_hook(make_hook(layer), with_kwargs=True))
        yield every if every_call else first
    finally:
        for handle in handles:
            handle.remove()


class InterventionHandle:
    """Per-``with`` state of one intervention; attributes the caller sets are visible to `fn` via the context."""

    def __init__(self, layer: int, *, prefill_only: bool) -> None:
        self.layer = layer
        self.prefill_only = prefill_only
        self.position: int | None = None
        self.extra: dict[str, Any] = {}
        self.calls = 0
        self.applied = 0

    def reset(self) -> None:
        """Re-arm before the next ``generate``: `calls` and `applied` go back to 0 (`position` is kept)."""
        self.calls = 0
        self.applied = 0


class InterventionContext:
    """What `fn` sees besides the hidden states; unknown attributes are read from the handle."""

    def __init__(self, handle: InterventionHandle, call_index: int) -> None:
        self.handle = handle
        self.call_index = call_index
        self.layer = handle.layer
        self.position = handle.position

    def __getattr__(self, name: str) -> Any:
        if name == "handle":
            raise AttributeError(name)
        return getattr(self.handle, name)


@contextmanager
def intervene(
    model: nn.Module,
    layer: int,
    fn: Callable[[torch.Tensor, InterventionContext], torch.Tensor],
    *,
    prefill_only: bool = True,
) -> Iterator[InterventionHandle]:
    """Replace the residual stream entering block `layer` with ``fn(hidden, ctx)``.

    `fn` gets the block input ``(B, T, d)`` and must return a new tensor of the same shape; editing
    its input in place raises ``RuntimeError``. ``ctx.call_index`` counts forward calls of the block
    since entry or the last ``handle.reset()``; 0 is the prefill. With `prefill_only`, `fn` runs on
    call 0 only, so inside one ``generate`` the decode steps are untouched (they see the change
    through the KV cache); call ``handle.reset()`` before each further ``generate``.

    Args:
        model: A causal LM (see `get_layers`).
        layer: Block index; negative counts from the end.
        fn: The intervention; gradients flow through its result.
        prefill_only: Run `fn` on the first call per reset cycle only.

    Yields:
        The handle: set ``handle.position`` (or any attribute) for `fn`; read ``calls``/``applied``.

    Raises:
        LayerError: for a layer the model does not have.
    """
    resolved = resolve_layer(model, layer)
    block = get_layers(model)[resolved]
    state = InterventionHandle(resolved, prefill_only=prefill_only)

    def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _HookResult:
        index = state.calls
        state.calls += 1
        if state.prefill_only and index > 0:
            return None
        h = _hidden(args, kwargs)
        version = None if h.is_inference() else h._version
        new = fn(h, InterventionContext(state, index))
        state.applied += 1
        if version is not None and h._version != version:
            raise RuntimeError("the intervention modified the hidden states in place; return a new tensor")
        if new.shape != h.shape:
            raise ValueError(f"the intervention returned shape {tuple(new.shape)}, expected {tuple(h.shape)}")
        return _with_hidden(args, kwargs, new)

    handle = block.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        yield state
    finally:
        handle.remove()
