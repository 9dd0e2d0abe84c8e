"""The open-set test of the gate: is this question near any trained operation at all?

A *none* class learns to reject the negatives it was shown; an operation it never saw (addition, division) may
still land in a trained class. A distance test needs no negative of what it rejects: each trained type's mean
of the pooled question state, one shared covariance with shrinkage, and the Mahalanobis distance to the nearest
mean, taken relative to the distance to the mean of all questions (a background class), so that a question far
from everything (a new wording) is not punished twice (neurosymbolic.md, appendix).

The threshold is calibrated on questions of the trained types in wording families the fit never saw (folds of
the training families): a quantile of *their* scores, never of the training questions' own, which sit closer.

Example:
    >>> test = OpenSet.fit(pooled, labels, n_types=8)
    >>> test.threshold = float(test.score(pooled_calibration).quantile(0.97))
    >>> test.score(pooled_query) > test.threshold      # True: unfamiliar, keep the gate shut
"""

from __future__ import annotations

import torch
from torch import nn

SHRINKAGE = 0.1


def _precision(centred: torch.Tensor, shrinkage: float) -> torch.Tensor:
    cov = centred.T @ centred / max(centred.shape[0] - 1, 1)
    target = torch.eye(cov.shape[0], dtype=cov.dtype) * cov.diagonal().mean()
    out: torch.Tensor = torch.linalg.inv((1 - shrinkage) * cov + shrinkage * target)
    return out


class OpenSet(nn.Module):
    """Class means, a shared precision, a background mean and precision, and the calibrated threshold."""

    def __init__(self, dim: int, n_types: int) -> None:
        super().__init__()
        self.means: torch.Tensor
        self.precision: torch.Tensor
        self.bg_mean: torch.Tensor
        self.bg_precision: torch.Tensor
        self.threshold_t: torch.Tensor
        self.register_buffer("means", torch.zeros(n_types, dim, dtype=torch.float64))
        self.register_buffer("precision", torch.eye(dim, dtype=torch.float64))
        self.register_buffer("bg_mean", torch.zeros(dim, dtype=torch.float64))
        self.register_buffer("bg_precision", torch.eye(dim, dtype=torch.float64))
        self.register_buffer("threshold_t", torch.tensor(float("inf"), dtype=torch.float64))

    @property
    def threshold(self) -> float:
        return float(self.threshold_t)

    @threshold.setter
    def threshold(self, value: float) -> None:
        self.threshold_t.fill_(value)

    @classmethod
    def fit(cls, pooled: torch.Tensor, labels: torch.Tensor, *, n_types: int, shrinkage: float = SHRINKAGE) -> OpenSet:
        """Means of the trained types (labels < n_types), their shared covariance, and the background of all rows."""
        x = pooled.double()
        pos = labels < n_types
        test = cls(int(x.shape[1]), n_types)
        means = torch.stack(
            [x[labels == t].mean(0) if bool((labels == t).any()) else x[pos].mean(0) for t in range(n_types)]
        )
        test.means.copy_(means)
        test.precision.copy_(_precision(x[pos] - means[labels[pos]], shrinkage))
        test.bg_mean.copy_(x.mean(0))
        test.bg_precision.copy_(_precision(x - x.mean(0), shrinkage))
        return test

    @torch.no_grad()
    def distances(self, pooled: torch.Tensor) -> torch.Tensor:
        """(B, n_types) squared Mahalanobis distances to each trained type's mean."""
        d = pooled.double().unsqueeze(1) - self.means.unsqueeze(0)
        return torch.einsum("bkd,de,bke->bk", d, self.precision, d)

    @torch.no_grad()
    def score(self, pooled: torch.Tensor) -> torch.Tensor:
        """Relative distance: to the nearest trained type minus to the background (lower: more familiar)."""
        nearest = self.distances(pooled).min(-1).values
        bg = pooled.double() - self.bg_mean
        return (nearest - torch.einsum("bd,de,be->b", bg, self.bg_precision, bg)).float()


def auroc(positive: torch.Tensor, negative: torch.Tensor) -> float:
    """P(score of a negative > score of a positive), ties counted half: 1.0 separates perfectly."""
    if positive.numel() == 0 or negative.numel() == 0:
        return float("nan")
    diff = negative.double().unsqueeze(0) - positive.double().unsqueeze(1)
    return float(((diff > 0).double() + 0.5 * (diff == 0).double()).mean())
