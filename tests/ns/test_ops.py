"""`--ops`: which operations a steps run learns, recorded by gather and followed by train, finetune and bench."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.ns.problems import ALL_TYPES, PROBLEM_TYPES, TRAIN_TYPES, resolve_ops, unseen_of
from nsllm_cli.ns.steps.gather import gather_ops
from nsllm_cli.ns.steps.read_data import reader_items

runner = CliRunner()


def test_ops_presets_and_lists_resolve_in_problem_type_order() -> None:
    assert resolve_ops("paper") == TRAIN_TYPES
    assert unseen_of(resolve_ops("paper")) == ("addition", "division")
    both = resolve_ops("paper, addition")
    assert both == tuple(t for t in PROBLEM_TYPES if t != "division") and unseen_of(both) == ("division",)
    assert resolve_ops("gcd,addition,gcd") == ("addition", "gcd")
    assert unseen_of(resolve_ops("paper,addition,division")) == ()
    assert resolve_ops("all") == ALL_TYPES and unseen_of(ALL_TYPES) == ()
    assert resolve_ops("gcd,subtraction") == ("gcd", "subtraction") and "subtraction" not in unseen_of(("gcd",))


@pytest.mark.parametrize(
    ("spec", "message"),
    [("paper,exponent", "unknown operation 'exponent'"), (" , ", "names no operation")],
)
def test_bad_ops_name_the_problem(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve_ops(spec)


def test_a_gather_from_before_ops_trained_the_paper_operations() -> None:
    assert gather_ops({"config": {"n_train": 10}}) == TRAIN_TYPES
    assert gather_ops({"config": {"ops": ["addition", "gcd"]}}) == ("addition", "gcd")


def test_reader_items_draw_positives_from_the_ops_and_unseen_from_the_rest() -> None:
    items = reader_items(n_pos=60, n_neg=10, seed=0, split="train", types=("addition", "gcd"), n_unseen=16)
    kinds = [it.problem_type for it in items]
    assert {"addition", "gcd"} == {k for k in kinds[:60]}
    unseen = {k for k in kinds[60:76]}
    assert unseen and not unseen & {"addition", "gcd"}
    assert kinds[76:] == [None] * 10
    none_left = reader_items(n_pos=20, n_neg=0, seed=0, split="train", types=PROBLEM_TYPES, n_unseen=8)
    assert len(none_left) == 20  # nothing is unseen: no unseen questions to add


def test_bad_ops_on_the_command_line_are_one_line(tmp_path: Path) -> None:
    for args, text in (
        (["--recipe", "paper", "--ops", "all"], "--recipe paper trains the paper's 8 operations"),
        (["--ops", "paper,foo"], "unknown operation 'foo'"),
        (["--recipe", "paper", "--ops", "paper,addition"], "--recipe paper trains the paper's 8 operations"),
    ):
        result = runner.invoke(app, ["gather", "--model", "tiny", *args, "--run-dir", str(tmp_path / "g")])
        assert result.exit_code != 0 and text in result.output, result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "g").exists()


def test_a_run_trained_on_chosen_ops_reads_them_and_benches_the_rest_as_unseen(tiny_dir: Path, tmp_path: Path) -> None:
    g, t, f, b = (tmp_path / n for n in "gtfb")
    model = ["--model", str(tiny_dir)]
    args = ["gather", *model, "--ops", "gcd,addition", "--n-train", "40", "--n-val", "8", "--run-dir", str(g)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "operations: addition, gcd" in result.output and "unseen: multiplication, division" in result.output
    manifest = json.loads((g / "activations" / "manifest.json").read_text())
    assert manifest["config"]["ops"] == ["addition", "gcd"]
    rows = [json.loads(line) for line in (g / "activations" / "rows.jsonl").read_text().splitlines()]
    assert {r["problem_type"] for r in rows if r["split"] == "train"} == {"addition", "gcd", None}
    held = {r["problem_type"] for r in rows if r["split"] == "heldout"} - {None, "addition", "gcd"}
    assert held and held <= set(unseen_of(("addition", "gcd")))

    train = ["train", "--gather", str(g), "--reader-epochs", "1", "--run-dir", str(t)]
    result = runner.invoke(app, train, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "unseen: multiplication, division, modulo, lcm" in result.output
    reader = json.loads((t / "artifacts" / "reader" / "manifest.json").read_text())
    assert reader["meta"]["types"] == ["addition", "gcd"] and reader["meta"]["n_types"] == 2

    result = runner.invoke(
        app, ["finetune", *model, "--train-run", str(t), "--n-train", "12", "--steps", "2", "--run-dir", str(f)]
    )
    assert result.exit_code == 0, result.output
    keys = json.loads((f / "artifacts" / "training_keys.json").read_text())
    assert {k[0] for k in keys} >= {"addition", "gcd"}

    bench = ["bench", "math", *model, "--method", "base,ns", "--ns-run", str(f), "--per-type", "1", "--run-dir", str(b)]
    result = runner.invoke(app, bench, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "mean, 2 trained" in result.output
    assert "division *" in result.output and "modulo *" in result.output  # the unseen rows are starred
    assert "addition *" not in result.output and "gcd *" not in result.output
    results = json.loads((b / "results.json").read_text())
    assert results["trained_types"] == ["addition", "gcd"]
    assert results["ns_errors"]["n"] == 2 and results["ns_errors"]["unseen_n"] == 8


def test_the_steps_recipe_trains_all_operations_by_default(tiny_dir: Path, tmp_path: Path) -> None:
    g, t, f, b = (tmp_path / n for n in "gtfb")
    model = ["--model", str(tiny_dir)]
    result = runner.invoke(app, ["gather", *model, "--n-train", "48", "--n-val", "8", "--run-dir", str(g)])
    assert result.exit_code == 0, result.output
    assert "operations: addition, multiplication" in result.output and "unseen:" not in result.output
    manifest = json.loads((g / "activations" / "manifest.json").read_text())
    assert tuple(manifest["config"]["ops"]) == ALL_TYPES and manifest["config"]["roles"] == ["x", "y", "other", "m"]
    rows = [json.loads(line) for line in (g / "activations" / "rows.jsonl").read_text().splitlines()]
    assert {"subtraction", "power_mod"} <= {r["problem_type"] for r in rows if r["split"] == "train"}
    assert runner.invoke(app, ["train", "--gather", str(g), "--reader-epochs", "1", "--run-dir", str(t)]).exit_code == 0
    args = ["finetune", *model, "--train-run", str(t), "--n-train", "12", "--steps", "2", "--run-dir", str(f)]
    assert runner.invoke(app, args).exit_code == 0
    bench = ["bench", "math", *model, "--method", "base,ns", "--ns-run", str(f), "--per-type", "1", "--run-dir", str(b)]
    result = runner.invoke(app, bench, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "mean, 12 trained" in result.output and " *" not in result.output.split("mean, 12")[0]
    results = json.loads((b / "results.json").read_text())
    assert {"subtraction", "power_mod"} <= set(results["per_type"]["ns"]) and len(results["per_type"]["ns"]) == 12
    # with no unseen operation left, the gate is measured on other maths
    assert "NS gate open on other maths" in result.output and results["negatives"]["n"] == 100
    assert results["negatives"]["open"] == len(results["negatives"]["opened"])
