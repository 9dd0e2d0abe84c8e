"""`gather` for the step-wise recipe: the question tokens' hidden states at the read layers, on disk.

Layout of the folder (resumable: a shard's tensors are written before its rows are appended)::

    manifest.json                      format nsllm-span-activations: model fingerprint, read layers,
                                       index convention, seed, counts per split, shard size
    rows.jsonl                         one line per prompt: split, format, family, kind, type, x, y, question
    reader_{split}_{k:05d}.safetensors flat features (tokens, layers × d) in fp16, offsets per prompt,
                                       digit and role labels per token, type/x/y per prompt

Splits: ``train`` (train wording families), ``val`` (the same families, new numbers) and ``heldout``
(wording families the reader never trains on), each with negatives.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from nsllm_cli import __version__
from nsllm_cli.errors import ArtifactError, DataError, LayerError
from nsllm_cli.events import Event, ignore
from nsllm_cli.jsonl import append_jsonl, read_jsonl, write_json_atomic
from nsllm_cli.ns.activations import INDEX_CONVENTION, model_fingerprint
from nsllm_cli.ns.problems import TRAIN_TYPES
from nsllm_cli.ns.steps.read_data import ReadItem, gather_reader_data, reader_items
from nsllm_cli.ns.steps.reader import ReaderData
from nsllm_cli.ns.steps.spans import ROLES

FORMAT = "nsllm-span-activations"
SPLITS = ("train", "val", "heldout")
POSITION_RULE = "every token of the last user turn and the generation prompt, prefill, left padding"


def _shard(split: str, k: int) -> str:
    return f"reader_{split}_{k:05d}.safetensors"


def gather_spans(
    model: Any,
    tok: Any,
    items: Mapping[str, Sequence[ReadItem]],
    out: Path,
    *,
    read_layers: Sequence[int],
    seed: int,
    config: dict[str, Any],
    batch_size: int = 16,
    shard_size: int = 512,
    on_event: Event = ignore,
) -> dict[str, Any]:
    """Record every split's items into `out`; resumes after the last whole shard. Returns the manifest."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    counts = {split: len(items.get(split, ())) for split in SPLITS}
    from nsllm_cli.ns.steps.spans import template_tail

    manifest = {
        "format": FORMAT,
        "created_by": f"nsllm {__version__}",
        "recipe": "steps",
        "model": model_fingerprint(model, tok),
        "tail_tokens": template_tail(tok),
        "read_layers": list(read_layers),
        "index_convention": INDEX_CONVENTION,
        "position_rule": POSITION_RULE,
        "seed": seed,
        "counts": counts,
        "shard_size": shard_size,
        "config": config,
    }
    ops = gather_ops(manifest)
    path = out / "manifest.json"
    if path.exists():
        old = read_span_manifest(out)
        for key in ("model", "read_layers", "seed", "counts", "shard_size", "config"):
            if old.get(key) != manifest[key]:
                raise ArtifactError(f"{out} holds a gather with another {key}; use a new --run-dir")
    write_json_atomic(path, manifest)
    done_rows = sum(1 for _ in read_jsonl(out / "rows.jsonl"))
    total = sum(counts.values())
    on_event("start", {"total": total, "done": done_rows})
    t0, base = time.perf_counter(), done_rows
    seen = 0
    for split in SPLITS:
        split_items = list(items.get(split, ()))
        for k, a in enumerate(range(0, len(split_items), shard_size)):
            chunk = split_items[a : a + shard_size]
            if seen + len(chunk) <= done_rows:
                seen += len(chunk)
                continue
            if seen != done_rows:
                raise ArtifactError(f"{out}: rows.jsonl ends inside a shard; use a new --run-dir")

            def progress(kind: str, payload: dict[str, Any], offset: int = seen, split: str = split) -> None:
                done = offset + payload["done"]
                rate = (done - base) / max(time.perf_counter() - t0, 1e-9)
                on_event("progress", {"done": done, "total": total, "questions_per_s": rate, "split": split})

            data = gather_reader_data(
                model, tok, chunk, read_layers=read_layers, batch_size=batch_size, on_event=progress, types=ops
            )
            tmp = out / f".{_shard(split, k)}.tmp"
            save_file({name: getattr(data, name).contiguous() for name in _FIELDS}, str(tmp))
            tmp.replace(out / _shard(split, k))
            for it in chunk:
                append_jsonl(
                    out / "rows.jsonl",
                    {
                        "split": split,
                        "format": it.fmt,
                        "family": it.family,
                        "kind": it.kind,
                        "problem_type": it.problem_type,
                        "x": it.x,
                        "y": it.y,
                        "question": it.question,
                    },
                )
            seen += len(chunk)
            done_rows = seen
    rate = (total - base) / max(time.perf_counter() - t0, 1e-9)
    manifest["questions_per_s"] = round(rate, 2)
    manifest["done"] = total
    write_json_atomic(path, manifest)
    on_event("finish", {"done": total, "questions_per_s": rate})
    return manifest


_FIELDS = ("feats", "offsets", "digits", "roles", "types", "x", "y")


def check_roles(manifest: dict[str, Any], folder: Path) -> None:
    """Refuse a gather labelled with other number roles than this reader learns (before the modulus role, every
    modulus was "other": a reader trained on it would compute x times y exactly where "mod 1000" was asked)."""
    roles = manifest.get("config", {}).get("roles", ["x", "y", "other"])
    if list(roles) != list(ROLES):
        raise ArtifactError(
            f"{folder} was gathered with the number roles {', '.join(roles)} (before the modulus role); "
            f"gather it again: nsllm gather --out {folder}"
        )


