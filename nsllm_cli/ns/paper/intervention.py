"""The neurosymbolic intervention at one position of one layer (spec section 8).

Per item b, at hidden state h = h[b, p]:
    v = Enc(h); t, s = type(v); x, y = numbers(v); gate = s > tau
    r = OP_t(x, y) in Python; m = Dec(enc(r)); h' = (1 - w) m + w h   if gate else h

Only the decoder is trainable. Types, operands and gates are per item: the original applied item 0's
type to the whole batch.

`inject="last"` (the paper) changes the last prompt token only; the answer tokens see it through
attention. `inject="every"` (the spec's off-by-default multi-token intervention) also mixes the same
m into every later position: the answer tokens under teacher forcing, and each decode step of a
`generate` (read once at the prefill, reused at every step), so one position no longer has to carry
a multi-token answer alone.

Example:
    >>> ns = NSIntervention(vsa, enc_w, dec_w, layer=4)
    >>> with attach(model, ns) as handle:  # ns.injection: at ns.layer, + the reads of a multi-layer encoder
    ...     handle.position = prompt_len - 1
    ...     logits = model(**batch).logits
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from nsllm_cli.hooks import get_layers, resolve_layer
from nsllm_cli.ns.paper.encdec import DIGIT_THRESHOLD
from nsllm_cli.ns.problems import solve
from nsllm_cli.ns.vsa import VSA

INJECT_MODES = ("last", "every")


@dataclass
class Decoded:
    """What the intervention read at the last call: per-item type, operands, result and gate."""

    type_idx: torch.Tensor
    score: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    result: torch.Tensor
    gate: torch.Tensor


class NSIntervention(nn.Module):
    """Encoder (frozen) -> symbolic op -> decoder (trainable) -> mix into the residual stream."""

    def __init__(
        self,
        vsa: VSA,
        enc_weight: torch.Tensor,
        dec_weight: torch.Tensor,
        *,
        layer: int,
        gate: float = 0.8,
        mix: float = 0.5,
        complexity: int = 2,
        oracle: bool = False,
        inject: str = "last",
        read_layers: Sequence[int] | None = None,
    ) -> None:
        """Args: gate is tau on the type score; mix is w, the weight kept of the original h; inject is
        "last" (the last prompt token) or "every" (also every later position and decode step);
        read_layers, for a multi-layer encoder, the layers it reads (ascending, ending with `layer`)."""
        if inject not in INJECT_MODES:
            raise ValueError(f"inject must be one of {', '.join(INJECT_MODES)}, not {inject!r}")
        if read_layers is not None and (list(read_layers) != sorted(set(read_layers)) or read_layers[-1] != layer):
            raise ValueError(f"read_layers must ascend and end with the intervened layer {layer}: {read_layers}")
        super().__init__()
        self.vsa = vsa
        self.layer = layer
        self.gate_threshold = gate
        self.mix = mix
        self.complexity = complexity
        self.oracle = oracle
        self.inject = inject
        self.read_layers: list[int] | None = list(read_layers) if read_layers is not None else None
        self._read: dict[int, torch.Tensor] = {}  # earlier read layers' block inputs, this forward
        self.enc_weight: torch.Tensor = enc_weight.float().clone()  # frozen; moved to h's device on use
        self.decoder = nn.Linear(dec_weight.shape[1], dec_weight.shape[0], bias=False)
        with torch.no_grad():
            self.decoder.weight.copy_(dec_weight.float())
        self.last: Decoded | None = None
        self._m: torch.Tensor | None = None  # Dec(result) of the last prefill, reused by decode steps
        self.truth: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None  # (x, y, type) for oracle mode

    def decode(self, h: torch.Tensor) -> Decoded:
        """Read (type, x, y) from h (B, d) and compute each item's result symbolically."""
        with torch.no_grad():
            v = h.float() @ self.enc_weight.T.to(h.device)
            x, y, t, score = self.vsa.decode_problem(v, threshold=DIGIT_THRESHOLD)
            if self.oracle and self.truth is not None:
                x, y, t = (part.to(h.device) for part in self.truth)
                score = torch.ones_like(score)
            types = self.vsa.types
            result = torch.tensor(
                [
                    solve(types[ti], xi, yi, complexity=self.complexity)
                    for ti, xi, yi in zip(t.tolist(), x.tolist(), y.tolist(), strict=True)
                ],
                device=h.device,
            ) % (10**self.vsa.max_digits)
            gate = score > self.gate_threshold
        return Decoded(t, score, x, y, result, gate)

    @property
    def prefill_only(self) -> bool:
        """Whether `generate` should run the hook on the prefill only (inject="last")."""
        return self.inject == "last"

    def forward(self, h: torch.Tensor, h_read: torch.Tensor | None = None) -> torch.Tensor:
        """New hidden states (B, d) for the intervened position; the encoder reads `h_read` if given."""
        d = self.decode(h if h_read is None else h_read)
        self.last = d
        m = self.decoder(self.vsa.encode_number(d.result).to(self.decoder.weight.dtype))
        self._m = m
        return self._mix(m, h, d.gate)

    def _mix(self, m: torch.Tensor, h: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
        """(1 - w) m + w h where the gate is open; m (B, d) broadcasts over h (B, d) or (B, T, d)."""
        if h.dim() == 3:
            m, gate = m.unsqueeze(1), gate.unsqueeze(-1)
        mixed = (1 - self.mix) * m.to(h.dtype) + self.mix * h
        return torch.where(gate.unsqueeze(-1), mixed, h)

    def hook_fn(self, hidden: torch.Tensor, ctx: Any) -> torch.Tensor:
        """For `hooks.intervene`: replace position `ctx.position` (default: last) without in-place edits.

        With inject="every", positions after it get the same m, and a decode step (a later call of
        the same `generate`, ctx.call_index > 0) gets the m read at the prefill.
        """
        if self.inject == "every" and getattr(ctx, "call_index", 0) > 0:
            if self._m is None or self.last is None:
                return hidden
            return self._mix(self._m, hidden, self.last.gate.to(hidden.device))
        position = getattr(ctx, "position", None)
        p = -1 if position is None else int(position)
        p = p % hidden.shape[1]
        h_read = None
        if self.read_layers is not None:
            missing = [layer for layer in self.read_layers[:-1] if layer not in self._read]
            if missing:
                raise RuntimeError(f"layers {missing} were not read: use `attach(model, ns)`, not `intervene`")
            parts = [self._read[layer][:, p].to(hidden.device) for layer in self.read_layers[:-1]]
            h_read = torch.cat([*parts, hidden[:, p]], dim=-1)
        new = self(hidden[:, p], h_read)
        after = hidden[:, p + 1 :]
        if self.inject == "every" and after.shape[1] > 0:
            assert self._m is not None and self.last is not None
            after = self._mix(self._m, after, self.last.gate)
        return torch.cat([hidden[:, :p], new.unsqueeze(1), after], dim=1)

    def trainable_parameters(self) -> int:
        """Parameters that finetune updates (the decoder)."""
        return sum(p.numel() for p in self.decoder.parameters())

    @contextmanager
    def reading(self, model: nn.Module) -> Iterator[None]:
        """Keep the block inputs of the earlier read layers of each forward for the hook (multi-layer encoder)."""
        if not self.read_layers or len(self.read_layers) < 2:
            yield
            return
        blocks = get_layers(model)

        def make(layer: int) -> Any:
            def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
                self._read[layer] = args[0] if args else kwargs["hidden_states"]

            return hook

        handles = [
            blocks[resolve_layer(model, layer)].register_forward_pre_hook(make(layer), with_kwargs=True)
            for layer in self.read_layers[:-1]
        ]
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()
            self._read.clear()
