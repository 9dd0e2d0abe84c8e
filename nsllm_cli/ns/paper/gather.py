"""`gather` for the paper's recipe: one batched prefill per group of questions, recording the residual stream at the
last prompt token.

The prefill (`ns.prefill`) left-pads with an attention mask and explicit position ids, so position -1 is every
item's last prompt token. Only the requested layers are kept, in fp16 shards; a killed run resumes from the last
whole shard.

Example:
    >>> gather(model, tok, items, Path("runs/gather-1"), layers=[4, 17], seed=0)
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nsllm_cli.errors import ArtifactError
from nsllm_cli.events import Event, ignore
from nsllm_cli.jsonl import append_jsonl, read_jsonl, write_json_atomic
from nsllm_cli.ns import activations as act
from nsllm_cli.ns.prefill import prefill_hidden, resolve_layers
from nsllm_cli.ns.problems import Problem
from nsllm_cli.ns.prompts import ns_messages, render_prompt

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


def gather(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    items: Sequence[tuple[str, Problem]],
    out: Path,
    *,
    layers: str | Sequence[int] = "all",
    seed: int = 0,
    complexity: int = 2,
    shots: int = 2,
    batch_size: int = 16,
    shard_size: int = 1024,
    on_event: Event = ignore,
) -> dict[str, Any]:
    """Record hidden states for `items` (split, problem) into `out`, resuming if `out` holds a partial run.

    Returns:
        The manifest, with `done` (rows on disk) and `questions_per_s` of this call.

    Raises:
        ArtifactError: `out` holds a gather made with another model, layers, seed or data.
    """
    import torch
    from safetensors.torch import save_file

    fp = act.model_fingerprint(model, tok)
    layer_list = resolve_layers(layers, fp["n_layers"])
    splits: dict[str, int] = {}
    for split, _ in items:
        splits[split] = splits.get(split, 0) + 1
    manifest = act.new_manifest(
        fp,
        layers=layer_list,
        seed=seed,
        complexity=complexity,
        shots=shots,
        shard_size=shard_size,
        total=len(items),
        splits=splits,
    )
    out.mkdir(parents=True, exist_ok=True)
    done = _resume_point(out, manifest, items)
    write_json_atomic(out / "manifest.json", manifest)
    on_event("start", {"total": len(items), "done": done, "layers": layer_list})

    start, fresh = time.perf_counter(), 0
    for shard_start in range(done, len(items), shard_size):
        chunk = items[shard_start : shard_start + shard_size]
        prompts = [render_prompt(tok, ns_messages(p, seed=seed, complexity=complexity, shots=shots)) for _, p in chunk]
        # Similar lengths in one batch waste less on padding; results go back to their original slots.
        order = sorted(range(len(chunk)), key=lambda i: len(prompts[i]))
        collected = {layer: torch.empty(len(chunk), fp["d_model"], dtype=torch.float16) for layer in layer_list}
        for b in range(0, len(order), batch_size):
            idx = order[b : b + batch_size]
            hidden = prefill_hidden(model, tok, [prompts[i] for i in idx], layer_list)
            for layer, h in hidden.items():
                collected[layer][torch.tensor(idx)] = h.half()
            fresh += len(idx)
            elapsed = time.perf_counter() - start
            on_event(
                "progress",
                {
                    "done": shard_start + b + len(idx),
                    "total": len(items),
                    "questions_per_s": fresh / elapsed if elapsed > 0 else 0.0,
                },
            )
        k = shard_start // shard_size
        for layer, h in collected.items():
            tmp = out / f".{act.shard_name(layer, k)}.tmp"
            save_file({"h": h.contiguous()}, str(tmp))
            tmp.replace(out / act.shard_name(layer, k))
        for (split, p), prompt in zip(chunk, prompts, strict=True):
            append_jsonl(out / "rows.jsonl", _row(split, p, prompt))
    elapsed = time.perf_counter() - start
    result = {**manifest, "done": len(items), "questions_per_s": fresh / elapsed if elapsed > 0 and fresh else 0.0}
    on_event("finish", result)
    return result


def _row(split: str, p: Problem, prompt: str) -> dict[str, Any]:
    return {
        "row": p.row,
        "split": split,
        "problem_type": p.problem_type,
        "x": p.x,
        "y": p.y,
        "solution": p.solution,
        "question": p.question,
        "prompt_sha256": hashlib.sha256(prompt.encode()).hexdigest()[:16],
    }


def _resume_point(out: Path, manifest: dict[str, Any], items: Sequence[tuple[str, Problem]]) -> int:
    """How many rows are safely on disk in `out`, after checking it is the same gather; 0 if new."""
    if not (out / "manifest.json").exists():
        return 0
    old = act.read_manifest(out)
    for key, what in (
        ("model", "another model"),
        ("layers", "other layers"),
        ("seed", "another seed"),
        ("shard_size", "another shard size"),
        ("shots", "another number of shots"),
        ("complexity", "another complexity"),
    ):
        if old.get(key) != manifest[key]:
            raise ArtifactError(f"{out} was gathered with {what}; use a new --run-dir (nothing was changed)")
    rows = list(read_jsonl(out / "rows.jsonl"))
    for i, row in enumerate(rows):
        if i >= len(items) or (row["problem_type"], row["x"], row["y"]) != (
            items[i][1].problem_type,
            items[i][1].x,
            items[i][1].y,
        ):
            raise ArtifactError(f"{out} was gathered from other questions (row {i + 1} differs); use a new --run-dir")
    done = len(rows)
    size = int(manifest["shard_size"])
    if done % size and done != len(items):  # cannot happen with whole-shard appends, but never trust a crash
        raise ArtifactError(f"{out}/rows.jsonl ends inside a shard ({done} rows); remove the run and gather again")
    for stale in out.glob(".h_L*.tmp"):
        stale.unlink()
    first_missing = done // size
    for path in out.glob("h_L*_*.safetensors"):
        if int(path.stem.rsplit("_", 1)[1]) >= first_missing:
            path.unlink()  # a shard whose rows were never committed
    shutil.rmtree(out / ".tmp", ignore_errors=True)
    return done
