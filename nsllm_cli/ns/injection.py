"""Attaching a neurosymbolic model of either recipe, or an adapter, to a model's forward.

Anything with a `layer`, a `hook_fn(hidden, ctx)` and optionally `reading(model)` (the read layers it needs) and
`prefill_only` attaches the same way: the paper's `NSIntervention`, the steps recipe's `StepwiseNS` and the
bottleneck adapter. Serving, chat, bench and the trainers attach through here without knowing the recipe.

Example:
    >>> with attach(model, ns) as handle:
    ...     handle.position = prompt_len - 1
    ...     logits = model(**batch).logits
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from torch import nn

from nsllm_cli.hooks import InterventionHandle, intervene


@contextmanager
def attach(model: nn.Module, module: Any, *, prefill_only: bool | None = None) -> Iterator[InterventionHandle]:
    """`intervene` with an NS intervention or an adapter, plus the reads a multi-layer encoder needs.

    `prefill_only` defaults to the module's own (`inject="last"`: prefill only; `"every"`: every step).
    """
    with ExitStack() as stack:
        reading = getattr(module, "reading", None)
        if reading is not None:
            stack.enter_context(reading(model))
        only = getattr(module, "prefill_only", True) if prefill_only is None else prefill_only
        yield stack.enter_context(intervene(model, module.layer, module.hook_fn, prefill_only=only))
