"""Per-layer encoders/decoders: both solvers, the LR schedule, the ridge solve and the quality report."""

from __future__ import annotations

import pytest
import torch

from nsllm_cli.ns.paper.encdec import ENC_SCHEDULE, evaluate, fit_layers, lr_factor, ridge
from nsllm_cli.ns.vsa import VSA

TYPES = ("add", "sub", "mul")


def test_lr_factor_parses_string_keys_and_multiplies() -> None:
    f = lr_factor({"50": 0.5, "100": 0.5, "250": 0.1})  # type: ignore[dict-item]
    assert f(0) == 1.0 and f(49) == 1.0 and f(50) == 0.5 and f(100) == 0.25
    assert f(250) == pytest.approx(0.025)
    assert lr_factor(ENC_SCHEDULE)(500) == pytest.approx(0.5 * 0.5 * 0.1 * 0.4)


def _planted(n: int = 600, d: int = 24, dim: int = 32) -> tuple[dict[int, torch.Tensor], torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(dim, d, generator=gen) / d**0.5
    hidden = {3: torch.randn(n, d, generator=gen), 7: torch.randn(n, d, generator=gen)}
    targets = hidden[3] @ w.T
    return hidden, targets, w


def test_lstsq_recovers_a_planted_map() -> None:
    hidden, targets, w = _planted()
    fits = fit_layers(hidden, targets, solver="lstsq", alpha=1e-8)
    assert torch.allclose(fits[3][0], w, atol=1e-3)
    assert fits[3][1].shape == (24, 32)


def test_adam_schedule_reaches_every_layer_and_loss_falls() -> None:
    hidden, targets, _ = _planted()
    log: list[tuple[str, int, float, float]] = []
    fit_layers(
        hidden,
        targets,
        solver="adam",
        epochs=6,
        dec_epochs=3,
        batch_size=128,
        lr=1e-2,
        enc_schedule={2: 0.5, 4: 0.1},
        dec_schedule={1: 0.5},
        on_epoch=lambda phase, epoch, loss, lr: log.append((phase, epoch, loss, lr)),
    )
    enc = [e for e in log if e[0] == "encoder"]
    assert [round(e[3], 6) for e in enc] == [0.01, 0.005, 0.005, 0.0005, 0.0005, 0.0005]
    assert enc[-1][2] < enc[0][2]
    assert [e[1] for e in log if e[0] == "decoder"] == [1, 2, 3]


def test_decoder_stays_bounded_off_the_encoder_span() -> None:
    """Enc(h) spans d < D dims; the decoder must not explode on clean vectors outside that span."""
    gen = torch.Generator().manual_seed(0)
    d, dim, n = 24, 128, 800
    # a large mean and a fast-decaying spectrum, like real residual streams
    h = torch.randn(n, d, generator=gen) * torch.logspace(1, -4, d) + 20
    w = torch.randn(dim, d, generator=gen)
    targets = (h - h.mean(0)) @ w.T
    targets = targets / targets.norm(dim=1, keepdim=True).mean() * 3.2  # like |Enc(h)| of a problem vector
    probe = torch.randn(64, dim, generator=gen)
    probe = probe / probe.norm(dim=1, keepdim=True) * 2.2  # norm of a clean enc(r)

    def ratio(dec_alpha: float) -> float:
        _, dec = fit_layers({0: h}, targets, solver="lstsq", alpha=1e-12, dec_alpha=dec_alpha)[0]
        return float((probe @ dec.T).norm(dim=1).mean() / h.norm(dim=1).mean())

    assert ratio(1e-3) < 1.0  # default: injection smaller than the stream it is mixed into
    assert ratio(1e-8) > 100 * ratio(1e-3)  # what the barely regularised decoder did


def test_ridge_solves_a_planted_map_and_shrinks_with_alpha() -> None:
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(200, 8, generator=gen)
    w = torch.randn(5, 8, generator=gen)
    exact = ridge(x, x @ w.T, alpha=0.0)
    assert exact.shape == (5, 8) and exact.dtype == torch.float32
    assert torch.allclose(exact, w, atol=1e-4)
    assert float(ridge(x, x @ w.T, alpha=10.0).norm()) < 0.5 * float(w.norm())


@pytest.fixture(scope="module")
def problems() -> tuple[VSA, torch.Tensor, torch.Tensor, torch.Tensor]:
    vsa = VSA.generate(types=TYPES, dim=512, max_digits=3, seed=0)
    gen = torch.Generator().manual_seed(2)
    x, y = torch.randint(0, 1000, (64,), generator=gen), torch.randint(0, 1000, (64,), generator=gen)
    return vsa, x, y, torch.randint(0, len(TYPES), (64,), generator=gen)


def test_evaluate_a_perfect_encoder_and_decoder(problems: tuple[VSA, torch.Tensor, torch.Tensor, torch.Tensor]) -> None:
    """Hidden states that *are* the problem vectors, identity maps: every error is zero."""
    vsa, x, y, t = problems
    h = vsa.encode_problem(x, y, t)
    eye = torch.eye(h.shape[1])
    report = evaluate(vsa, eye, eye, h, x, y, t, significant_digits=3)
    assert report["n"] == 64
    assert report["rmse"] == pytest.approx(0.0, abs=1e-6) and report["decoder_rmse"] == pytest.approx(0.0, abs=1e-6)
    assert report["digit_error"] == 0.0 and report["problem_error"] == 0.0 and report["type_error"] == 0.0
    assert report["inject_ratio"] > 0 and report["h_rms"] > 0


def test_evaluate_counts_a_broken_encoder(problems: tuple[VSA, torch.Tensor, torch.Tensor, torch.Tensor]) -> None:
    vsa, x, y, t = problems
    h = vsa.encode_problem(x, y, t)
    wrong = evaluate(vsa, -torch.eye(h.shape[1]), torch.eye(h.shape[1]), h, x, y, t, significant_digits=3)
    assert wrong["rmse"] == pytest.approx(2 * float(h.pow(2).mean().sqrt()), rel=1e-4)  # Enc(h) = -target
    assert wrong["problem_error"] > 0.9 and wrong["digit_error"] > 0.5, wrong
    # the decoder is scored against h_out when given (a multi-layer encoder's decoder writes one layer)
    other = evaluate(vsa, torch.eye(h.shape[1]), torch.eye(h.shape[1]), h, x, y, t, significant_digits=3, h_out=2 * h)
    assert other["decoder_rmse"] == pytest.approx(other["h_rms"] / 2, rel=1e-4)  # Dec(Enc(h)) = h, h_out = 2h
