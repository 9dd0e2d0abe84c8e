"""The reader: a small network over the hidden states of every token of the question, and the operation read.

A linear map at the last prompt token learns *where* a known template puts the numbers, not *what*
they are, so it fails on new wordings (see the appendix of neurosymbolic.md). This reader instead looks
at each token of the last user turn:
- a per-token **digit head** (early blocks) reads which decimal digit a token is (0-9, or none);
- consecutive digit tokens form a number; a **role head** over the number's tokens, the token after it and the
  whole question says whether it is the first operand x, the second y, or another number (a modulus, a year);
- the **operation** is read by `type_read.TypeHead`, a regularised linear classifier on the mean of the question
  tokens' states at one mid-to-late block (trained types + *none*);
- an **open-set test** (`open_set.OpenSet`) shuts the gate on a question that sits far from every trained
  operation, whatever the classifier says.

The gate opens only when all agree; otherwise `ReadOut.reason` says why it stayed shut. Everything is read from
hidden states; nothing parses the question text.

Example:
    >>> reader = SpanReader(d_model=576, n_slots=5, digit_slots=[0, 1, 2], type_slots=[2, 3, 4], ood_slot=1, n_types=8)
    >>> out = reader.read([feats_of_prompt])      # feats: (T, 5 * 576) for the question's tokens
    >>> out.x, out.y, out.type_idx, out.gate, out.reason
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from nsllm_cli.events import Event, ignore
from nsllm_cli.ns.steps.numbers import assign_roles, is_negative, pick_modulus
from nsllm_cli.ns.steps.open_set import OpenSet
from nsllm_cli.ns.steps.spans import NO_ROLE, NOT_DIGIT, ROLES, number_groups
from nsllm_cli.ns.steps.type_read import TypeHead

READER_VERSION = 3
"""Readers saved before the modulus role (2) or the pooled type read and the open-set test (none) are refused."""
OPEN = "open"
ROLE_MIN = 0.6
"""With three or more numbers, the gate stays shut unless both operands' roles are read with this probability."""
GATE = 0.95
"""Type probability above which the gate may open. Measured on three runs' held-out chat benches (neurosymbolic.md):
0.95 against 0.9 keeps 2-shot, zero and one-digit accuracy, costs 3-6 points of held-out right answers, and cuts the
unseen operations' confident opens from 14% to 6% on the full recipe (3% to 1% and 5% to 5% on two demo runs): a
shut gate leaves the plain model's answer, an open one on the wrong operation writes a wrong number with certainty."""


@dataclass
class ReadOut:
    """What the reader decoded per item: type (index into the reader's types), its probability, operands, gate,
    and why a shut gate is shut (`reason`: "open" where it opened)."""

    type_idx: torch.Tensor
    type_prob: torch.Tensor
    none_prob: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    found: torch.Tensor
    gate: torch.Tensor
    unfamiliar: torch.Tensor
    reason: list[str] = field(default_factory=list)
    others: list[list[int]] = field(default_factory=list)
    modulus: list[int | None] = field(default_factory=list)
    """The modulus read per item ("... mod 1000"): None where no number was read as one."""


