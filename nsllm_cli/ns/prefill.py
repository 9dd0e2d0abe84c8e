"""One batched prefill over left-padded prompts, keeping the states of the requested layers: both gathers use it.

Prompts are left-padded with an attention mask and explicit position ids, so position -1 is every item's last
prompt token and a padded item gets the same hidden states as it would alone (the original's shortest-prompt bug
cannot happen). The forward stops at the highest requested block: reading block 4 of 30 runs 4 blocks.

Example:
    >>> states, ids = prefill_states(model, tok, prompts, [4, 8])       # (B, T, d) per layer
    >>> last = prefill_hidden(model, tok, prompts, [4, 17])             # (B, d) at the last prompt token
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


class _StopForward(Exception):
    """Raised by a pre-hook once every requested layer is recorded: the blocks above are not needed."""


def _left_padded(
    model: PreTrainedModel, tok: PreTrainedTokenizerBase, prompts: Sequence[str]
) -> tuple[Any, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The tokenizer's output with left padding (its padding side restored), and the input ids, attention mask
    and position ids (from the mask) on the model's device: each row matches its unpadded run."""
    side = tok.padding_side
    tok.padding_side = "left"
    try:
        enc = tok(list(prompts), return_tensors="pt", padding=True, add_special_tokens=False)
    finally:
        tok.padding_side = side
    device = next(model.parameters()).device
    ids, mask = enc["input_ids"].to(device), enc["attention_mask"].to(device)
    return enc, ids, mask, (mask.cumsum(-1) - 1).clamp(min=0)


def prefill_hidden(
    model: PreTrainedModel, tok: PreTrainedTokenizerBase, prompts: Sequence[str], layers: Sequence[int]
) -> dict[int, torch.Tensor]:
    """Hidden states `hidden_states[L]` at the last prompt token for each layer, shape (B, d).

    Left padding + attention mask + position ids from the mask: each row matches its unpadded run.
    When every requested layer is a block input (none is the output after the final norm), the
    forward pass stops at the highest one (`prefill_states`): reading layer 4 of 30 runs 4 blocks,
    not 30. Otherwise only the last position's logits are computed (`logits_to_keep=1`), since none
    are needed.
    """
    import torch

    from nsllm_cli.hooks import get_layers

    if max(layers) < len(get_layers(model)):
        return prefill_states(model, tok, prompts, layers, position=-1)[0]
    _, ids, mask, positions = _left_padded(model, tok, prompts)
    with torch.inference_mode():
        out = model(
            input_ids=ids, attention_mask=mask, position_ids=positions, output_hidden_states=True, logits_to_keep=1
        )
    return {layer: out.hidden_states[layer][:, -1, :].float().cpu() for layer in layers}


def prefill_states(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    layers: Sequence[int],
    *,
    position: int | None = None,
) -> tuple[dict[int, torch.Tensor], list[list[int]]]:
    """Block inputs `hidden_states[L]` at every position, (B, T, d) left-padded, and each prompt's own ids.

    Runs only the blocks below the highest requested layer (which must be a block input). `position`
    keeps one token position instead, (B, d) (-1: the last prompt token).
    """
    import torch

    from nsllm_cli.hooks import get_layers, record

    enc, ids, mask, positions = _left_padded(model, tok, prompts)
    blocks = get_layers(model)

    def stop(module: Any, args: Any, kwargs: Any) -> None:
        raise _StopForward

    with torch.inference_mode(), record(model, list(layers), position=position) as rec:
        handle = blocks[max(layers)].register_forward_pre_hook(stop, with_kwargs=True)
        try:
            model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=False)
        except _StopForward:
            pass
        finally:
            handle.remove()
    own = [row[m.bool()].tolist() for row, m in zip(enc["input_ids"], enc["attention_mask"], strict=True)]
    return {layer: rec[layer].float() for layer in layers}, own


def resolve_layers(spec: str | Sequence[int], n_layers: int) -> list[int]:
    """'all' -> 0..n_layers (n_layers = after the final norm); negative indices count from the end."""
    from nsllm_cli.errors import LayerError

    if isinstance(spec, str):
        if spec != "all":
            raise LayerError(f"invalid layers {spec!r}: use 'all' or a list of indices")
        return list(range(n_layers + 1))
    out = []
    for layer in spec:
        index = layer + n_layers + 1 if layer < 0 else layer
        if not 0 <= index <= n_layers:
            raise LayerError(
                f"layer {layer} out of range: hidden states are indexed 0..{n_layers} "
                f"(0 = embeddings, {n_layers} = after the final norm)"
            )
        out.append(index)
    return sorted(set(out))
