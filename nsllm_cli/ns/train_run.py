"""What `finetune` takes from a `nsllm train` run: the layer, atoms and encoder/decoder (paper recipe) or the
reader (steps recipe), checked against the loaded model, and the model to train built from them.

Kept out of the CLI so that the command only parses options and renders; every check here fails with an
`ArtifactError` or `LayerError` that names the run and what to pass instead.

Example:
    >>> run = load_train_run(Path("runs/train-1"), layer="auto", encoder="auto")
    >>> check_same_model(Path("runs/train-1"), run.results["model"], model_fingerprint(lm, tok))
    >>> ns = paper_ns(run, gate=0.8, mix=0.5, complexity=2, oracle=False, inject="last")
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nsllm_cli.errors import ArtifactError, LayerError
from nsllm_cli.ns.problems import TRAIN_TYPES

if TYPE_CHECKING:
    import torch

    from nsllm_cli.ns.adapter import BottleneckAdapter
    from nsllm_cli.ns.paper.intervention import NSIntervention
    from nsllm_cli.ns.steps.model import StepwiseNS
    from nsllm_cli.ns.steps.read_data import ReadItem
    from nsllm_cli.ns.vsa import VSA


@dataclass(frozen=True)
class TrainRun:
    """A finished paper-recipe train run, at the layer (or multi-layer encoder) finetune uses."""

    path: Path
    results: dict[str, Any]
    """Its `results.json` (best layer, model fingerprint, ...)."""
    layer: int
    """The block input the intervention writes to."""
    vsa: VSA
    encoder: torch.Tensor
    decoder: torch.Tensor
    read_layers: list[int] | None
    """The multi-layer encoder's input layers; None for the paper's one-layer encoder."""


def has_reader(train_run: Path) -> bool:
    """Whether `train_run` is a steps-recipe train run (it holds a reader, not per-layer encoders)."""
    return (train_run / "artifacts" / "reader").is_dir()


def load_train_run(train_run: Path, layer: str, encoder: str) -> TrainRun:
    """The train run's results, the chosen layer, its atoms, encoder and decoder, and the read layers.

    Args:
        train_run: A `nsllm train` run folder.
        layer: "auto" (the run's best layer) or a hidden_states index.
        encoder: "single" (the paper's), "multi" (the run's multi-layer encoder; an error if it has
            none), or "auto" (multi when the run has one).

    Raises:
        ArtifactError: not a finished train run, or no multi-layer encoder where one was asked for.
    """
    from nsllm_cli.ns.paper.train import load_encdec

    results_path = train_run / "results.json"
    if not results_path.is_file():
        raise ArtifactError(f"{train_run} is not a finished train run (no results.json)")
    trained = json.loads(results_path.read_text(encoding="utf-8"))
    if "best_layer" not in trained:
        raise ArtifactError(f"{train_run} is not a finished train run (its results.json has no best layer)")
    multi = trained.get("multi")
    if encoder == "multi" and not multi:
        raise ArtifactError(f"{train_run} has no multi-layer encoder (train it with --multi-window 1 or more)")
    if encoder in ("multi", "auto") and multi:
        vsa, enc, dec, manifest = load_encdec(train_run / "artifacts", "multi")
        layer_index, read_layers = int(manifest["meta"]["layer"]), list(manifest["meta"]["read_layers"])
        return TrainRun(train_run, trained, layer_index, vsa, enc, dec, read_layers)
    layer_index = int(trained["best_layer"]) if layer == "auto" else int(layer)
    vsa, enc, dec, _ = load_encdec(train_run / "artifacts", layer_index)
    return TrainRun(train_run, trained, layer_index, vsa, enc, dec, None)


def check_same_model(train_run: Path, trained_model: dict[str, Any], fingerprint: dict[str, Any]) -> None:
    """Refuse a loaded model (its `model_fingerprint`) other than the one `train_run` was trained on.

    Raises:
        ArtifactError: the model configs differ.
    """
    if fingerprint["config_sha256"] != trained_model["config_sha256"]:
        raise ArtifactError(
            f"{train_run} was trained on another model ({trained_model.get('name_or_path')}); pass the same --model"
        )


def check_layer(run: TrainRun, fingerprint: dict[str, Any]) -> None:
    """Refuse a layer after the last block: the intervention needs a block input.

    Raises:
        ArtifactError: the run's layer is not a block input of the loaded model.
    """
    if run.layer >= fingerprint["n_layers"]:
        raise ArtifactError(
            f"layer {run.layer} is after the last block: the intervention needs a block input "
            f"(0..{fingerprint['n_layers'] - 1})"
        )


def paper_ns(run: TrainRun, *, gate: float, mix: float, complexity: int, oracle: bool, inject: str) -> NSIntervention:
    """The paper's NS intervention on the run's encoder, with a decoder to train."""
    from nsllm_cli.ns.paper.intervention import NSIntervention

    return NSIntervention(
        run.vsa,
        run.encoder,
        run.decoder,
        layer=run.layer,
        gate=gate,
        mix=mix,
        complexity=complexity,
        oracle=oracle,
        inject=inject,
        read_layers=run.read_layers,
    )


def paper_adapter(
    run: TrainRun, fingerprint: dict[str, Any], *, mix: float, seed: int, init_from_encdec: bool
) -> BottleneckAdapter:
    """The bottleneck baseline at the run's layer, as wide as its atoms; optionally started from its encoder/decoder."""
    from nsllm_cli.ns.adapter import BottleneckAdapter

    return BottleneckAdapter(
        fingerprint["d_model"],
        layer=run.layer,
        width=run.vsa.dim,
        mix=mix,
        seed=seed,
        init_from=(run.encoder, run.decoder) if init_from_encdec else None,
    )


def stepwise_ns(
    reader: Any,
    vsa: VSA,
    meta: dict[str, Any],
    *,
    lm: Any,
    tok: Any,
    d_model: int,
    gate: float,
    write_layer: str,
    oracle: bool,
) -> StepwiseNS:
    """The step-wise NS model: the steps train run's reader (`meta`: its manifest meta) and a fresh writer.

    Args:
        reader: The run's `SpanReader`.
        vsa: Its atoms.
        meta: Its manifest's meta (read layers, types, complexity).
        lm: The loaded model (its depth sets the write layer).
        tok: Its tokenizer (the chat header the reader starts after).
        d_model: The model's hidden size.
        gate: Intervene only where the type probability exceeds this.
        write_layer: "auto" (4 blocks before the end, after the read layers) or a block input index.
        oracle: Give the true (type, x, y) instead of the reader's (an ablation).

    Raises:
        LayerError: the write layer is not a block input after the read layers.
    """
    from nsllm_cli.hooks import num_layers
    from nsllm_cli.ns.steps.model import StepwiseNS
    from nsllm_cli.ns.steps.spans import digit_token_ids, minus_token_ids, user_header_ids
    from nsllm_cli.ns.steps.writer import StepWriter

    depth = num_layers(lm)
    layer = max(depth - 4, max(meta["read_layers"]) + 1) if write_layer == "auto" else int(write_layer) % depth
    if layer <= max(meta["read_layers"]) or layer >= depth:
        raise LayerError(
            f"the write layer must be a block input after the read layers {meta['read_layers']} (..{depth - 1})"
        )
    complexity = int(meta.get("complexity", 2))
    return StepwiseNS(
        vsa,
        reader,
        StepWriter(vsa.dim, d_model),
        types=tuple(meta["types"]),
        read_layers=meta["read_layers"],
        write_layer=layer,
        header=user_header_ids(tok),
        digit_ids=digit_token_ids(tok),
        minus_ids=minus_token_ids(tok),
        gate=gate,
        complexity=complexity,
        max_steps=vsa.max_digits + 1,  # every digit slot, then the end
        oracle=oracle,
    )


def writer_items(n: int, *, seed: int, complexity: int, types: Sequence[str] = TRAIN_TYPES) -> list[ReadItem]:
    """The step-wise writer's training prompts: `n` questions of the reader's `types` in training wordings, no
    negatives, drawn with ``seed + 3`` (gather's train, val and held-out splits use seed, seed + 1 and seed + 2).

    With subtraction, a fifth more subtraction questions (half with a negative result): a twelfth of the questions
    left the minus code about 15 examples in `make demo`'s 400, too few to learn; the model then wrote "To7" for
    5 - 12 = -7 where the writer wrote the minus and then 7."""
    from nsllm_cli.ns.steps.read_data import reader_items

    items = reader_items(n_pos=n, n_neg=0, seed=seed + 3, split="train", complexity=complexity, types=types)
    if "subtraction" in types:
        items += reader_items(
            n_pos=max(1, n // 5), n_neg=0, seed=seed + 5, split="train", complexity=complexity, types=("subtraction",)
        )
    return items


def training_keys(items: list[ReadItem], meta: dict[str, Any]) -> list[tuple[Any, Any, Any]]:
    """Every (type, x, y) the reader and writer saw: the finetune items and the gather run's rows, sorted."""
    from nsllm_cli.jsonl import read_jsonl

    keys = {(it.problem_type, it.x, it.y) for it in items}
    gather = Path(meta.get("gather", ""))
    keys |= {(r["problem_type"], r["x"], r["y"]) for r in read_jsonl(gather / "rows.jsonl") if r.get("problem_type")}
    return sorted(keys)
