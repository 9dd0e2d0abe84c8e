"""`gather` on the tiny model: correct positions under padding, resumable, refuses mismatched runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.errors import ArtifactError, LayerError
from nsllm_cli.ns.activations import load_layer, read_manifest
from nsllm_cli.ns.paper.gather import gather
from nsllm_cli.ns.prefill import prefill_hidden, resolve_layers
from nsllm_cli.ns.problems import Problem
from nsllm_cli.ns.prompts import ns_messages, render_prompt
from nsllm_cli.ns.splits import generate_splits

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny(tiny_dir: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(str(tiny_dir)).eval(), AutoTokenizer.from_pretrained(str(tiny_dir))


def _items(n: int = 40) -> list[tuple[str, Problem]]:
    splits = generate_splits(n_train=n, n_val=8, n_test=12, seed=0)
    return [(s, p) for s, ps in splits.items() for p in ps]


def test_padded_batch_matches_one_at_a_time(tiny: tuple[Any, Any]) -> None:
    model, tok = tiny
    probs = [p for _, p in _items(6)][:6]
    prompts = [render_prompt(tok, ns_messages(p, seed=0)) for p in probs]
    assert len({len(tok(p).input_ids) for p in prompts}) > 1  # really different lengths
    batched = prefill_hidden(model, tok, prompts, [0, 1, 2])
    for i, prompt in enumerate(prompts):
        single = prefill_hidden(model, tok, [prompt], [0, 1, 2])
        ids = tok(prompt, return_tensors="pt", add_special_tokens=False)
        with torch.no_grad():
            ref = model(**ids, output_hidden_states=True).hidden_states
        for layer in (0, 1, 2):
            assert torch.allclose(batched[layer][i], single[layer][0], atol=1e-4)
            assert torch.allclose(single[layer][0], ref[layer][0, -1], atol=1e-5)


def test_forward_stops_after_the_highest_block_input_with_the_same_states(tiny: tuple[Any, Any]) -> None:
    from nsllm_cli.hooks import get_layers

    model, tok = tiny
    prompts = [render_prompt(tok, ns_messages(p, seed=0)) for _, p in _items(4)][:4]
    full = prefill_hidden(model, tok, prompts, [0, 1, 2])  # layer 2 = after the final norm: the whole model
    calls: list[int] = []
    hooks = [
        block.register_forward_pre_hook(lambda m, a, k, i=i: calls.append(i), with_kwargs=True)
        for i, block in enumerate(get_layers(model))
    ]
    try:
        early = prefill_hidden(model, tok, prompts, [0])
    finally:
        for h in hooks:
            h.remove()
    assert calls == [0]  # block 1 never ran: the pass stopped once hidden_states[0] was read
    assert set(early) == {0} and torch.allclose(early[0], full[0], atol=1e-5)
    both = prefill_hidden(model, tok, prompts, [0, 1])
    assert torch.allclose(both[1], full[1], atol=1e-5)


def test_gather_writes_shards_rows_and_manifest(tiny: tuple[Any, Any], tmp_path: Path) -> None:
    model, tok = tiny
    items = _items()
    out = tmp_path / "acts"
    result = gather(model, tok, items, out, layers=[1, -1], batch_size=7, shard_size=16)
    assert result["layers"] == [1, 2] and result["done"] == len(items)
    manifest = read_manifest(out)
    assert manifest["index_convention"].startswith("hidden_states[L] = input of block L")
    assert manifest["model"]["n_layers"] == 2 and manifest["dtype"] == "float16"
    acts = load_layer(out, 1)
    assert acts.h.shape == (len(items), 64)
    assert [(r["problem_type"], r["x"], r["y"]) for r in acts.rows] == [(p.problem_type, p.x, p.y) for _, p in items]
    val = load_layer(out, 2, "val")
    assert len(val.rows) == 8 and all(r["split"] == "val" for r in val.rows)
    # the stored vector is the last-prompt-token state of that question
    prompt = render_prompt(tok, ns_messages(items[5][1], seed=0))
    expect = prefill_hidden(model, tok, [prompt], [1])[1][0]
    assert torch.allclose(acts.h[5], expect, atol=2e-3)  # fp16 storage


def test_resume_after_a_kill_continues_and_matches(tiny: tuple[Any, Any], tmp_path: Path) -> None:
    model, tok = tiny
    items = _items()
    full = tmp_path / "full"
    gather(model, tok, items, full, layers=[1], shard_size=16)

    out = tmp_path / "killed"
    calls = {"n": 0}

    def die(kind: str, payload: dict[str, Any]) -> None:
        if kind == "progress":
            calls["n"] += 1
            if calls["n"] == 5:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        gather(model, tok, items, out, layers=[1], batch_size=8, shard_size=16, on_event=die)
    on_disk = sum(1 for _ in (out / "rows.jsonl").open())
    assert on_disk == 32  # two whole shards survived, the third was lost
    seen: list[int] = []
    gather(
        model,
        tok,
        items,
        out,
        layers=[1],
        shard_size=16,
        on_event=lambda k, p: seen.append(p["done"]) if k == "start" else None,
    )
    assert seen == [32]
    assert torch.allclose(load_layer(out, 1).h, load_layer(full, 1).h, atol=1e-3)


def test_mismatched_run_is_refused_and_kept(tiny: tuple[Any, Any], tmp_path: Path) -> None:
    model, tok = tiny
    items = _items()
    out = tmp_path / "a"
    gather(model, tok, items, out, layers=[1], shard_size=16)
    before = (out / "rows.jsonl").read_bytes()
    with pytest.raises(ArtifactError, match="other layers"):
        gather(model, tok, items, out, layers=[0], shard_size=16)
    with pytest.raises(ArtifactError, match="another seed"):
        gather(model, tok, items, out, layers=[1], shard_size=16, seed=9)
    with pytest.raises(ArtifactError, match="other questions"):
        gather(model, tok, list(reversed(items)), out, layers=[1], shard_size=16)
    assert (out / "rows.jsonl").read_bytes() == before


def test_layer_range() -> None:
    assert resolve_layers("all", 30) == list(range(31))
    assert resolve_layers([-1, 4, 4], 30) == [4, 30]
    with pytest.raises(LayerError, match="out of range"):
        resolve_layers([31], 30)


def test_cli_gather_and_bad_input(tiny_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "g"
    args = [
        "gather",
        "--recipe",
        "paper",
        "--model",
        str(tiny_dir),
        "--n-train",
        "24",
        "--n-val",
        "8",
        "--n-test",
        "10",
    ]
    result = runner.invoke(app, [*args, "--layers", "0,2", "--run-dir", str(run)])
    assert result.exit_code == 0, result.output
    results = json.loads((run / "results.json").read_text())
    assert results["done"] == 42 and results["layers"] == [0, 2]
    bad = runner.invoke(app, [*args, "--layers", "7", "--run-dir", str(tmp_path / "g2")])
    assert bad.exit_code == 1 and "layer 7 out of range" in bad.stderr
    csv = tmp_path / "bad.csv"
    csv.write_text("problem_type,x,y,question,solution\ngcd,4,x,q,2\n")
    bad = runner.invoke(app, ["gather", "--recipe", "paper", "--model", str(tiny_dir), "--data", str(csv)])
    assert bad.exit_code == 1 and "bad.csv:2" in bad.stderr
