"""The neurosymbolic model that works on digit-by-digit tokenizers (the default recipe, "steps").

Per prompt, on the prefill pass of one forward:
1. **read**: block inputs of the read layers at every token of the last user turn go through the
   `SpanReader` → (type, x, y) and the gate (closed for non-math, other maths and anything the reader
   does not recognise as one of the trained operations);
2. **compute**: r = OP_type(x, y) in Python, exactly, then reduced by the modulus where one was read ("x times y mod
   1000", "x times y mod 7"; "x times y" is the whole product);
3. **write**: at the write layer, at answer step k (the last prompt token is step 0, then each decode
   step), add ``Dec_W(code_k)`` to the block input, where code_k is the k-th digit of r unbound from its
   HRR code (then the end code; see `writer`).

The gate is decided once per prompt at the prefill and held for the whole answer. Where it is closed,
the hook returns its input unchanged (the same tensor), so the model's output is bit-identical to the
plain model's. Only `Dec_W` trains; the LLM and the reader are frozen.

The hook object has the interface `injection.attach` expects (`layer`, `hook_fn`, `reading`,
`prefill_only`), so bench, chat, serve and the providers use it like the paper's intervention.

Example:
    >>> ns = StepwiseNS(vsa, reader, writer, read_layers=[3, 6], write_layer=26, header=user_header_ids(tok))
    >>> with attach(model, ns):
    ...     out = model.generate(**enc, max_new_tokens=8)
    >>> ns.last.x, ns.last.gate
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import nn

from nsllm_cli.hooks import get_layers, resolve_layer
from nsllm_cli.ns.problems import MODULUS_REQUIRED, apply
from nsllm_cli.ns.steps.reader import GATE, SpanReader
from nsllm_cli.ns.steps.spans import query_start
from nsllm_cli.ns.steps.writer import StepWriter, step_codes
from nsllm_cli.ns.vsa import VSA


def _token_mask(spans: Sequence[torch.Tensor], token_ids: Sequence[int]) -> list[torch.Tensor] | None:
    """Per span (token ids), which of its tokens are among `token_ids`; None when `token_ids` is empty (unknown)."""
    if not token_ids:
        return None
    table = torch.tensor(list(token_ids))
    return [torch.isin(ids.long().cpu(), table) for ids in spans]


def _symbolic(problem_type: str, x: int, y: int, modulus: int | None) -> int | None:
    """`apply`, with None for a power too long to compute (x^y without a modulus): the symbolic step never raises."""
    try:
        return apply(problem_type, x, y, modulus)
    except OverflowError:
        return None


@dataclass
class StepDecoded:
    """What the hook read and wrote at the last prefill, per item (for bench samples and the chat)."""

    type_idx: torch.Tensor
    score: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    result: torch.Tensor
    gate: torch.Tensor
    reason: list[str] | None = None
    modulus: list[int | None] | None = None

    def item(self, b: int, types: Sequence[str]) -> dict[str, Any]:
        """One item as JSON: type name, operands, modulus (None: none read), type probability, gate, the result
        written and why the gate is shut ("open" where it opened)."""
        return {
            "type": types[int(self.type_idx[b])],
            "x": int(self.x[b]),
            "y": int(self.y[b]),
            "m": self.modulus[b] if self.modulus is not None else None,
            "score": round(float(self.score[b]), 4),
            "gate": bool(self.gate[b]),
            "result": int(self.result[b]) if bool(self.gate[b]) else None,
            "reason": self.reason[b] if self.reason is not None else ("open" if bool(self.gate[b]) else "shut"),
        }


class StepwiseNS(nn.Module):
    """Reader (frozen) → symbolic op → step codes → `StepWriter` (trainable), added at the write layer."""

    stepwise = True
    prefill_only = False

    def __init__(
        self,
        vsa: VSA,
        reader: SpanReader,
        writer: StepWriter,
        *,
        types: Sequence[str],
        read_layers: Sequence[int],
        write_layer: int,
        header: Sequence[int],
        gate: float = GATE,
        complexity: int = 2,
        max_steps: int = 8,
        oracle: bool = False,
        digit_ids: Sequence[int] = (),
        minus_ids: Sequence[int] = (),
    ) -> None:
        """Args: types are the reader's type classes (names, in its order); read_layers the block inputs
        the reader sees (all before `write_layer`); header the user-turn header ids (`spans.user_header_ids`);
        gate the type probability above which the hook writes; max_steps the answer tokens it can write;
        oracle (an ablation) makes bench and finetune give the true (type, x, y) instead of the reader's;
        digit_ids the tokenizer's one-digit tokens (`spans.digit_token_ids`; empty: the digit head alone decides);
        minus_ids its minus-sign tokens (`spans.minus_token_ids`; empty: a negative operand is not noticed)."""
        if not read_layers or max(read_layers) >= write_layer:
            raise ValueError(f"the read layers {list(read_layers)} must all come before the write layer {write_layer}")
        super().__init__()
        self.vsa, self.reader, self.writer = vsa, reader, writer
        self.types = tuple(types)
        self.read_layers = sorted(set(read_layers))
        self.layer = write_layer
        self.header = list(header)
        self.gate_threshold = gate
        self.complexity = complexity
        self.max_steps = max_steps
        self.oracle = oracle
        self.digit_ids = sorted(int(i) for i in digit_ids)
        self.minus_ids = sorted(int(i) for i in minus_ids)
        self.shuffle: torch.Generator | None = None
        """Counterfactual check: when set, each prefill hands the items' results to one another (a seeded
        derangement among the open-gate items), so a bench can see whether the output follows what was written."""
        self.forced: StepDecoded | None = None
        """Set by training: use this read instead of the reader (the reads are computed once per question)."""
        self.last: StepDecoded | None = None
        self._states: dict[int, torch.Tensor] = {}
        self._ids: torch.Tensor | None = None
        self._delta: torch.Tensor | None = None  # (B, S, d) writes of the current generation
        self._lengths: torch.Tensor | None = None
        self._step = 0
        for p in self.reader.parameters():
            p.requires_grad_(False)

    def trainable_parameters(self) -> int:
        """Parameters that finetune updates (the writer)."""
        return sum(p.numel() for p in self.writer.parameters())

    @contextmanager
    def reading(self, model: nn.Module) -> Iterator[None]:
        """Keep the prompt ids and the read layers' block inputs of each forward for the hook."""
        blocks = get_layers(model)

        def keep_ids(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            ids = kwargs.get("input_ids", args[0] if args else None)
            if ids is not None and ids.shape[1] > 1:
                self._ids = ids

        def make(layer: int) -> Any:
            def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
                h = args[0] if args else kwargs["hidden_states"]
                if h.shape[1] > 1:
                    self._states[layer] = h

            return hook

        handles = [model.register_forward_pre_hook(keep_ids, with_kwargs=True)]
        handles += [
            blocks[resolve_layer(model, layer)].register_forward_pre_hook(make(layer), with_kwargs=True)
            for layer in self.read_layers
        ]
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()
            self._states.clear()
            self._ids = None

    def features(self, states: dict[int, torch.Tensor], ids: torch.Tensor, last: int) -> list[torch.Tensor]:
        """Per item, the reader's input: the read layers' block inputs over the question span up to `last`."""
        out = []
        for b in range(ids.shape[0]):
            start = query_start(ids[b, : last + 1].tolist(), self.header)
            out.append(torch.cat([states[layer][b, start : last + 1] for layer in self.read_layers], dim=-1))
        return out

    def digit_ok(self, spans: Sequence[torch.Tensor]) -> list[torch.Tensor] | None:
        """Per question span (token ids), which tokens are digit tokens; None when the digit ids are unknown."""
        return _token_mask(spans, self.digit_ids)

    def minus_at(self, spans: Sequence[torch.Tensor]) -> list[torch.Tensor] | None:
        """Per question span (token ids), which tokens are minus signs; None when the minus ids are unknown."""
        return _token_mask(spans, self.minus_ids)

    def spans(self, ids: torch.Tensor, last: int) -> list[torch.Tensor]:
        """Per item, the question span's token ids up to `last` (the tokens `features` returns states of)."""
        return [ids[b, query_start(ids[b, : last + 1].tolist(), self.header) : last + 1] for b in range(ids.shape[0])]

    def decide(self, feats: Sequence[torch.Tensor], spans: Sequence[torch.Tensor] | None = None) -> StepDecoded:
        """Read each item, gate it and compute its result symbolically, reduced by the modulus it read (if any)."""
        digit_ok = self.digit_ok(spans) if spans is not None else None
        minus = self.minus_at(spans) if spans is not None else None
        read = self.reader.read(
            [f.detach().float() for f in feats], gate=self.gate_threshold, digit_ok=digit_ok, minus=minus
        )
        moduli = read.modulus or [None] * len(read.reason)
        return self.compute(read.type_idx, read.type_prob, read.x, read.y, read.gate, read.reason, moduli)

    def unwritable(self, result: int) -> str | None:
        """Why the writer cannot spell `result` (None: it can): a negative number where the run trains no operation
        that gives one (its writer never learnt the minus code), or more digits than its steps (the sign and the end
        take one each) and the atoms' digit slots hold. Writing part of it would end in digits the model invents."""
        if result < 0 and not self.signed:
            return "negative result"
        digits = len(str(abs(result)))
        if digits > self.vsa.max_digits or digits + (result < 0) + 1 > self.max_steps:
            return "result too long"
        return None

    def _why_shut(self, problem_type: str, result: int | None, modulus: int | None) -> str | None:
        """Why an item the reader opened stays shut after the symbolic step (None: it is written)."""
        if problem_type in MODULUS_REQUIRED and modulus is None:
            # "pow(956, 2) % 631" read without its modulus would write 956^2: a power modulo always names one
            return "no modulus read"
        return "result too long" if result is None else self.unwritable(result)

    @property
    def signed(self) -> bool:
        """Whether the run trains an operation with negative results (subtraction), so its writer knows the minus."""
        return "subtraction" in self.types

    def compute(
        self,
        type_idx: torch.Tensor,
        score: torch.Tensor,
        x: torch.Tensor,
        y: torch.Tensor,
        gate: torch.Tensor,
        reasons: Sequence[str] | None = None,
        moduli: Sequence[int | None] | None = None,
    ) -> StepDecoded:
        """The symbolic step: r = OP_type(x, y) per item, reduced by its modulus where one was read (0 where the gate
        is closed); the gate shuts where the writer cannot spell r (`unwritable`, which then is the reason).
        `reasons` are the read's, one per item (default: "open" or "shut")."""
        mods: list[int | None] = list(moduli) if moduli is not None else [None] * len(gate)
        raw: list[int | None] = [
            _symbolic(self.types[int(t)], int(a), int(b), m or None) if bool(g) else 0
            for t, a, b, g, m in zip(type_idx, x, y, gate, mods, strict=True)
        ]
        why = [
            self._why_shut(self.types[int(t)], r, m) if bool(g) else None
            for t, r, g, m in zip(type_idx, raw, gate, mods, strict=True)
        ]
        open_ = torch.tensor([bool(g) and w is None for g, w in zip(gate, why, strict=True)], dtype=torch.bool)
        result = torch.tensor([r if bool(o) and r is not None else 0 for r, o in zip(raw, open_, strict=True)],
                              dtype=torch.long)  # fmt: skip
        given = list(reasons) if reasons is not None else ["open" if bool(g) else "shut" for g in gate]
        reason = [w or r for w, r in zip(why, given, strict=True)]
        return StepDecoded(
            type_idx.long(), score.float(), x.long(), y.long(), result, open_.to(gate.device), reason, mods
        )

    def truth(self, problems: Sequence[tuple[str, int, int, int | None]]) -> StepDecoded:
        """The oracle read of (type, x, y, modulus) questions: the gate open exactly on the reader's trained types."""
        known = [p[0] in self.types for p in problems]
        return self.compute(
            torch.tensor([self.types.index(p[0]) if k else 0 for p, k in zip(problems, known, strict=True)]),
            torch.ones(len(problems)),
            torch.tensor([p[1] for p in problems]),
            torch.tensor([p[2] for p in problems]),
            torch.tensor(known),
            moduli=[p[3] for p in problems],
        )

    def hook_fn(self, hidden: torch.Tensor, ctx: Any) -> torch.Tensor:
        """Prefill: read, decide, write step 0 (and the answer steps under teacher forcing); decode: step k."""
        if getattr(ctx, "call_index", 0) == 0 or hidden.shape[1] > 1:
            return self._prefill(hidden, ctx)
        if self._delta is None or self._lengths is None:
            return hidden
        k = self._step
        self._step += 1
        if k >= self._delta.shape[1]:
            return hidden
        return self._add(hidden, [(b, 0, k) for b in range(hidden.shape[0]) if k < int(self._lengths[b])])

    def _prefill(self, hidden: torch.Tensor, ctx: Any) -> torch.Tensor:
        position = getattr(ctx, "position", None)
        p = (hidden.shape[1] - 1) if position is None else int(position) % hidden.shape[1]
        if self.forced is not None:
            decided = self.forced
        else:
            if self._ids is None or any(layer not in self._states for layer in self.read_layers):
                raise RuntimeError("the read layers were not recorded: use `attach(model, ns)`, not `intervene`")
            decided = self.decide(self.features(self._states, self._ids, p), self.spans(self._ids, p))
        if self.shuffle is not None:
            decided = self._shuffled(decided, self.shuffle)
        self.last = decided
        gate = decided.gate
        if not bool(gate.any()):
            self._delta, self._lengths = None, None
            return hidden
        codes, lengths = step_codes(self.vsa, decided.result, steps=self.max_steps)
        lengths = torch.where(gate, lengths, torch.zeros_like(lengths))
        self._delta = self.writer(codes.to(hidden.device))
        self._lengths = lengths
        self._step = hidden.shape[1] - p
        places = [
            (b, p + k, k) for b in range(hidden.shape[0]) for k in range(int(lengths[b])) if p + k < hidden.shape[1]
        ]
        return self._add(hidden, places)

    @staticmethod
    def _shuffled(decided: StepDecoded, gen: torch.Generator) -> StepDecoded:
        """The results rotated by a random offset among the open-gate items (each gets another item's result)."""
        open_ = torch.nonzero(decided.gate).flatten()
        if open_.numel() < 2:
            return decided
        shift = int(torch.randint(1, int(open_.numel()), (1,), generator=gen))
        result = decided.result.clone()
        result[open_] = decided.result[open_.roll(shift)]
        return replace(decided, result=result)

    def _add(self, hidden: torch.Tensor, places: list[tuple[int, int, int]]) -> torch.Tensor:
        """hidden + the writes at (item, position, step), as a new tensor; unchanged input when nothing to write."""
        if not places or self._delta is None:
            return hidden
        b = torch.tensor([p[0] for p in places], device=hidden.device)
        t = torch.tensor([p[1] for p in places], device=hidden.device)
        k = torch.tensor([p[2] for p in places], device=hidden.device)
        delta = torch.zeros_like(hidden)
        delta = delta.index_put((b, t), self._delta[b, k].to(hidden.dtype))
        return hidden + delta
