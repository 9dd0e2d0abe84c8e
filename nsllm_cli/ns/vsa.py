"""Holographic reduced representations (HRR) with unitary atoms, batched in torch (spec section 5).

Atoms, in order: ``X`` (number base), ``N1``/``N2`` (operand roles), ``P_1..P_T`` (one per problem
type), ``D`` (digit-position base). Binding is circular convolution through ``rfft``; the inverse is
the involution, exact for unitary vectors. A number fills all ``max_digits`` slots,
``enc(n) = Σ_i X^{c_i(n)} ⊛ D_i`` with ``D_i = D^(2^i)``, and a problem is ``enc(x)⊛N1 + enc(y)⊛N2 + P_t``.

Because binding is linear, every ``X^k ⊛ D_i (⊛ R)`` is precomputed once per device: encoding is a
gather-and-sum and decoding one matrix product, using ``⟨X^k, v⊛R⁻¹⊛D_i⁻¹⟩ = ⟨X^k⊛D_i⊛R, v⟩``
(correlation is the adjoint of convolution). Both equal the spec's formulas up to float rounding.

Example:
    >>> vsa = VSA.generate(types=("gcd", "lcm"), dim=2048, seed=0)
    >>> v = vsa.encode_problem(torch.tensor([866]), torch.tensor([47]), torch.tensor([1]))
    >>> vsa.decode_problem(v)[:3]
    (tensor([866]), tensor([47]), tensor([1]))
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from nsllm_cli.artifacts import load_artifact, save_artifact
from nsllm_cli.errors import ArtifactError

ATOMS_FORMAT = "vsa-atoms"
_ROLES = {None: 0, "N1": 1, "N2": 2}


def _unitary(v: torch.Tensor) -> torch.Tensor:
    """Give every Fourier coefficient modulus 1, so that the involution is an exact inverse."""
    f = torch.fft.rfft(v, dim=-1)
    out: torch.Tensor = torch.fft.irfft(f / f.abs().clamp_min(1e-12), n=v.shape[-1], dim=-1)
    return out


def digits_of(n: torch.Tensor, max_digits: int) -> torch.Tensor:
    """Decimal digits ``c_i(n) = ⌊n / 10^i⌋ mod 10``, least significant first: (B,) -> (B, max_digits).

    Floor division makes this the digits of ``n mod 10**max_digits`` for every integer (so -1 reads 99999).
    """
    powers = 10 ** torch.arange(max_digits, device=n.device, dtype=torch.int64)
    return torch.div(n.long().unsqueeze(-1), powers, rounding_mode="floor") % 10


class VSA:
    """HRR with unitary atoms: X, N1, N2, P_1..P_T (one per problem type, in the given order), D."""

    def __init__(
        self, atoms: torch.Tensor, *, types: tuple[str, ...], max_digits: int = 5, seed: int | None = None
    ) -> None:
        """Wrap existing atoms.

        Args:
            atoms: (4 + T, dim) rows in the order X, N1, N2, P_1..P_T, D; stored as float32 on CPU.
            types: the problem-type names, in the order of the P rows.
            max_digits: number of digit slots of every encoded number.
            seed: the seed the atoms were generated with, if known (recorded in the manifest).

        Raises:
            ValueError: the atom count does not match the types, or max_digits is not positive.
        """
        if atoms.ndim != 2 or atoms.shape[0] != len(types) + 4:
            raise ValueError(f"expected ({len(types) + 4}, dim) atoms for {len(types)} types, got {tuple(atoms.shape)}")
        if max_digits < 1:
            raise ValueError(f"max_digits must be at least 1, got {max_digits}")
        self.atoms = atoms.detach().to("cpu", torch.float32).contiguous()
        self.types = tuple(types)
        self.max_digits = max_digits
        self.seed = seed
        self.dim = int(atoms.shape[1])
        self._sha256: str | None = None
        # Derived tables in float64 (then float32) so that D^(2^4) = D^16 loses no precision.
        a64 = self.atoms.double()
        slots = [a64[-1]]
        for _ in range(max_digits - 1):
            slots.append(self.bind(slots[-1], slots[-1]))
        pos = torch.stack(slots)  # (S, dim)
        book = torch.stack([self.power(a64[0], k) for k in range(10)])  # (10, dim)
        plain = self.bind(book.unsqueeze(0), pos.unsqueeze(1))  # (S, 10, dim): X^k ⊛ D_i
        roles = torch.stack([plain, self.bind(plain, a64[1]), self.bind(plain, a64[2])])  # None, N1, N2
        self.positions = pos.float()
        self.number_codebook = book.float()
        self._slot_books = roles.float()  # (3, S, 10, dim)
        self._cache: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}

    @classmethod
    def generate(cls, *, types: tuple[str, ...], dim: int = 2048, max_digits: int = 5, seed: int = 0) -> VSA:
        """Draw fresh atoms: Gaussian -> L2-normalise -> unitary -> Gram-Schmidt -> unitary again.

        A private ``torch.Generator`` (never the global RNG) makes the same seed give bit-identical atoms.
        """
        gen = torch.Generator(device="cpu").manual_seed(seed)
        raw = torch.randn(len(types) + 4, dim, generator=gen, dtype=torch.float64)
        rows = _unitary(raw / raw.norm(dim=-1, keepdim=True))
        ortho: list[torch.Tensor] = []
        for row in rows:  # modified Gram-Schmidt over the atoms (a handful), not over a batch
            for q in ortho:
                row = row - (row @ q) * q
            ortho.append(row / row.norm())
        return cls(_unitary(torch.stack(ortho)).float(), types=types, max_digits=max_digits, seed=seed)

    @property
    def X(self) -> torch.Tensor:
        """Number base: digit k is ``X^k``."""
        return self.atoms[0]

    @property
    def N1(self) -> torch.Tensor:
        """Role of the first operand."""
        return self.atoms[1]

    @property
    def N2(self) -> torch.Tensor:
        """Role of the second operand."""
        return self.atoms[2]

    @property
    def P(self) -> torch.Tensor:
        """(T, dim) problem-type atoms, in the order of `types`."""
        return self.atoms[3:-1]

    @property
    def D(self) -> torch.Tensor:
        """Digit-position base: slot i is ``D^(2^i)``."""
        return self.atoms[-1]

    @staticmethod
    def bind(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Circular convolution ``a ⊛ b``; broadcasts over leading dimensions."""
        spectrum = torch.fft.rfft(a, dim=-1) * torch.fft.rfft(b, dim=-1)
        out: torch.Tensor = torch.fft.irfft(spectrum, n=a.shape[-1], dim=-1)
        return out

    @staticmethod
    def inverse(a: torch.Tensor) -> torch.Tensor:
        """Involution ``a[(-i) mod dim]``: the exact inverse of a unitary vector."""
        return torch.roll(torch.flip(a, dims=[-1]), shifts=1, dims=-1)

    @staticmethod
    def power(a: torch.Tensor, k: int) -> torch.Tensor:
        """``a^k`` by raising the Fourier coefficients to k; ``a^0`` is the identity δ."""
        out: torch.Tensor = torch.fft.irfft(torch.fft.rfft(a, dim=-1) ** k, n=a.shape[-1], dim=-1)
        return out

    def _tables(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """(P, slot codebooks) on `device`, copied once and cached."""
        if device not in self._cache:
            self._cache[device] = (self.P.to(device), self._slot_books.to(device))
        return self._cache[device]

    def _encode(self, n: torch.Tensor, role: int) -> torch.Tensor:
        """Σ_i X^{c_i(n)} ⊛ D_i (⊛ role) as a gather over the precomputed codebook."""
        _, books = self._tables(n.device)
        digits = digits_of(n, self.max_digits)  # (B, S)
        return books[role][torch.arange(self.max_digits, device=n.device), digits].sum(dim=-2)

    def encode_number(self, n: torch.Tensor) -> torch.Tensor:
        """(B,) int64 -> (B, dim) ``enc(n)``, always all slots; digits past max_digits are dropped."""
        return self._encode(n, 0)

    def encode_problem(self, x: torch.Tensor, y: torch.Tensor, type_idx: torch.Tensor) -> torch.Tensor:
        """(B,) x, y and type index -> (B, dim) ``enc(x)⊛N1 + enc(y)⊛N2 + P_t``, the encoder's target."""
        p, _ = self._tables(x.device)
        return self._encode(x, 1) + self._encode(y, 2) + p[type_idx.to(x.device)]

    def digit_scores(self, v: torch.Tensor, role: str | None = None) -> torch.Tensor:
        """Similarities ``s_{i,k} = ⟨X^k, v⊛R⁻¹⊛D_i⁻¹⟩``: (B, dim) -> (B, max_digits, 10).

        Args:
            v: VSA vectors (any float dtype; computed in float32).
            role: "N1" or "N2" to unbind an operand first, or None for a bare ``enc(n)``.

        Raises:
            ValueError: an unknown role.
        """
        if role not in _ROLES:
            raise ValueError(f"role must be 'N1', 'N2' or None, got {role!r}")
        _, books = self._tables(v.device)
        flat = books[_ROLES[role]].reshape(-1, self.dim)  # (S*10, dim)
        return (v.float() @ flat.T).reshape(*v.shape[:-1], self.max_digits, 10)

    def decode_digits(self, v: torch.Tensor, role: str | None = None, *, threshold: float = 0.5) -> torch.Tensor:
        """(B, max_digits) int64 digits, least significant first; a slot scoring nothing above `threshold` is 0."""
        best, idx = self.digit_scores(v, role).max(dim=-1)
        return torch.where(best > threshold, idx, torch.zeros_like(idx))

    def decode_number(self, v: torch.Tensor, role: str | None = None, *, threshold: float = 0.5) -> torch.Tensor:
        """(B,) int64 number read from `v` (unbound from `role` first when given)."""
        digits = self.decode_digits(v, role, threshold=threshold)
        return (digits * 10 ** torch.arange(self.max_digits, device=v.device, dtype=torch.int64)).sum(dim=-1)

    def decode_type(self, v: torch.Tensor, *, normalize: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """(type index, score) with score the raw ``max_t ⟨P_t, v⟩``, the gate's input (spec section 8).

        Args:
            v: (B, dim) VSA vectors.
            normalize: L2-normalise `v` first (off by default, as in the paper, so the gate threshold
                keeps its meaning: a clean problem scores ≈ 1 raw but ≈ 0.3 normalised).
        """
        p, _ = self._tables(v.device)
        v = v.float()
        if normalize:
            v = v / v.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        score, idx = (v @ p.T).max(dim=-1)
        return idx, score

    def decode_problem(
        self, v: torch.Tensor, *, threshold: float = 0.5
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, dim) -> x, y, type index and type score, each (B,).

        `threshold` is the spec's 0.5 for clean vectors. Vectors predicted by a linear encoder are
        attenuated (the right digit often scores 0.3-0.5), and every slot is encoded (leading zeros as
        X^0), so the pipeline decodes with threshold 0: a plain argmax.
        """
        t, score = self.decode_type(v)
        return (
            self.decode_number(v, "N1", threshold=threshold),
            self.decode_number(v, "N2", threshold=threshold),
            t,
            score,
        )

    def save(self, folder: Path) -> str:
        """Write atoms + manifest (dim, max_digits, types, seed) to `folder`.

        Returns:
            The sha256 of the tensor file, which encoder manifests pin in ``depends_on``.
        """
        meta = {"dim": self.dim, "max_digits": self.max_digits, "types": list(self.types), "seed": self.seed}
        manifest = save_artifact(folder, {"atoms": self.atoms}, fmt=ATOMS_FORMAT, meta=meta)
        self._sha256 = str(manifest["sha256"])
        return self._sha256

    @classmethod
    def load(cls, folder: Path) -> VSA:
        """Load atoms saved by :meth:`save`.

        Raises:
            ArtifactError: missing, corrupted or inconsistent artifact (checksum, shape, metadata).
        """
        tensors, manifest = load_artifact(folder, fmt=ATOMS_FORMAT)
        try:
            meta = manifest["meta"]
            atoms = tensors["atoms"]
            if int(meta["dim"]) != atoms.shape[-1]:
                raise ValueError(f"manifest dim {meta['dim']} but atoms have {atoms.shape[-1]}")
            seed = None if meta.get("seed") is None else int(meta["seed"])
            vsa = cls(atoms, types=tuple(meta["types"]), max_digits=int(meta["max_digits"]), seed=seed)
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(f"{folder}: not a usable VSA atoms artifact: {exc}") from exc
        vsa._sha256 = str(manifest["sha256"])
        return vsa

    @property
    def sha256(self) -> str:
        """Checksum that encoders pin: the sha256 of the safetensors file :meth:`save` writes.

        Before any save/load it is computed from the same in-memory serialization
        (``safetensors.torch.save({"atoms": atoms})``), so it does not change when the atoms are saved.
        """
        if self._sha256 is None:
            from safetensors.torch import save

            self._sha256 = hashlib.sha256(save({"atoms": self.atoms})).hexdigest()
        return self._sha256
