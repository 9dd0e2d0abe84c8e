"""`train`: fit encoders/decoders on gathered activations, write the per-layer table, plot and best layer.

Outputs, under the run folder's `artifacts/`:
    vsa_atoms/          the HRR atoms (safetensors + manifest with checksum)
    encdec/L{L}/        encoder (D, d) and decoder (d, D) weights; the manifest pins the atoms' sha256
    encdec/multi/       encoder (D, k*d) over k neighbouring layers and the decoder of the highest one
    layers.png          digit and type error per layer
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nsllm_cli.artifacts import save_artifact, sha256_file
from nsllm_cli.errors import ArtifactError, DataError
from nsllm_cli.events import Event, ignore
from nsllm_cli.ns import activations as act
from nsllm_cli.ns.paper.encdec import Solver, evaluate, fit_layers, ridge
from nsllm_cli.ns.problems import PROBLEM_TYPES, TRAIN_TYPES

if TYPE_CHECKING:
    import torch

    from nsllm_cli.ns.vsa import VSA

ENCDEC_FORMAT = "nsllm-encdec"
SPLIT_ALIASES = {"training": "train", "validation": "val", "testing": "test"}


def _labels(rows: list[dict[str, Any]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    import torch

    x = torch.tensor([int(r["x"]) for r in rows])
    y = torch.tensor([int(r["y"]) for r in rows])
    t = torch.tensor([PROBLEM_TYPES.index(r["problem_type"]) for r in rows])
    return x, y, t


def _split_rows(rows: list[dict[str, Any]]) -> tuple[list[int], list[int]]:
    """Indices of training and validation rows over the 8 training types (unseen types never train)."""
    split = [SPLIT_ALIASES.get(r["split"], r["split"]) for r in rows]
    trained = [r["problem_type"] in TRAIN_TYPES for r in rows]
    train = [i for i, s in enumerate(split) if s == "train" and trained[i]]
    val = [i for i, s in enumerate(split) if s == "val" and trained[i]]
    if not val:  # no validation split gathered: hold out every 10th training row
        val, train = train[::10], [i for j, i in enumerate(train) if j % 10]
    return train, val


def train(
    gather_dir: Path,
    out: Path,
    *,
    layers: list[int] | None = None,
    solver: Solver = "lstsq",
    vsa_dim: int = 2048,
    atoms_seed: int = 0,
    epochs: int = 1000,
    dec_epochs: int = 1000,
    lr: float = 1e-3,
    batch_size: int = 512,
    alpha: float = 1e-8,
    dec_alpha: float = 1e-3,
    multi_window: int = 2,
    seed: int = 0,
    on_event: Event = ignore,
) -> dict[str, Any]:
    """Fit and evaluate every requested layer of a gather run; returns the results dict.

    With `multi_window` > 0, also fits one encoder over the concatenated block inputs within that many
    layers of the best one (a ridge fit), written back at the highest of them by that layer's decoder:
    the information about the operands is spread over neighbouring layers, so reading several of them
    decodes far more problems exactly than the best single layer.
    """
    import torch

    from nsllm_cli.ns.vsa import VSA

    manifest = act.read_manifest(gather_dir)
    wanted = layers if layers is not None else list(manifest["layers"])
    missing = [layer for layer in wanted if layer not in manifest["layers"]]
    if missing:
        raise ArtifactError(f"{gather_dir}: layers {missing} were not gathered (gathered: {manifest['layers']})")
    probe = act.load_layer(gather_dir, wanted[0])
    train_idx, val_idx = _split_rows(probe.rows)
    if len(train_idx) < 2 or not val_idx:
        raise DataError(f"{gather_dir}: too few training rows of the 8 training types ({len(train_idx)})")
    x, y, t = _labels(probe.rows)
    vsa = VSA.generate(types=PROBLEM_TYPES, dim=vsa_dim, seed=atoms_seed)
    atoms_sha = vsa.save(out / "vsa_atoms")
    gather_sha = sha256_file(gather_dir / "manifest.json")
    tr, va = torch.tensor(train_idx), torch.tensor(val_idx)
    targets = vsa.encode_problem(x[tr], y[tr], t[tr])
    on_event("start", {"layers": wanted, "train": len(train_idx), "val": len(val_idx), "solver": solver})

    hidden = {layer: act.load_layer(gather_dir, layer).h for layer in wanted}
    start = time.perf_counter()
    fits = fit_layers(
        {k: v[tr] for k, v in hidden.items()},
        targets,
        solver=solver,
        epochs=epochs,
        dec_epochs=dec_epochs,
        lr=lr,
        batch_size=batch_size,
        alpha=alpha,
        dec_alpha=dec_alpha,
        seed=seed,
        on_epoch=lambda phase, epoch, loss, cur_lr: on_event(
            "epoch", {"phase": phase, "epoch": epoch, "loss": loss, "lr": cur_lr}
        ),
    )
    fit_seconds = time.perf_counter() - start
    digits = int(manifest["complexity"]) + 1
    table = []
    for layer in wanted:
        enc, dec = fits[layer]
        metrics = evaluate(vsa, enc, dec, hidden[layer][va], x[va], y[va], t[va], significant_digits=digits)
        save_artifact(
            out / "encdec" / f"L{layer}",
            {"encoder": enc, "decoder": dec},
            fmt=ENCDEC_FORMAT,
            meta={
                "layer": layer,
                "d_model": int(enc.shape[1]),
                "vsa_dim": vsa_dim,
                "solver": solver,
                "model": manifest["model"],
                "val": metrics,
            },
            depends_on={"vsa_atoms": atoms_sha, "activations_manifest": gather_sha},
        )
        table.append({"layer": layer, **metrics})
        on_event("layer", table[-1])
    # hidden_states[n_layers] is the final norm's output: no block reads it, so it cannot be intervened on
    blocks = [r for r in table if r["layer"] < manifest["model"]["n_layers"]] or table
    best = min(blocks, key=lambda r: (r["digit_error"], r["problem_error"], r["layer"]))
    results = {
        "gather": str(gather_dir),
        "solver": solver,
        "vsa_dim": vsa_dim,
        "atoms_seed": atoms_seed,
        "atoms_sha256": atoms_sha,
        "train_rows": len(train_idx),
        "val_rows": len(val_idx),
        "fit_seconds": round(fit_seconds, 2),
        "best_layer": best["layer"],
        "layers": table,
        "model": manifest["model"],
    }
    multi = _fit_multi(
        vsa,
        hidden,
        fits,
        [r["layer"] for r in blocks if abs(r["layer"] - best["layer"]) <= multi_window],
        targets=targets,
        tr=tr,
        va=va,
        labels=(x, y, t),
        alpha=alpha,
        digits=digits,
        out=out,
        meta={"vsa_dim": vsa_dim, "model": manifest["model"]},
        depends_on={"vsa_atoms": atoms_sha, "activations_manifest": gather_sha},
    )
    if multi is not None:
        results["multi"] = multi
        on_event("multi", multi)
    plot_layers(table, out / "layers.png", best=best["layer"])
    on_event("finish", results)
    return results


def _fit_multi(
    vsa: VSA,
    hidden: dict[int, torch.Tensor],
    fits: dict[int, tuple[torch.Tensor, torch.Tensor]],
    window: list[int],
    *,
    targets: torch.Tensor,
    tr: torch.Tensor,
    va: torch.Tensor,
    labels: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    alpha: float,
    digits: int,
    out: Path,
    meta: dict[str, Any],
    depends_on: dict[str, str],
) -> dict[str, Any] | None:
    """The multi-layer encoder (see `train`): saved as encdec/multi; None when the window has < 2 layers."""
    import torch

    window = sorted(window)
    if len(window) < 2:
        return None
    write = window[-1]
    h = torch.cat([hidden[layer].float() for layer in window], dim=1)
    enc = ridge(h[tr], targets, alpha)
    dec = fits[write][1]
    x, y, t = labels
    metrics = evaluate(vsa, enc, dec, h[va], x[va], y[va], t[va], significant_digits=digits, h_out=hidden[write][va])
    save_artifact(
        out / "encdec" / "multi",
        {"encoder": enc, "decoder": dec},
        fmt=ENCDEC_FORMAT,
        meta={
            **meta,
            "layer": write,
            "read_layers": window,
            "d_model": int(dec.shape[0]),
            "solver": "lstsq",
            "val": metrics,
        },
        depends_on=depends_on,
    )
    return {"layer": write, "read_layers": window, **metrics}


def load_encdec(run_artifacts: Path, layer: int | str) -> tuple[VSA, torch.Tensor, torch.Tensor, dict[str, Any]]:
    """Atoms, encoder and decoder of one layer (or "multi"); refuses an encoder saved with other atoms."""
    from nsllm_cli.artifacts import load_artifact
    from nsllm_cli.ns.vsa import VSA

    vsa = VSA.load(run_artifacts / "vsa_atoms")
    folder = run_artifacts / "encdec" / (str(layer) if layer == "multi" else f"L{layer}")
    if not folder.is_dir():
        what = "a multi-layer encoder" if layer == "multi" else f"an encoder/decoder for layer {layer}"
        raise ArtifactError(f"{run_artifacts}: no {what}")
    tensors, manifest = load_artifact(folder, fmt=ENCDEC_FORMAT, expect_depends_on={"vsa_atoms": str(vsa.sha256)})
    return vsa, tensors["encoder"], tensors["decoder"], manifest


def plot_layers(table: list[dict[str, Any]], path: Path, *, best: int) -> None:
    """Digit error and problem error per layer, the best layer marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = [r["layer"] for r in table]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(layers, [100 * r["digit_error"] for r in table], marker="o", label="digit error %")
    ax.plot(layers, [100 * r["problem_error"] for r in table], marker="s", label="problem not fully decoded %")
    ax.plot(layers, [100 * r["type_error"] for r in table], marker="^", label="type error %")
    ax.axvline(best, color="grey", linestyle="--", label=f"best layer {best}")
    ax.set_xlabel("layer (hidden_states index; 0 = embeddings)")
    ax.set_ylabel("% on validation")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("Encoder decoding error per layer")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
