"""The operation read: a regularised linear classifier on the mean of the question tokens' states at one block.

A per-token network with attention learns the training phrases and fails on new wordings; a pooled linear read
of a mid-to-late block generalises (measured on SmolLM2: neurosymbolic.md, appendix). The classes are the
trained types plus *none* (non-math, numeric non-math and other maths, including minimal pairs).

Which block: `choose` fits the head on each candidate block with the training wording families split in folds, so
every question is scored by a head that never saw its family, and picks the block that reads types of unseen
families best while rejecting negatives. No held-out family and no unseen operation takes part in the choice.

Example:
    >>> head = TypeHead.fit(pooled_train, labels, n_types=8)
    >>> probs = head.probs(pooled_query)        # (B, 9), the last column is *none*
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class TypeHead(nn.Module):
    """Standardise, then one linear layer to n_types + 1 logits."""

    def __init__(self, dim: int, n_types: int) -> None:
        super().__init__()
        self.dim, self.n_types = dim, n_types
        self.mean: torch.Tensor
        self.std: torch.Tensor
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))
        self.linear = nn.Linear(dim, n_types + 1)

    def logits(self, pooled: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.linear((pooled.float() - self.mean) / self.std)
        return out

    @torch.no_grad()
    def probs(self, pooled: torch.Tensor) -> torch.Tensor:
        """(B, n_types + 1) class probabilities; the last class is *none*."""
        return self.logits(pooled).softmax(-1)

    @classmethod
    def fit(
        cls, pooled: torch.Tensor, labels: torch.Tensor, *, n_types: int, l2: float = 1e-3, iters: int = 200
    ) -> TypeHead:
        """Multinomial logistic regression with an L2 penalty (full batch, L-BFGS), classes balanced."""
        head = cls(int(pooled.shape[1]), n_types)
        x = pooled.float()
        head.mean.copy_(x.mean(0))
        head.std.copy_(x.std(0).clamp_min(1e-3))
        z = (x - head.mean) / head.std
        y = labels.long()
        counts = torch.bincount(y, minlength=n_types + 1).float().clamp_min(1)
        weight = (counts.sum() / (len(counts) * counts)).clamp_max(10.0)
        opt = torch.optim.LBFGS(head.linear.parameters(), lr=1.0, max_iter=iters, line_search_fn="strong_wolfe")

        def closure() -> torch.Tensor:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(head.linear(z), y, weight=weight)
            loss = loss + l2 * head.linear.weight.pow(2).sum()
            loss.backward()
            return loss

        with torch.enable_grad():
            opt.step(closure)
        return head.eval()


def family_folds(families: Sequence[str], k: int = 4) -> torch.Tensor:
    """A fold id per item from its wording family (a stable hash), so a fold holds whole families."""
    import zlib

    return torch.tensor([zlib.crc32(f.encode()) % k for f in families])


def out_of_family_probs(
    pooled: torch.Tensor, labels: torch.Tensor, folds: torch.Tensor, *, n_types: int, l2: float = 1e-3
) -> torch.Tensor:
    """Every item's class probabilities from a head fitted without its fold's families."""
    out = torch.zeros((pooled.shape[0], n_types + 1))
    for f in folds.unique().tolist():
        held = folds == f
        if bool(held.all()):
            continue
        head = TypeHead.fit(pooled[~held], labels[~held], n_types=n_types, l2=l2)
        out[held] = head.probs(pooled[held])
    return out


def open_rate(probs: torch.Tensor, *, n_types: int, gate: float) -> torch.Tensor:
    """Per item, whether this head alone would open the gate: a trained type above `gate` and above *none*."""
    top, idx = probs[:, :n_types].max(-1)
    return (top > gate) & (top > probs[:, n_types]) & (idx < n_types)
