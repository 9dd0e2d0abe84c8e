"""`bench math`: records per sample, resumable, aggregates and NS ratios, through the CLI on the tiny model."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.ns.bench import aggregate
from nsllm_cli.ns.problems import PROBLEM_TYPES

runner = CliRunner()


def _record(method: str, t: str, correct: bool, i: int) -> dict[str, object]:
    return {
        "id": i,
        "method": method,
        "problem_type": t,
        "correct": correct,
        "correct_lenient": correct,
        "answer_ce": 1.0,
    }


def test_aggregate_ratios_both_ways() -> None:
    records = []
    for i, t in enumerate(("gcd", "modulo")):
        records += [_record("ns", t, True, 2 * i), _record("ns", t, True, 2 * i + 1)]
        records += [_record("base", t, i == 0, 2 * i), _record("base", t, False, 2 * i + 1)]
    summary = aggregate(records, ["base", "ns"])
    assert summary["per_type"]["base"]["gcd"]["accuracy"] == 50.0
    assert summary["mean_trained"] == {"base": 25.0, "ns": 100.0}
    ratio = summary["ns_ratios"]["base"]
    assert ratio["mean_of_ratios"] == 2.0 and ratio["types_used"] == 1  # modulo's 0% baseline is skipped
    assert ratio["ratio_of_means"] == 4.0


def test_bench_cli_end_to_end_and_resume(tiny_dir: Path, tmp_path: Path) -> None:
    # gather -> train -> finetune -> bench, all through the CLI
    g, t, f, b = (tmp_path / n for n in ("g", "t", "f", "b"))
    model = ["--model", str(tiny_dir)]
    assert (
        runner.invoke(
            app,
            [
                "gather",
                "--recipe",
                "paper",
                *model,
                "--n-train",
                "40",
                "--n-val",
                "8",
                "--n-test",
                "0",
                "--layers",
                "0,1",
                "--run-dir",
                str(g),
            ],
        ).exit_code
        == 0
    )
    assert runner.invoke(app, ["train", "--gather", str(g), "--vsa-dim", "256", "--run-dir", str(t)]).exit_code == 0
    result = runner.invoke(
        app, ["finetune", "--train-run", str(t), *model, "--n-train", "16", "--steps", "3", "--run-dir", str(f)]
    )
    assert result.exit_code == 0, result.output
    assert len((f / "metrics.jsonl").read_text().splitlines()) == 3
    args = ["bench", "math", *model, "--method", "base,ns", "--ns-run", str(f), "--per-type", "2"]
    result = runner.invoke(app, [*args, "--run-dir", str(b)])
    assert result.exit_code == 0, result.output
    results = json.loads((b / "results.json").read_text())
    assert set(results["per_type"]["ns"]) == set(PROBLEM_TYPES)
    assert all(cell["n"] == 2 for cell in results["per_type"]["base"].values())
    samples = (b / "samples.jsonl").read_text().splitlines()
    assert len(samples) == 40
    first = json.loads(samples[0])
    assert {"question", "gold", "output", "correct", "answer_ce"} <= set(first)
    assert (b / "accuracy.png").stat().st_size > 1000
    assert "mean, 8 trained" in result.stdout
    # the test questions never appear in the NS run's training questions
    from nsllm_cli.ns.bench_questions import training_keys
    from nsllm_cli.ns.splits import generate_splits

    trained = training_keys(f)
    assert trained == {p.key for p in generate_splits(n_train=16, n_val=0, n_test=0, seed=0)["train"]}
    asked = {(r["problem_type"], r["x"], r["y"]) for r in map(json.loads, samples)}
    assert not asked & trained
    # resume: nothing is recomputed
    again = runner.invoke(app, [*args, "--resume", str(b)])
    assert again.exit_code == 0
    assert len((b / "samples.jsonl").read_text().splitlines()) == 40


def test_bench_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["bench", "math", "--method", "ns"])
    assert result.exit_code == 1 and "--ns-run" in result.stderr
    result = runner.invoke(app, ["bench", "math", "--method", "telepathy"])
    assert result.exit_code == 1 and "unknown method" in result.stderr
    result = runner.invoke(app, ["bench", "math", "--method", "lora"])
    assert result.exit_code == 1 and "--lora-run" in result.stderr
    result = runner.invoke(app, ["bench", "math", "--method", "adapter"])
    assert result.exit_code == 1 and "--adapter-run" in result.stderr
    result = runner.invoke(app, ["bench", "symbench"])
    assert result.exit_code == 1 and "--task-llm is required" in result.stderr


def test_cot_method_parses_final_answer_lines(tiny_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "bench",
            "math",
            "--model",
            str(tiny_dir),
            "--method",
            "cot",
            "--per-type",
            "1",
            "--cot-max-new-tokens",
            "8",
            "--run-dir",
            str(tmp_path / "c"),
        ],
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "c" / "samples.jsonl").read_text().splitlines()]
    assert len(records) == 10 and all(r["method"] == "cot" and r["answer_ce"] is None for r in records)
    # a random model never writes "Final Answer: N", so nothing may be counted correct by accident
    assert not any(r["correct"] for r in records if "Final Answer" not in r["output"])