def gather_ops(manifest: dict[str, Any]) -> tuple[str, ...]:
    """The operations a span gather labelled as trained types (gathers from before `--ops`: the paper's 8)."""
    return tuple(manifest.get("config", {}).get("ops", TRAIN_TYPES))


def read_span_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a span gather, or an ArtifactError naming what is wrong."""
    import json

    path = folder / "manifest.json"
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"{folder} is not a gather folder (no manifest.json)") from None
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"cannot read {path}: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise ArtifactError(f"{folder} is not a step-wise gather (format {manifest.get('format')!r})")
    return manifest


def is_span_gather(folder: Path) -> bool:
    """Whether `folder` holds a step-wise (span) gather."""
    try:
        read_span_manifest(folder)
    except ArtifactError:
        return False
    return True


def load_rows(folder: Path, split: str) -> list[dict[str, Any]]:
    """The rows.jsonl records of one split, in shard order (family, kind, type, operands, question)."""
    return [r for r in read_jsonl(folder / "rows.jsonl") if r.get("split") == split]


def load_split(folder: Path, split: str) -> ReaderData | None:
    """All shards of one split concatenated (None when the split is empty)."""
    from safetensors.torch import load_file

    parts = [load_file(str(p)) for p in sorted(folder.glob(f"reader_{split}_*.safetensors"))]
    if not parts:
        return None
    offsets, shift = [torch.zeros(1, dtype=torch.long)], 0
    for p in parts:
        offsets.append(p["offsets"][1:].long() + shift)
        shift += int(p["offsets"][-1])
    cat = {name: torch.cat([p[name] for p in parts]) for name in _FIELDS if name != "offsets"}
    return ReaderData(offsets=torch.cat(offsets), **cat)


def auto_read_layers(depth: int) -> list[int]:
    """The default block inputs: at 2/15, 4/15, 6/15, 8/15 and 10/15 of the depth (4, 8, 12, 16 and 20 of SmolLM2's
    30 blocks). Digits and their roles are read from the early ones (`digit_layers`), where they peak; the operation
    is read from the one `train` chooses among all of them, mid-to-late blocks generalising best across wordings
    (neurosymbolic.md, appendix). A model of under 10 blocks reads the block inputs 0 and 1 (only 0 with 2 blocks),
    so that a later block is left to write in."""
    if depth < 10:
        return [0] if depth <= 2 else [0, 1]
    return sorted({max(1, round(depth * k / 15)) for k in (2, 4, 6, 8, 10)})


def digit_layers(read_layers: Sequence[int], depth: int) -> list[int]:
    """The read layers the digit and role heads use: those up to 6/15 of the depth (all of them in a small model)."""
    early = [layer for layer in read_layers if layer <= round(depth * 6 / 15)]
    return early or list(read_layers)


def read_layers_for(requested: Sequence[int] | None, depth: int, *, spec: str) -> list[int]:
    """The sorted, non-negative read layers: `requested` (None: `auto_read_layers`), checked against `depth`.

    Args:
        requested: Block inputs, negative ones counted from the end; None for the default.
        depth: The model's number of blocks.
        spec: The option text, for the error message.

    Raises:
        LayerError: a read layer is not a block input below the last block.
    """
    read_layers = auto_read_layers(depth) if requested is None else list(requested)
    if any(not 0 <= (layer + depth if layer < 0 else layer) <= depth - 2 for layer in read_layers):
        raise LayerError(
            f"--layers {spec}: read layers must be block inputs below the last block "
            f"(0..{depth - 2}, or -{depth}..-2 from the end; the model has {depth} blocks)"
        )
    return sorted({layer % depth if layer < 0 else layer for layer in read_layers})


def span_items(
    *, n_train: int, n_neg: int | None, n_val: int, seed: int, complexity: int, ops: Sequence[str] = TRAIN_TYPES
) -> tuple[dict[str, list[ReadItem]], dict[str, Any]]:
    """The steps recipe's prompts per split (train / val / held-out wordings, with negatives) and their counts.

    `ops` are the operations the reader learns (`problems.resolve_ops`). Negatives default to 40% of the positives
    (`n_neg` for train). The evaluation splits also hold questions of the types not in `ops` (a quarter of `n_val`),
    never trained on. Returns the items and the config to record (`train` reads the operations from it).

    Raises:
        DataError: no training questions.
    """
    if n_train == 0:
        raise DataError("the steps recipe needs training questions (--n-train > 0)")
    negatives = round(0.4 * n_train) if n_neg is None else n_neg
    val_neg = round(0.4 * n_val)
    n_unseen = round(0.25 * n_val)  # the types not in ops: the gate on operations never trained (evaluation only)
    ops = tuple(ops)
    items = {
        "train": reader_items(
            n_pos=n_train, n_neg=negatives, seed=seed, split="train", complexity=complexity, types=ops
        ),
        "val": reader_items(
            n_pos=n_val, n_neg=val_neg, seed=seed + 1, split="train", complexity=complexity, n_unseen=n_unseen,
            types=ops,
        ),
        "heldout": reader_items(
            n_pos=n_val, n_neg=val_neg, seed=seed + 2, split="heldout", complexity=complexity, n_unseen=n_unseen,
            types=ops,
        ),
    }  # fmt: skip
    config = {
        "n_train": n_train, "n_neg": negatives, "n_val": n_val, "complexity": complexity, "ops": list(ops),
        "roles": list(ROLES),
    }  # fmt: skip
    return items, config