def pad_feats(feats: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad a list of (T_i, F) tensors to (B, T, F) with a (B, T) mask."""
    t_max = max(int(f.shape[0]) for f in feats)
    out = feats[0].new_zeros((len(feats), t_max, feats[0].shape[1]))
    mask = torch.zeros((len(feats), t_max), dtype=torch.bool, device=feats[0].device)
    for i, f in enumerate(feats):
        out[i, : f.shape[0]] = f
        mask[i, : f.shape[0]] = True
    return out, mask


def pooled(feats: Sequence[torch.Tensor]) -> torch.Tensor:
    """(B, F): each prompt's mean over its question tokens."""
    return torch.stack([f.float().mean(0) for f in feats])


def content_pooled(feats: Sequence[torch.Tensor], digits: Sequence[torch.Tensor], tail: int) -> torch.Tensor:
    """(B, F): each prompt's mean over its words: not its digits (the numbers say nothing about the operation) and not
    the template's `tail` tokens. The open-set test compares these: what a question asks, not which numbers."""
    out = []
    for f, d in zip(feats, digits, strict=True):
        keep = (d == NOT_DIGIT).clone()
        if tail:
            keep[-tail:] = False
        out.append(f[keep].float().mean(0) if bool(keep.any()) else f.float().mean(0))
    return torch.stack(out)


class SpanReader(nn.Module):
    """Digit and role heads over per-token features, the pooled type head and the open-set test."""

    def __init__(
        self,
        *,
        d_model: int,
        n_slots: int,
        digit_slots: Sequence[int],
        type_slots: Sequence[int],
        ood_slot: int,
        n_types: int,
        hidden: int = 256,
        max_operand: int = 999,
        dropout: float = 0.2,
        tail: int = 0,
    ) -> None:
        """Args: the features are the block inputs of `n_slots` read layers, concatenated (`d_model` each);
        digit_slots are the ones the digit and role heads read, type_slots the ones the operation is read from,
        ood_slot the one of the open-set test; n_types the trained operations (the type head has one more class,
        *none*); max_operand the largest operand seen in training (a larger number closes the gate: the reader
        never learned its role); dropout regularises the digit/role trunk; tail is how many template tokens end
        each prompt (`spans.template_tail`), left out of the open-set test's pooling."""
        super().__init__()
        self.d_model, self.n_slots = d_model, n_slots
        self.digit_slots, self.type_slots, self.ood_slot = list(digit_slots), list(type_slots), ood_slot
        self.n_types, self.hidden, self.max_operand, self.tail = n_types, hidden, max_operand, tail
        trunk_dim = d_model * len(self.digit_slots)
        self.mean: torch.Tensor
        self.std: torch.Tensor
        self.register_buffer("mean", torch.zeros(trunk_dim))
        self.register_buffer("std", torch.ones(trunk_dim))
        self.trunk = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(trunk_dim, hidden), nn.GELU(),
            nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.GELU(),
        )  # fmt: skip
        self.digit_head = nn.Linear(hidden, NOT_DIGIT + 1)
        self.role_head = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.GELU(), nn.Linear(hidden, len(ROLES)))
        self.type_head = TypeHead(d_model * len(self.type_slots), n_types)
        self.open_set = OpenSet(d_model, n_types)

    def slot(self, feats: torch.Tensor, index: int) -> torch.Tensor:
        """The features of one read layer (the last dimension is slots × d_model)."""
        return feats[..., index * self.d_model : (index + 1) * self.d_model]

    def slots(self, feats: torch.Tensor, indices: Sequence[int]) -> torch.Tensor:
        """The features of several read layers, concatenated."""
        return torch.cat([self.slot(feats, i) for i in indices], dim=-1)

    def digit_feats(self, feats: torch.Tensor) -> torch.Tensor:
        return self.slots(feats, self.digit_slots)

    def set_standardisation(self, feats: torch.Tensor) -> None:
        """Per-feature mean and std of the trunk's input over training tokens (a few dimensions are huge)."""
        with torch.no_grad():
            x = self.digit_feats(feats).float()
            self.mean.copy_(x.mean(0))
            self.std.copy_(x.std(0).clamp_min(1e-3))

    def encode(self, feats: torch.Tensor) -> torch.Tensor:
        """(B, T, F) -> (B, T, hidden) per-token codes."""
        out: torch.Tensor = self.trunk((self.digit_feats(feats).float() - self.mean) / self.std)
        return out

    def role_logits(self, z: torch.Tensor, mask: torch.Tensor, groups: list[list[list[int]]]) -> list[torch.Tensor]:
        """Per item, (numbers, roles) role logits from each number's tokens and the token after it (averaged), beside
        the mean of the whole question: the sentence, not the position, says which number is which."""
        context = (z * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp_min(1)
        out = []
        for b, runs in enumerate(groups):
            if not runs:
                out.append(z.new_zeros((0, len(ROLES))))
                continue
            rows = []
            for run in runs:
                idx = [*run, min(run[-1] + 1, z.shape[1] - 1)]
                rows.append(torch.cat([z[b, idx].mean(0), context[b]]))
            out.append(self.role_head(torch.stack(rows)))
        return out

    @torch.no_grad()
    def read(
        self,
        feats: Sequence[torch.Tensor],
        *,
        gate: float = GATE,
        digit_ok: Sequence[torch.Tensor] | None = None,
        minus: Sequence[torch.Tensor] | None = None,
    ) -> ReadOut:
        """Decode each prompt's (type, x, y) and gate from its question tokens' features (always in eval mode).

        `digit_ok` (per prompt, a bool per question token): the tokens that are digits in the vocabulary. The digit
        head reads the value of a digit from the states; it is never asked whether '²' or a letter is one (it read
        "680²" as 6802), so a token that is no digit token is no digit. `minus` (likewise): the minus-sign tokens; an
        operand or modulus they make negative ("-5 + 3", "2^-3 mod 7") shuts the gate (none was trained, and its digits
        alone would be read as the positive number)."""
        self.eval()
        x_all, mask = pad_feats(feats)
        z = self.encode(x_all)
        digits = self.digit_head(z).argmax(-1)
        if digit_ok is not None:
            for b, allowed in enumerate(digit_ok):
                row = digits[b, : int(allowed.shape[0])]
                row[~allowed.to(row.device)] = NOT_DIGIT
        groups = number_groups(digits, mask)
        roles = self.role_logits(z, mask, groups)
        pool = pooled(feats).to(self.mean.device)
        probs = self.type_head.probs(self.slots(pool, self.type_slots)).cpu()
        type_prob, type_idx = probs[:, : self.n_types].max(-1)
        none_prob = probs[:, self.n_types]
        words = content_pooled(feats, [digits[b, : int(f.shape[0])].cpu() for b, f in enumerate(feats)], self.tail)
        ood = self.open_set.score(self.slot(words.to(pool.device), self.ood_slot))
        unfamiliar = (ood > self.open_set.threshold).cpu()
        xs, ys, found, reasons, others, moduli = [], [], [], [], [], []
        for b, runs in enumerate(groups):
            values = [int("".join(str(int(digits[b, t])) for t in run)) for run in runs]
            role_p = roles[b].softmax(-1).cpu() if runs else torch.zeros((0, len(ROLES)))
            pick = assign_roles(role_p)
            ok = pick is not None
            x = values[pick[0]] if pick is not None else 0
            y = values[pick[1]] if pick is not None else 0
            others.append([v for k, v in enumerate(values) if pick is None or k not in pick])
            modulus = pick_modulus(role_p, values, pick) if pick is not None else None
            moduli.append(modulus)
            signs = minus[b] if minus is not None else None
            used = [runs[k] for k in (pick or ())] + [runs[k] for k, v in enumerate(values) if modulus is not None
                                                      and v == modulus and k not in (pick or ())][:1]  # fmt: skip
            negative = signs is not None and any(is_negative(run, signs, digits[b]) for run in used)
            confidence = min(float(role_p[pick[0], 0]), float(role_p[pick[1], 1])) if pick is not None else 0.0
            if not ok:
                reason = "no operands"
            elif x == 0 or y == 0:
                reason = "operand 0"  # never trained (x / 0, x mod 0): the plain model answers
            elif negative:
                reason = "negative operand"
            elif modulus == 0:
                reason = "modulus 0"
            elif not (x <= self.max_operand and y <= self.max_operand):
                reason = "operand too large"
            elif len(values) > 2 and confidence < ROLE_MIN:
                reason = "ambiguous numbers"
            elif bool(none_prob[b] >= type_prob[b]):
                reason = "not a trained operation"
            elif float(type_prob[b]) <= gate:
                reason = "unsure type"
            elif bool(unfamiliar[b]):
                reason = "unfamiliar question"
            else:
                reason = OPEN
            xs.append(x)
            ys.append(y)
            found.append(ok)
            reasons.append(reason)
        return ReadOut(
            type_idx,
            type_prob,
            none_prob,
            torch.tensor(xs, dtype=torch.long),
            torch.tensor(ys, dtype=torch.long),
            torch.tensor(found, dtype=torch.bool),
            torch.tensor([r == OPEN for r in reasons], dtype=torch.bool),
            unfamiliar,
            reasons,
            others,
            moduli,
        )

    def loss(
        self, feats: torch.Tensor, mask: torch.Tensor, digits: torch.Tensor, roles: torch.Tensor, types: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Training loss of the trunk: digit CE per token + role CE per number of the questions of a trained type
        (a negative's numbers are no one's operands: whether the gate opens is the type read's call, not theirs)."""
        z = self.encode(feats)
        d_loss = nn.functional.cross_entropy(self.digit_head(z)[mask], digits[mask])
        groups = number_groups(digits, mask)
        role_out = self.role_logits(z, mask, groups)
        targets, keep = [], []
        for b, runs in enumerate(groups):
            for run in runs:
                labels = [int(roles[b, t]) for t in run if int(roles[b, t]) != NO_ROLE]
                targets.append(labels[0] if labels else ROLES.index("other"))
                keep.append(bool(types[b] < self.n_types))
        role_all = torch.cat(role_out) if role_out else z.new_zeros((0, len(ROLES)))
        role_all = role_all[torch.tensor(keep, dtype=torch.bool, device=z.device)] if keep else role_all
        targets = [t for t, k in zip(targets, keep, strict=True) if k]
        r_loss = (
            nn.functional.cross_entropy(role_all, torch.tensor(targets, device=z.device))
            if targets
            else z.new_zeros(())
        )
        return d_loss + r_loss, {"digit_loss": d_loss.item(), "role_loss": r_loss.item()}


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
    """The digit/role trunk: AdamW with a cosine decay over `epochs`; returns one record per epoch (losses).
    The type head and the open-set test are fitted afterwards (`steps.train`)."""
    reader.set_standardisation(data.feats)
    opt = torch.optim.AdamW(
        [p for n, p in reader.named_parameters() if not n.startswith(("type_head.", "open_set."))],
        lr=lr,
        weight_decay=1e-4,
    )
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


def evaluate_reader(reader: SpanReader, data: ReaderData, *, gate: float = GATE) -> dict[str, float]:
    """Problem fully right (type, x, y, gate open) on positives; the gate's false-open rate on negatives and its
    open rate on questions of operations never trained (labels above *none*, evaluation splits only)."""
    # the digit tokens of each prompt, as the NS model knows them from its tokenizer (the stored labels come from it)
    digit_ok = [data.digits[int(data.offsets[i]) : int(data.offsets[i + 1])] != NOT_DIGIT for i in range(len(data))]
    out = reader.read([data.item_feats(i) for i in range(len(data))], gate=gate, digit_ok=digit_ok)
    positive = data.types < reader.n_types
    negative = data.types == reader.n_types
    unseen = data.types > reader.n_types
    right = out.gate & (out.type_idx == data.types) & (out.x == data.x) & (out.y == data.y)
    type_right = (out.type_idx == data.types) & out.gate
    res: dict[str, float] = {
        "positives": int(positive.sum()),
        "negatives": int(negative.sum()),
        "unseen": int(unseen.sum()),
    }
    if bool(positive.any()):
        res |= {
            "fully_right": float(right[positive].float().mean()),
            "type_right": float(type_right[positive].float().mean()),
            "operands_right": float(((out.x == data.x) & (out.y == data.y))[positive].float().mean()),
            "gate_open": float(out.gate[positive].float().mean()),
        }
    if bool(negative.any()):
        res["false_open"] = float(out.gate[negative].float().mean())
    if bool(unseen.any()):
        res["unseen_open"] = float(out.gate[unseen].float().mean())
    return res
