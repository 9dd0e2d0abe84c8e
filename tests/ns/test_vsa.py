"""HRR algebra and the problem encoding of spec section 5."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from nsllm_cli.errors import ArtifactError
from nsllm_cli.ns.vsa import VSA, digits_of

TYPES = (
    "addition",
    "multiplication",
    "division",
    "modulo",
    "gcd",
    "lcm",
    "square_mod",
    "bitwise_and",
    "bitwise_xor",
    "bitwise_or",
)


@pytest.fixture(scope="module")
def vsa() -> VSA:
    return VSA.generate(types=TYPES, dim=2048, seed=0)


def _delta(dim: int = 2048) -> torch.Tensor:
    delta = torch.zeros(dim)
    delta[0] = 1
    return delta


def _problems(n: int, seed: int, high: int = 100000) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randint(0, high, (n,), generator=gen)
    y = torch.randint(0, high, (n,), generator=gen)
    return x, y, torch.randint(0, len(TYPES), (n,), generator=gen)


def test_atoms_are_unit_unitary_and_nearly_orthogonal(vsa: VSA) -> None:
    assert vsa.atoms.shape == (14, 2048) and vsa.atoms.dtype == torch.float32
    assert vsa.P.shape == (10, 2048) and torch.equal(vsa.D, vsa.atoms[13]) and torch.equal(vsa.N2, vsa.atoms[2])
    assert torch.allclose(vsa.atoms.norm(dim=1), torch.ones(14), atol=1e-5)
    assert torch.allclose(torch.fft.rfft(vsa.atoms.double()).abs(), torch.tensor(1.0, dtype=torch.float64), atol=1e-5)
    cos = vsa.atoms @ vsa.atoms.T - torch.eye(14)
    assert cos.abs().max() < 0.1


def test_same_seed_same_atoms_without_touching_the_global_rng(vsa: VSA) -> None:
    state = torch.get_rng_state()
    assert torch.equal(VSA.generate(types=TYPES, seed=0).atoms, vsa.atoms)
    assert torch.equal(torch.get_rng_state(), state)
    assert not torch.allclose(VSA.generate(types=TYPES, seed=1).atoms, vsa.atoms)


def test_inverse_identity_and_powers(vsa: VSA) -> None:
    for atom in (vsa.X, vsa.N1, vsa.D, vsa.P[4]):
        assert torch.allclose(VSA.bind(atom, VSA.inverse(atom)), _delta(), atol=1e-5)
    assert torch.allclose(VSA.bind(vsa.X, _delta()), vsa.X, atol=1e-6)
    assert torch.allclose(vsa.number_codebook[0], _delta(), atol=1e-6)
    for a, b in ((3, 4), (0, 9), (5, 5)):
        assert torch.allclose(VSA.bind(VSA.power(vsa.X, a), VSA.power(vsa.X, b)), VSA.power(vsa.X, a + b), atol=1e-5)
    assert torch.allclose(vsa.positions[3], VSA.power(vsa.D, 8), atol=1e-5)


def _spec_enc(vsa: VSA, n: int) -> torch.Tensor:
    """enc(n) literally as spec section 5 writes it, one digit at a time."""
    out = torch.zeros(vsa.dim)
    for i in range(vsa.max_digits):
        out = out + VSA.bind(VSA.power(vsa.X, n // 10**i % 10), VSA.power(vsa.D, 2**i))
    return out


def test_encoding_matches_the_spec_formula(vsa: VSA) -> None:
    x, y, t = _problems(8, seed=3)
    expected = torch.stack(
        [
            VSA.bind(_spec_enc(vsa, int(a)), vsa.N1) + VSA.bind(_spec_enc(vsa, int(b)), vsa.N2) + vsa.P[int(c)]
            for a, b, c in zip(x, y, t, strict=True)
        ]
    )
    assert torch.allclose(vsa.encode_problem(x, y, t), expected, atol=1e-4)
    assert torch.allclose(vsa.encode_number(x[:1]), _spec_enc(vsa, int(x[0])), atol=1e-4)
    assert 3.0 < float(expected.norm(dim=1).mean()) < 3.8  # spec: about 3.4


def test_exact_round_trip(vsa: VSA) -> None:
    x, y, t = _problems(1000, seed=1)
    v = vsa.encode_problem(x, y, t)
    dx, dy, dt, score = vsa.decode_problem(v)
    assert torch.equal(dx, x) and torch.equal(dy, y) and torch.equal(dt, t)
    assert torch.equal(vsa.decode_number(vsa.encode_number(x)), x)
    assert torch.equal(vsa.decode_digits(v, "N2"), digits_of(y, 5))
    scores = vsa.digit_scores(vsa.encode_number(x), None)
    assert scores.shape == (1000, 5, 10)
    right = scores.gather(-1, digits_of(x, 5).unsqueeze(-1)).squeeze(-1)
    assert bool(((right - 1).abs() < 0.3).all())  # 1 plus crosstalk from the other slots (about ±0.1)
    others = scores.scatter(-1, digits_of(x, 5).unsqueeze(-1), 0.0)
    assert float(others.abs().max()) < 0.4


def test_numbers_past_max_digits_wrap() -> None:
    small = VSA.generate(types=TYPES, dim=1024, max_digits=3, seed=5)
    n = torch.tensor([1234, 999, 7])
    assert small.decode_number(small.encode_number(n)).tolist() == [234, 999, 7]


def test_decoding_survives_noise_of_half_the_norm(vsa: VSA) -> None:
    x, y, t = _problems(300, seed=2)
    v = vsa.encode_problem(x, y, t)
    noise = torch.randn(v.shape, generator=torch.Generator().manual_seed(4))
    noise = noise / noise.norm(dim=1, keepdim=True) * 0.5 * v.norm(dim=1, keepdim=True)
    dx, dy, dt, _ = vsa.decode_problem(v + noise)
    assert torch.equal(dx, x) and torch.equal(dy, y) and torch.equal(dt, t)


def test_decode_type_scores_about_one(vsa: VSA) -> None:
    x, y, t = _problems(200, seed=6)
    idx, score = vsa.decode_type(vsa.encode_problem(x, y, t))
    assert torch.equal(idx, t)
    assert torch.allclose(score, torch.tensor(1.0), atol=0.3)  # 1 plus crosstalk, std ≈ 0.065
    _, normed = vsa.decode_type(vsa.encode_problem(x, y, t), normalize=True)
    assert bool((normed < 0.5).all())  # ≈ 1/‖v‖


def test_unknown_role_and_bad_atoms_are_refused(vsa: VSA) -> None:
    with pytest.raises(ValueError, match="role"):
        vsa.digit_scores(torch.zeros(1, 2048), "N3")
    with pytest.raises(ValueError, match="atoms"):
        VSA(torch.zeros(5, 64), types=TYPES)


def test_digits_of() -> None:
    assert digits_of(torch.tensor([866, 7, 123456]), 5).tolist() == [[6, 6, 8, 0, 0], [7, 0, 0, 0, 0], [6, 5, 4, 3, 2]]


def test_save_load_and_tamper(vsa: VSA, tmp_path: Path) -> None:
    fresh = VSA.generate(types=TYPES, seed=0)
    before = fresh.sha256
    sha = fresh.save(tmp_path / "atoms")
    assert sha == before == fresh.sha256
    loaded = VSA.load(tmp_path / "atoms")
    assert torch.equal(loaded.atoms, vsa.atoms) and loaded.sha256 == sha
    assert (loaded.types, loaded.seed, loaded.max_digits, loaded.dim) == (TYPES, 0, 5, 2048)
    meta = json.loads((tmp_path / "atoms" / "manifest.json").read_text())["meta"]
    assert meta == {"dim": 2048, "max_digits": 5, "types": list(TYPES), "seed": 0}
    raw = bytearray((tmp_path / "atoms" / "tensors.safetensors").read_bytes())
    raw[-5] ^= 1
    (tmp_path / "atoms" / "tensors.safetensors").write_bytes(bytes(raw))
    with pytest.raises(ArtifactError):
        VSA.load(tmp_path / "atoms")
