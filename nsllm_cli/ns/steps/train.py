"""`train` for the step-wise recipe: fit the reader on a span gather, choose its blocks, report it per split.

1. The digit/role trunk trains on the early blocks' per-token states.
2. Per candidate block, the pooled type head and the open-set test are fitted and measured: on questions of
   training wording families that the fit did not see (folds of whole families: the choice), on validation
   questions (trained families, new numbers) and on the held-out families (shown, never used to choose).
3. The block (or the later blocks together) whose out-of-family type read is best (right type, gate open, minus
   the false opens on negatives) reads the operation; the block whose open-set score separates out-of-family
   questions from other-maths negatives best runs the open-set test. Its threshold is a quantile of the
   out-of-family questions' scores.

The report tells a user whether the read side is good enough before spending time on the writer.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from nsllm_cli.errors import ArtifactError
from nsllm_cli.events import Event, ignore
from nsllm_cli.ns.problems import PROBLEM_TYPES, TRAIN_TYPES, result_digits
from nsllm_cli.ns.steps.gather import (
    check_roles,
    digit_layers,
    gather_ops,
    load_rows,
    load_split,
    read_span_manifest,
)
from nsllm_cli.ns.steps.open_set import OpenSet, auroc
from nsllm_cli.ns.steps.reader import (
    GATE,
    READER_VERSION,
    ReaderData,
    SpanReader,
    content_pooled,
    evaluate_reader,
    pooled,
    train_reader,
)
from nsllm_cli.ns.steps.store import save_reader
from nsllm_cli.ns.steps.type_read import TypeHead, family_folds, open_rate, out_of_family_probs
from nsllm_cli.ns.vsa import VSA

OPEN_QUANTILE = 0.97
"""The open-set threshold lets this share of out-of-family questions of the trained types through."""


def _slots(x: torch.Tensor, indices: list[int], d: int) -> torch.Tensor:
    return torch.cat([x[:, i * d : (i + 1) * d] for i in indices], dim=-1)


def _pool(data: ReaderData) -> torch.Tensor:
    return pooled([data.item_feats(i) for i in range(len(data))])


def _words(data: ReaderData, tail: int) -> torch.Tensor:
    """The open-set test's input: each prompt's mean over its word tokens (`reader.content_pooled`)."""
    digits = [data.digits[int(data.offsets[i]) : int(data.offsets[i + 1])].long() for i in range(len(data))]
    return content_pooled([data.item_feats(i) for i in range(len(data))], digits, tail)


def _out_of_family_scores(x: torch.Tensor, labels: torch.Tensor, folds: torch.Tensor, n_types: int) -> torch.Tensor:
    """Every item's open-set score from a test fitted without its fold's families."""
    out = torch.zeros(x.shape[0])
    for f in folds.unique().tolist():
        held = folds == f
        if bool(held.all()):
            continue
        out[held] = OpenSet.fit(x[~held], labels[~held], n_types=n_types).score(x[held])
    return out


def type_candidates(layers: list[int], digit: list[int]) -> list[list[int]]:
    """The blocks the operation may be read from: each read layer alone, and the mid-to-late ones together (from the
    last digit block on, and after it)."""
    out = [[v] for v in layers]
    for start in (max(digit), max(digit) + 1):
        later = [v for v in layers if v >= start]
        if len(later) > 1 and later not in out:
            out.append(later)
    return out


def open_set_table(
    x_train: torch.Tensor,
    labels: torch.Tensor,
    folds: torch.Tensor,
    math_neg: torch.Tensor,
    *,
    layers: list[int],
    d: int,
    n_types: int = len(TRAIN_TYPES),
) -> list[dict[str, Any]]:
    """Per read layer: how well the open-set score separates out-of-family questions of the `n_types` trained types
    from other-maths negatives (AUROC), and the threshold that lets `OPEN_QUANTILE` of those questions through."""
    pos = labels < n_types
    rows = []
    for i, layer in enumerate(layers):
        scores = _out_of_family_scores(_slots(x_train, [i], d), labels, folds, n_types)
        rows.append(
            {
                "layer": layer,
                "oof_auroc": auroc(scores[pos], scores[math_neg]),
                "threshold": float(scores[pos].quantile(OPEN_QUANTILE)),
            }
        )
    return rows


def layer_table(
    train: ReaderData,
    x_train: torch.Tensor,
    w_train: torch.Tensor,
    families: list[str],
    kinds: list[str],
    evals: dict[str, ReaderData],
    *,
    layers: list[int],
    digit: list[int],
    d_model: int,
    gate: float,
    tail: int = 0,
    n_types: int = len(TRAIN_TYPES),
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The type read per candidate block(s), measured out of family (the choice) and on `evals` with the open-set
    test of the best separating block; and the open-set table per block. `x_train` and `w_train` are the training
    prompts' pooled and word-pooled features (`_pool`, `_words`); the labels below `n_types` are trained types."""
    labels = train.types.long()
    folds = family_folds(families)
    pos, neg = labels < n_types, labels == n_types
    math_neg = torch.tensor([k == "negative-math" for k in kinds]) & neg
    open_rows = open_set_table(w_train, labels, folds, math_neg, layers=layers, d=d_model, n_types=n_types)
    best = max(open_rows, key=lambda r: r["oof_auroc"] if r["oof_auroc"] == r["oof_auroc"] else -1.0)
    ood_i = layers.index(best["layer"])
    test = OpenSet.fit(_slots(w_train, [ood_i], d_model), labels, n_types=n_types)
    test.threshold = best["threshold"]
    pooled_evals = {name: _pool(data) for name, data in evals.items()}
    familiar = {
        name: test.score(_slots(_words(data, tail), [ood_i], d_model)) <= test.threshold for name, data in evals.items()
    }
    rows = []
    for cand in type_candidates(layers, digit):
        idx = [layers.index(v) for v in cand]
        x = _slots(x_train, idx, d_model)
        probs = out_of_family_probs(x, labels, folds, n_types=n_types)
        opened = open_rate(probs, n_types=n_types, gate=gate)
        type_ok = opened & (probs[:, :n_types].argmax(-1) == labels)
        row: dict[str, Any] = {
            "layers": cand,
            "oof_type_right": float(type_ok[pos].float().mean()),
            "oof_false_open": float(opened[neg].float().mean()) if bool(neg.any()) else 0.0,
        }
        head = TypeHead.fit(x, labels, n_types=n_types)
        for name, data in evals.items():
            pe = head.probs(_slots(pooled_evals[name], idx, d_model))
            op = open_rate(pe, n_types=n_types, gate=gate)
            both = op & familiar[name]
            t = data.types.long()
            ep, en, eu = t < n_types, t == n_types, t > n_types
            row[f"{name}_type_right"] = float((both & (pe[:, :n_types].argmax(-1) == t))[ep].float().mean())
            row[f"{name}_false_open"] = float(both[en].float().mean()) if bool(en.any()) else None
            row[f"{name}_unseen_open"] = float(both[eu].float().mean()) if bool(eu.any()) else None
        rows.append(row)
    return rows, open_rows


