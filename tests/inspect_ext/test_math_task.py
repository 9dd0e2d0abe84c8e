"""`nsllm/math`: the questions, prompts and wordings of `bench math`, scored by its strict and lenient exact match;
run through Inspect's command with the tiny random-init model, and against `nsllm bench math` itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("inspect_ai")

from inspect_ai import eval as inspect_eval_api  # noqa: E402
from inspect_ai.log import EvalLog  # noqa: E402
from inspect_ai.model import get_model  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from nsllm_cli.cli import app  # noqa: E402
from nsllm_cli.inspect_ext.math_task import math  # noqa: E402
from nsllm_cli.ns.prompts import parse_lenient, parse_strict  # noqa: E402
from tests.inspect_ext.helpers import inspect_eval, score  # noqa: E402
from tests.inspect_ext.scripted_inspect import scripted_output  # noqa: E402


def run(task: Any, model: Any, log_dir: Path) -> EvalLog:
    [log] = inspect_eval_api(task, model=model, log_dir=str(log_dir), display="none")
    assert log.status == "success", log.error
    assert log.samples is not None
    return log


def test_inspect_eval_nsllm_math_on_the_tiny_model(tmp_path: Path, tiny_dir: Path) -> None:
    """The issue's command with `nsllm/tiny`: chat prompt, held-out wording; every score is the bench's rule."""
    args = ["nsllm/math", "--model", "nsllm/tiny", "-M", "device=cpu", "-M", "dtype=float32"]
    log = inspect_eval([*args, "-T", "per_type=1", "-T", "prompt=chat", "-T", "wording=heldout"], tmp_path / "logs")
    assert log.status == "success" and log.samples is not None
    assert log.eval.task == "nsllm/math" and log.eval.model == "nsllm/tiny"
    assert len(log.samples) == 10  # one question of each type
    for sample in log.samples:
        assert [m.role for m in sample.input] == ["user"]  # type: ignore[union-attr]  # the chat prompt: the question
        assert sample.metadata["family"].split("/")[1] != "paper"  # a held-out paraphrase
        answer, gold = sample.output.completion, int(sample.target)  # type: ignore[arg-type]
        assert score(sample, "strict", "math_scorer") == float(parse_strict(answer) == gold)
        assert score(sample, "lenient", "math_scorer") == float(parse_lenient(answer) == gold)
        assert sample.output.usage is not None and sample.output.usage.input_tokens > 0


def test_strict_and_lenient_exact_match_tell_answers_apart(tmp_path: Path) -> None:
    """Scripted answers: the bare integer passes both, the integer in a sentence only lenient, a wrong one neither."""
    task = math(per_type=1)
    golds = {sample.metadata["question"]: str(sample.target) for sample in task.dataset}  # type: ignore[index]
    kinds = ["bare", "sentence", "wrong"]

    def answer(messages: Any, *rest: Any) -> Any:
        gold = golds[messages[-1].text]
        kind = kinds[sorted(golds.values()).index(gold) % 3]
        text = {"bare": f" {gold}\n", "sentence": f"It is {gold}.", "wrong": str(int(gold) + 1)}[kind]
        return scripted_output(text)

    log = run(task, get_model("mockllm/model", custom_outputs=answer), tmp_path)
    assert log.samples is not None
    for sample in log.samples:
        text = sample.output.completion
        bare, sentence = text.strip() == sample.target, text.startswith("It is")
        assert score(sample, "strict", "math_scorer") == float(bare)
        assert score(sample, "lenient", "math_scorer") == float(bare or sentence)
    strict = [score(s, "strict", "math_scorer") for s in log.samples]
    lenient = [score(s, "lenient", "math_scorer") for s in log.samples]
    assert 0 < sum(strict) < sum(lenient) < len(log.samples)
    assert log.results is not None
    metrics = next(s for s in log.results.scores if s.name == "strict").metrics
    assert metrics["mean"].value == pytest.approx(sum(strict) / len(strict))


def test_the_same_questions_prompts_and_answers_as_bench_math(tmp_path: Path, tiny_dir: Path) -> None:
    """`bench math --method base` and `nsllm/math` on the tiny model: the same question, the same greedy answer and
    the same strict and lenient verdict for every sample, in the two-shot prompt and a train-family wording."""
    run_dir = tmp_path / "bench"
    bench = CliRunner().invoke(
        app,
        ["bench", "math", "--method", "base", "--model", str(tiny_dir), "--per-type", "1", "--wording", "train",
         "--seed", "3", "--batch-size", "1", "--device", "cpu", "--dtype", "float32", "--run-dir", str(run_dir)],
    )  # fmt: skip
    assert bench.exit_code == 0, bench.output[-2000:]
    records = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    log = run(
        math(per_type=1, wording="train", seed=3),
        get_model(f"nsllm/{tiny_dir}", device="cpu", dtype="float32"),
        tmp_path / "logs",
    )
    assert log.samples is not None and len(log.samples) == len(records) == 10
    by_id = {int(s.id): s for s in log.samples}
    for rec in records:
        sample = by_id[rec["id"]]
        assert sample.metadata["question"] == rec["question"] and sample.metadata["family"] == rec["family"]
        assert len(sample.input) == 6  # system, two solved examples, the question
        assert sample.output.completion.strip() == rec["output"]
        assert score(sample, "strict", "math_scorer") == float(rec["correct"])
        assert score(sample, "lenient", "math_scorer") == float(rec["correct_lenient"])


def test_bad_options_are_one_line_errors() -> None:
    from inspect_ai._util.error import PrerequisiteError

    with pytest.raises(PrerequisiteError, match="unknown -T wording=novel"):
        math(wording="novel")
    with pytest.raises(PrerequisiteError, match="leave out -T data"):
        math(slice="zero", data="x.csv")
