"""The operand/type reader: a small network over the hidden states of every token of the question.

A linear map at the last prompt token learns *where* a known template puts the numbers, not *what*
they are, so it fails on new wordings (see the appendix of neurosymbolic.md). This reader instead looks
at each token of the last user turn, at a few early layers:
- a per-token **digit head** reads which decimal digit a token is (0-9, or none);
- consecutive digit tokens form a number; a **role head** over the number's tokens and the token after
  it says whether it is the first operand x, the second y, or another number (a modulus, a date);
- a **type head** pools over all tokens (attention and max pooling) and picks one of the trained
  operations or *none* (the gate's class: trained with non-math, numeric non-math and other-math prompts).

Everything is read from hidden states; nothing parses the question text.

Example:
    >>> reader = SpanReader(in_dim=2 * 576, n_types=8)
    >>> out = reader.read([feats_of_prompt])      # feats: (T, in_dim) for the question's tokens
    >>> out.x, out.y, out.type_idx, out.gate
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from nsllm_cli.events import Event, ignore
from nsllm_cli.ns.spans import NO_ROLE, NOT_DIGIT, ROLES, number_groups


@dataclass
class ReadOut:
    """What the reader decoded per item: type (index into the reader's types), its probability, operands, gate."""

    type_idx: torch.Tensor
    type_prob: torch.Tensor
    none_prob: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    found: torch.Tensor
    gate: torch.Tensor


def pad_feats(feats: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad a list of (T_i, F) tensors to (B, T, F) with a (B, T) mask."""
    t_max = max(int(f.shape[0]) for f in feats)
    out = feats[0].new_zeros((len(feats), t_max, feats[0].shape[1]))
    mask = torch.zeros((len(feats), t_max), dtype=torch.bool, device=feats[0].device)
    for i, f in enumerate(feats):
        out[i, : f.shape[0]] = f
        mask[i, : f.shape[0]] = True
    return out, mask


class SpanReader(nn.Module):
    """Digit, role and type heads over standardised per-token features (see the module docstring)."""

    def __init__(
        self, in_dim: int, *, n_types: int, hidden: int = 256, max_operand: int = 999, dropout: float = 0.2
    ) -> None:
        """Args: in_dim is the feature size (read layers × d_model); n_types the trained operations
        (the type head has one more class, *none*); max_operand the largest operand seen in training
        (a larger number closes the gate: the reader never learned its role); dropout regularises training
        (wordings are few next to the model's width, and the reader must not learn them by heart)."""
        super().__init__()
        self.in_dim, self.n_types, self.hidden, self.max_operand = in_dim, n_types, hidden, max_operand
        self.mean: torch.Tensor
        self.std: torch.Tensor
        self.register_buffer("mean", torch.zeros(in_dim))
        self.register_buffer("std", torch.ones(in_dim))
        self.trunk = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(in_dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, hidden),
            nn.GELU(),
        )  # fmt: skip
        self.digit_head = nn.Linear(hidden, NOT_DIGIT + 1)
        self.role_head = nn.Linear(hidden, len(ROLES))
        self.attn = nn.Linear(hidden, 1)
        self.type_head = nn.Linear(2 * hidden, n_types + 1)

    def set_standardisation(self, feats: torch.Tensor) -> None:
        """Per-feature mean and std over training tokens (hidden states have a few huge dimensions)."""
        with torch.no_grad():
            self.mean.copy_(feats.float().mean(0))
            self.std.copy_(feats.float().std(0).clamp_min(1e-3))

    def encode(self, feats: torch.Tensor) -> torch.Tensor:
        """(B, T, F) -> (B, T, hidden) per-token codes."""
        out: torch.Tensor = self.trunk((feats.float() - self.mean) / self.std)
        return out

    def heads(self, z: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Digit logits (B, T, 11) and type logits (B, n_types + 1) from the codes."""
        score = self.attn(z).squeeze(-1).masked_fill(~mask, -1e9)
        pooled = (score.softmax(-1).unsqueeze(-1) * z).sum(1)
        maxed = z.masked_fill(~mask.unsqueeze(-1), -1e9).amax(1)
        return self.digit_head(z), self.type_head(torch.cat([pooled, maxed], -1))

    def role_logits(self, z: torch.Tensor, groups: list[list[list[int]]]) -> list[torch.Tensor]:
        """Per item, (numbers, 3) role logits: each number's tokens and the token after it, averaged."""
        out = []
        for b, runs in enumerate(groups):
            if not runs:
                out.append(z.new_zeros((0, len(ROLES))))
                continue
            rows = []
            for run in runs:
                idx = [*run, min(run[-1] + 1, z.shape[1] - 1)]
                rows.append(z[b, idx].mean(0))
            out.append(self.role_head(torch.stack(rows)))
        return out

    @torch.no_grad()
    def read(self, feats: Sequence[torch.Tensor], *, gate: float = 0.9) -> ReadOut:
        """Decode each prompt's (type, x, y) and gate from its question tokens' features (always in eval mode)."""
        self.eval()
        x_all, mask = pad_feats(feats)
        z = self.encode(x_all)
        digit_logits, type_logits = self.heads(z, mask)
        digits = digit_logits.argmax(-1)
        groups = number_groups(digits, mask)
        roles = self.role_logits(z, groups)
        probs = type_logits.float().softmax(-1)
        type_prob, type_idx = probs[:, : self.n_types].max(-1)
        none_prob = probs[:, self.n_types]
        xs, ys, found = [], [], []
        for b, runs in enumerate(groups):
            values = [int("".join(str(int(digits[b, t])) for t in run)) for run in runs]
            role_p = roles[b].softmax(-1) if runs else None
            picked: dict[int, int] = {}
            for r in (0, 1):
                best = -1.0
                for k in range(len(values)):
                    assert role_p is not None
                    if int(role_p[k].argmax()) == r and float(role_p[k, r]) > best and k not in picked.values():
                        best, picked[r] = float(role_p[k, r]), k
            ok = 0 in picked and 1 in picked
            x = values[picked[0]] if ok else 0
            y = values[picked[1]] if ok else 0
            ok = ok and 0 < x <= self.max_operand and 0 < y <= self.max_operand
            xs.append(x)
            ys.append(y)
            found.append(ok)
        found_t = torch.tensor(found, dtype=torch.bool)
        open_ = found_t & (type_prob.cpu() > gate) & (type_prob.cpu() > none_prob.cpu())
        return ReadOut(
            type_idx.cpu(),
            type_prob.cpu(),
            none_prob.cpu(),
            torch.tensor(xs, dtype=torch.long),
            torch.tensor(ys, dtype=torch.long),
            found_t,
            open_,
        )

    def loss(
        self, feats: torch.Tensor, mask: torch.Tensor, digits: torch.Tensor, roles: torch.Tensor, types: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Training loss: digit CE per token + role CE per number (labelled groups) + type CE per prompt."""
        z = self.encode(feats)
        digit_logits, type_logits = self.heads(z, mask)
        d_loss = nn.functional.cross_entropy(digit_logits[mask], digits[mask])
        groups = number_groups(digits, mask)
        role_out = self.role_logits(z, groups)
        targets = []
        for b, runs in enumerate(groups):
            for run in runs:
                labels = [int(roles[b, t]) for t in run if int(roles[b, t]) != NO_ROLE]
                targets.append(labels[0] if labels else ROLES.index("other"))
        role_all = torch.cat(role_out) if role_out else z.new_zeros((0, len(ROLES)))
        r_loss = (
            nn.functional.cross_entropy(role_all, torch.tensor(targets, device=z.device))
            if targets
            else z.new_zeros(())
        )
        t_loss = nn.functional.cross_entropy(type_logits, types)
        total = d_loss + r_loss + t_loss
        return total, {"digit_loss": d_loss.item(), "role_loss": r_loss.item(), "type_loss": t_loss.item()}


@dataclass
class ReaderData:
    """Question-token features and labels of many prompts, flat: prompt i is rows offsets[i]:offsets[i+1]."""

    feats: torch.Tensor
    offsets: torch.Tensor
    digits: torch.Tensor
    roles: torch.Tensor
    types: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return int(self.offsets.numel() - 1)

    def item_feats(self, i: int) -> torch.Tensor:
        return self.feats[int(self.offsets[i]) : int(self.offsets[i + 1])]

    def batch(self, index: Sequence[int]) -> tuple[torch.Tensor, ...]:
        """Padded (feats, mask, digits, roles, types) of the prompts in `index`."""
        feats, mask = pad_feats([self.item_feats(i).float() for i in index])
        digits = torch.full(mask.shape, NOT_DIGIT, dtype=torch.long)
        roles = torch.full(mask.shape, NO_ROLE, dtype=torch.long)
        for b, i in enumerate(index):
            a, z = int(self.offsets[i]), int(self.offsets[i + 1])
            digits[b, : z - a] = self.digits[a:z].long()
            roles[b, : z - a] = self.roles[a:z].long()
        return feats, mask, digits, roles, self.types[list(index)].long()


def train_reader(
    reader: SpanReader,
    data: ReaderData,
    *,
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 2e-3,
    seed: int = 0,
    on_event: Event = ignore,
) -> list[dict[str, float]]:
    """Adam with a cosine decay over `epochs`; returns one record per epoch (losses)."""
    reader.set_standardisation(data.feats)
    opt = torch.optim.AdamW(reader.parameters(), lr=lr, weight_decay=1e-4)
    n = len(data)
    steps = epochs * math.ceil(n / batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    gen = torch.Generator().manual_seed(seed)
    history = []
    reader.train()
    for epoch in range(epochs):
        perm = torch.randperm(n, generator=gen).tolist()
        totals: dict[str, float] = {}
        count = 0
        for b in range(0, n, batch_size):
            feats, mask, digits, roles, types = data.batch(perm[b : b + batch_size])
            loss, parts = reader.loss(feats, mask, digits, roles, types)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            for k, v in {"loss": loss.item(), **parts}.items():
                totals[k] = totals.get(k, 0.0) + v
            count += 1
        record = {"epoch": epoch + 1, **{k: v / count for k, v in totals.items()}}
        history.append(record)
        on_event("epoch", {**record, "epochs": epochs})
    reader.eval()
    return history


def evaluate_reader(reader: SpanReader, data: ReaderData, *, gate: float = 0.9) -> dict[str, float]:
    """Problem fully right (type, x, y, gate open) on positives; gate false-open rate on negatives."""
    out = reader.read([data.item_feats(i) for i in range(len(data))], gate=gate)
    positive = data.types < reader.n_types
    right = out.gate & (out.type_idx == data.types) & (out.x == data.x) & (out.y == data.y)
    type_right = (out.type_idx == data.types) & out.gate
    res: dict[str, float] = {"positives": int(positive.sum()), "negatives": int((~positive).sum())}
    if bool(positive.any()):
        res |= {
            "fully_right": float(right[positive].float().mean()),
            "type_right": float(type_right[positive].float().mean()),
            "operands_right": float(((out.x == data.x) & (out.y == data.y))[positive].float().mean()),
            "gate_open": float(out.gate[positive].float().mean()),
        }
    if bool((~positive).any()):
        res["false_open"] = float(out.gate[~positive].float().mean())
    return res
