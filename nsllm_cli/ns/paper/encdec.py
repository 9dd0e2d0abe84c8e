"""Per-layer linear maps between hidden states and HRR vectors: `Enc_L: R^d -> R^D`, `Dec_L: R^D -> R^d`.

Two solvers reach the same objective (RMSE, bias-free linear maps):

- ``adam``: the paper's recipe. Adam at lr 1e-3, batch 512, epoch-boundary LR multipliers, encoder
  first, then the decoder on the frozen encoder's *predicted* VSA. All layers train together as one
  stacked tensor: Adam is element-wise and the loss is a sum of per-layer losses, so this equals one
  optimiser per layer. The schedule is a LambdaLR on that single optimiser, so it applies to every
  layer (the original decayed only the last layer's optimiser).
- ``lstsq``: the closed-form ridge solution of the same least-squares problem, in seconds on a CPU.

Example:
    >>> fits = fit_layers({4: h}, targets, solver="lstsq")
    >>> enc_w, dec_w = fits[4]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import torch

    from nsllm_cli.ns.vsa import VSA

Solver = Literal["adam", "lstsq"]
DIGIT_THRESHOLD = 0.0  # argmax decoding of predicted vectors; see VSA.decode_problem
ENC_SCHEDULE: dict[int, float] = {50: 0.5, 100: 0.5, 250: 0.1, 500: 0.4}
DEC_SCHEDULE: dict[int, float] = {10: 0.1, 25: 0.5, 100: 0.5, 250: 0.4}
EpochHook = Callable[[str, int, float, float], None]  # phase, epoch, mean loss, lr


def lr_factor(milestones: dict[int, float]) -> Callable[[int], float]:
    """Multiplier of the base LR at an epoch: the product of every factor whose epoch has been reached."""
    keys = sorted((int(k), float(v)) for k, v in milestones.items())  # int keys: JSON gives strings

    def factor(epoch: int) -> float:
        return math.prod(v for k, v in keys if epoch >= k)

    return factor


def ridge(x: torch.Tensor, y: torch.Tensor, alpha: float = 1e-8) -> torch.Tensor:
    """W (out, in) minimising ||x W^T - y||^2 + lam ||W||^2, lam = alpha * mean eigenvalue of x^T x.

    Computed in float64: hidden states have a few very large dimensions and float32 normal
    equations lose the small ones.
    """
    import torch

    x64, y64 = x.double(), y.double()
    gram = x64.T @ x64
    lam = alpha * torch.trace(gram) / gram.shape[0]
    gram += lam * torch.eye(gram.shape[0], dtype=torch.float64)
    w = torch.linalg.solve(gram, x64.T @ y64)
    out: torch.Tensor = w.T.float().contiguous()
    return out


def _adam_stacked(
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    out_dim: int,
    epochs: int,
    lr: float,
    batch_size: int,
    schedule: dict[int, float],
    seed: int,
    phase: str,
    on_epoch: EpochHook | None,
) -> torch.Tensor:
    """Train W (L, out, in) with Adam on RMSE per layer; inputs (L, N, in), targets (L, N, out) or (N, out)."""
    import torch

    n_layers, n, in_dim = inputs.shape
    gen = torch.Generator().manual_seed(seed)
    bound = 1 / math.sqrt(in_dim)  # nn.Linear's default init
    weight = torch.nn.Parameter((torch.rand(n_layers, out_dim, in_dim, generator=gen) * 2 - 1) * bound)
    opt = torch.optim.Adam([weight], lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor(schedule))
    for epoch in range(epochs):
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = perm[start : start + batch_size]
            pred = torch.bmm(inputs[:, idx], weight.transpose(1, 2))
            tgt = targets[:, idx] if targets.dim() == 3 else targets[idx].expand(n_layers, -1, -1)
            rmse = ((pred - tgt) ** 2).mean(dim=(1, 2)).sqrt()  # one RMSE per layer
            opt.zero_grad(set_to_none=True)
            rmse.sum().backward()
            opt.step()
            total += float(rmse.detach().mean()) * len(idx)
        sched.step()
        if on_epoch is not None:
            on_epoch(phase, epoch + 1, total / n, opt.param_groups[0]["lr"])
    return weight.detach()


def fit_layers(
    hidden: dict[int, torch.Tensor],
    targets: torch.Tensor,
    *,
    solver: Solver = "lstsq",
    epochs: int = 1000,
    dec_epochs: int = 1000,
    lr: float = 1e-3,
    dec_lr: float = 1e-3,
    batch_size: int = 512,
    enc_schedule: dict[int, float] | None = None,
    dec_schedule: dict[int, float] | None = None,
    alpha: float = 1e-8,
    dec_alpha: float = 1e-3,
    seed: int = 0,
    on_epoch: EpochHook | None = None,
) -> dict[int, tuple[torch.Tensor, torch.Tensor]]:
    """Fit encoder then decoder for every layer. Returns {layer: (enc_weight (D, d), dec_weight (d, D))}."""
    import torch

    layers = sorted(hidden)
    dim = targets.shape[1]
    if solver == "lstsq":
        fits = {}
        for layer in layers:
            h = hidden[layer].float()
            enc = ridge(h, targets, alpha)
            # The encoder's outputs span at most d of the D dimensions: an unregularised decoder fits them
            # perfectly but extrapolates wildly on the clean result vectors that finetune feeds it
            # (norm 1500 vs |h| = 68 at layer 4 of SmolLM2 with alpha 1e-8), so it needs its own ridge.
            dec = ridge(h @ enc.T, h, dec_alpha)
            fits[layer] = (enc, dec)
        return fits
    stacked = torch.stack([hidden[layer].float() for layer in layers])
    enc_w = _adam_stacked(
        stacked,
        targets.float(),
        out_dim=dim,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        schedule=ENC_SCHEDULE if enc_schedule is None else enc_schedule,
        seed=seed,
        phase="encoder",
        on_epoch=on_epoch,
    )
    with torch.no_grad():
        predicted = torch.bmm(stacked, enc_w.transpose(1, 2))
    dec_w = _adam_stacked(
        predicted,
        stacked,
        out_dim=stacked.shape[2],
        epochs=dec_epochs,
        lr=dec_lr,
        batch_size=batch_size,
        schedule=DEC_SCHEDULE if dec_schedule is None else dec_schedule,
        seed=seed + 1,
        phase="decoder",
        on_epoch=on_epoch,
    )
    return {layer: (enc_w[i], dec_w[i]) for i, layer in enumerate(layers)}


def evaluate(
    vsa: VSA,
    enc: torch.Tensor,
    dec: torch.Tensor,
    h: torch.Tensor,
    x: torch.Tensor,
    y: torch.Tensor,
    types: torch.Tensor,
    *,
    significant_digits: int,
    h_out: torch.Tensor | None = None,
) -> dict[str, Any]:
    """Encoder quality on held-out rows: RMSE, digit error, problem exact-decode, type error, decoder RMSE.

    `h_out` is what the decoder reconstructs when it differs from the encoder's input (a multi-layer
    encoder reads several layers; its decoder writes one).
    """
    import torch

    from nsllm_cli.ns.vsa import digits_of

    with torch.no_grad():
        v = h.float() @ enc.T
        target = vsa.encode_problem(x, y, types)
        rmse = float(((v - target) ** 2).mean().sqrt())
        dx = vsa.decode_digits(v, "N1", threshold=DIGIT_THRESHOLD)[:, :significant_digits]
        dy = vsa.decode_digits(v, "N2", threshold=DIGIT_THRESHOLD)[:, :significant_digits]
        wrong = torch.cat(
            [
                dx != digits_of(x, vsa.max_digits)[:, :significant_digits],
                dy != digits_of(y, vsa.max_digits)[:, :significant_digits],
            ],
            dim=1,
        )
        t_hat, t_score = vsa.decode_type(v)
        type_wrong = t_hat != types
        out = h.float() if h_out is None else h_out.float()
        dec_rmse = float(((v @ dec.T - out) ** 2).mean().sqrt())
        # what finetune injects at first: Dec(enc(r)) for result-like numbers, relative to |h|
        inject = (vsa.encode_number(x) @ dec.T).norm(dim=-1).mean() / out.norm(dim=-1).mean()
    return {
        "n": int(h.shape[0]),
        "rmse": rmse,
        "digit_error": float(wrong.float().mean()),
        "wrong_digits_per_problem": float(wrong.float().sum(1).mean()),
        "problem_error": float((wrong.any(1) | type_wrong).float().mean()),
        "type_error": float(type_wrong.float().mean()),
        "type_score_mean": float(t_score.mean()),
        "decoder_rmse": dec_rmse,
        "inject_ratio": float(inject),
        "h_rms": float(out.pow(2).mean().sqrt()),
    }