def choose_layers(table: list[dict[str, Any]], open_rows: list[dict[str, Any]]) -> tuple[list[int], int]:
    """(type layers, open-set layer): the best out-of-family type read net of false opens; the best separation."""
    type_layers = max(table, key=lambda r: r["oof_type_right"] - r["oof_false_open"])["layers"]
    ood = max(open_rows, key=lambda r: r["oof_auroc"] if r["oof_auroc"] == r["oof_auroc"] else -1.0)
    return list(type_layers), int(ood["layer"])


def train_steps_reader(
    source: Path,
    out: Path,
    *,
    epochs: int = 20,
    hidden: int = 256,
    lr: float = 2e-3,
    batch_size: int = 64,
    gate: float = GATE,
    vsa_dim: int = 2048,
    atoms_seed: int = 0,
    seed: int = 0,
    on_event: Event = ignore,
) -> dict[str, Any]:
    """Fit a `SpanReader` on `source`'s train split; save it with fresh atoms in `out/reader`. Returns results."""
    manifest = read_span_manifest(source)
    check_roles(manifest, source)
    train = load_split(source, "train")
    if train is None or len(train) == 0:
        raise ArtifactError(f"{source} has no training prompts")
    rows = load_rows(source, "train")
    if len(rows) != len(train):
        raise ArtifactError(f"{source}: rows.jsonl and the shards disagree; gather again into a new --run-dir")
    torch.manual_seed(seed)
    complexity = int(manifest.get("config", {}).get("complexity", 2))
    read_layers = [int(v) for v in manifest["read_layers"]]
    d_model = int(manifest["model"]["d_model"])
    depth = int(manifest["model"]["n_layers"])
    early = digit_layers(read_layers, depth)
    tail = int(manifest.get("tail_tokens", 0))
    ops = gather_ops(manifest)
    evals = {s: d for s in ("val", "heldout") if (d := load_split(source, s)) is not None and len(d)}
    on_event("start", {"train": len(train), "read_layers": read_layers})
    t0 = time.perf_counter()
    x_train, w_train = _pool(train), _words(train, tail)
    table, open_rows = layer_table(
        train,
        x_train,
        w_train,
        [str(r.get("family")) for r in rows],
        [str(r.get("kind")) for r in rows],
        evals,
        layers=read_layers,
        digit=early,
        d_model=d_model,
        gate=gate,
        tail=tail,
        n_types=len(ops),
    )
    type_layers, ood_layer = choose_layers(table, open_rows)
    on_event("layers", {"type_layers": type_layers, "ood_layer": ood_layer})
    reader = SpanReader(
        d_model=d_model,
        n_slots=len(read_layers),
        digit_slots=[read_layers.index(v) for v in early],
        type_slots=[read_layers.index(v) for v in type_layers],
        ood_slot=read_layers.index(ood_layer),
        n_types=len(ops),
        hidden=hidden,
        max_operand=10 ** (complexity + 1) - 1,
        tail=tail,
    )
    history = train_reader(reader, train, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, on_event=on_event)
    labels = train.types.long()
    reader.type_head = TypeHead.fit(_slots(x_train, reader.type_slots, d_model), labels, n_types=len(ops))
    reader.open_set = OpenSet.fit(_slots(w_train, [reader.ood_slot], d_model), labels, n_types=len(ops))
    reader.open_set.threshold = next(r for r in open_rows if r["layer"] == ood_layer)["threshold"]
    seconds = time.perf_counter() - t0
    splits = {name: evaluate_reader(reader, data, gate=gate) for name, data in evals.items()}
    splits["train"] = evaluate_reader(reader, train, gate=gate)
    # enough digit slots for the longest result of two operands: a whole product, 2 (c + 1) digits
    vsa = VSA.generate(types=PROBLEM_TYPES, dim=vsa_dim, seed=atoms_seed, max_digits=result_digits(complexity))
    results = {
        "recipe": "steps",
        "reader_version": READER_VERSION,
        "model": manifest["model"],
        "read_layers": read_layers,
        "digit_layers": early,
        "type_layers": type_layers,
        "ood_layer": ood_layer,
        "open_threshold": reader.open_set.threshold,
        "layer_table": table,
        "open_set_table": open_rows,
        "types": list(ops),
        "complexity": complexity,
        "gate": gate,
        "epochs": epochs,
        "seconds": round(seconds, 1),
        "final_loss": history[-1]["loss"] if history else None,
        "splits": splits,
        "gather": str(source),
    }
    save_reader(out / "reader", reader, vsa, meta=results)
    return results
