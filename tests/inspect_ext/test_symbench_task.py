"""`inspect eval nsllm/symbench`: the task found through nsllm's entry point, run end to end by Inspect's command in a
subprocess with a scripted mockllm, scored by nsllm's validators; the gold check and `paper_scoring` as in the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("inspect_ai")

from inspect_ai import eval as inspect_eval_api  # noqa: E402
from inspect_ai.model import get_model  # noqa: E402

from nsllm_cli.inspect_ext.symbench_task import symbench  # noqa: E402
from nsllm_cli.symbench.registry import get_task  # noqa: E402
from nsllm_cli.symbench.splits import test_set  # noqa: E402
from tests.inspect_ext.helpers import inspect_eval, score  # noqa: E402
from tests.inspect_ext.scripted_inspect import scripted_output  # noqa: E402
from tests.symbench.test_gold import BROKEN, write_pooling  # noqa: E402


def test_inspect_eval_runs_nsllm_symbench_and_scores_right_and_wrong_answers(tmp_path: Path) -> None:
    """Right answers score 1 and wrong ones 0, per sample and per task; the log names nsllm's task and solver."""
    expected: dict[str, float] = {}
    answers = []
    for name, right in (("pooling", (True, False, True)), ("eight_queens", (False, True, False))):
        task = get_task(name)
        for ok, inst in zip(right, test_set(task, data_dir=None, limit=3, seed=0).instances, strict=True):
            text = task.gold_answer(inst) if ok else "<<<1, 2>>>"
            answers.append({"question": task.prompt(inst), "text": text})
            expected[f"{name}/{inst.id}"] = float(ok)
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    args = ["nsllm/symbench", "--model", "scripted/task", "-M", f"answers={tmp_path / 'answers.json'}"]
    log = inspect_eval([*args, "-T", "tasks=pooling,eight_queens", "-T", "limit=3"], tmp_path / "logs")

    assert log.status == "success"
    assert log.eval.task == "nsllm/symbench"
    assert log.eval.task_args["tasks"] == ["pooling", "eight_queens"] and log.eval.task_args["limit"] == 3
    assert [s.solver for s in log.plan.steps] == ["nsllm/only_question"]
    assert log.samples is not None
    got = {str(s.id): score(s) for s in log.samples}
    assert got == expected
    assert log.results is not None
    success = next(s for s in log.results.scores if s.name == "success")
    assert success.metrics["grouped_pooling"].value == pytest.approx(2 / 3)
    assert success.metrics["grouped_eight_queens"].value == pytest.approx(1 / 3)
    assert success.metrics["mean"].value == pytest.approx(1 / 2)
    wrong = next(s for s in log.samples if not expected[str(s.id)])
    assert "<<<1, 2>>>" in wrong.output.completion
    assert wrong.scores["symbench_scorer"].explanation  # type: ignore[index]  # the validator's reason


def run_task(tmp_path: Path, **options: object) -> tuple[list[str], dict[str, object]]:
    """nsllm/symbench on `tmp_path`'s Pooling data, every answer the gold one: (sample ids, task metadata)."""

    def gold(messages: object, *rest: object) -> object:
        task = get_task("pooling")
        asked = messages[-1].text  # type: ignore[index]
        inst = next(i for i in task.load(tmp_path) if i.question == asked)
        return scripted_output(task.gold_answer(inst))

    [log] = inspect_eval_api(
        symbench(tasks="pooling", data_dir=str(tmp_path), **options),  # type: ignore[arg-type]
        model=get_model("mockllm/model", custom_outputs=gold),
        log_dir=str(tmp_path / "logs"),
        display="none",
    )
    assert log.status == "success" and log.samples is not None
    return sorted(str(s.id) for s in log.samples), dict(log.eval.metadata or {})


def test_the_gold_check_leaves_out_broken_stored_gold_unless_paper_scoring(tmp_path: Path) -> None:
    write_pooling(tmp_path, n=5)
    (tmp_path / "pooling_dataset" / "sample_4" / "solution.json").write_text("{not json")
    ids, meta = run_task(tmp_path)
    assert f"pooling/{BROKEN}" not in ids and len(ids) == 3
    gold = meta["gold_check"]
    assert gold["excluded"] == 1 and gold["instances"][0]["id"] == BROKEN  # type: ignore[index]
    assert "1 unreadable sample(s) skipped" in meta["notes"]["pooling"]  # type: ignore[index]
    ids, meta = run_task(tmp_path, paper_scoring=True)
    assert f"pooling/{BROKEN}" in ids and len(ids) == 4
    assert meta["gold_check"]["on"] is False  # type: ignore[index]


def test_bad_options_are_one_line_errors(tmp_path: Path) -> None:
    from inspect_ai._util.error import PrerequisiteError

    with pytest.raises(PrerequisiteError, match="unknown SymBench task"):
        symbench(tasks="no_such_task")
    with pytest.raises(PrerequisiteError, match="no such folder"):
        symbench(data_dir=str(tmp_path / "missing"))
    with pytest.raises(PrerequisiteError, match="needs data"):
        symbench(tasks="game24")  # external data only


def test_the_extractor_role_restates_an_unreadable_answer(tmp_path: Path) -> None:
    """Answers without `<<<...>>>` score 0; with `--model-role extractor=...` (the CLI's --extractor-llm) the model
    restates them, the restated answer is judged, and the score says it was rescued."""
    task = get_task("number_multiply")
    insts = test_set(task, data_dir=None, limit=2, seed=0).instances
    said = {task.prompt(i): f"I believe it is {i.data['target_answer']}" for i in insts}
    restated = {task.prompt(insts[0]): task.gold_answer(insts[0]), task.prompt(insts[1]): "<<<NONE>>>"}

    def by_question(answers: dict[str, str]) -> Any:
        def reply(messages: Any, *rest: Any) -> Any:
            return scripted_output(next(a for q, a in answers.items() if q in messages[-1].text))

        return get_model("mockllm/model", custom_outputs=reply)

    def scores(**roles: Any) -> dict[str, tuple[float, bool]]:
        [log] = inspect_eval_api(
            symbench(tasks="number_multiply", limit=2), model=by_question(said), model_roles=roles or None,
            log_dir=str(tmp_path), display="none",
        )  # fmt: skip
        assert log.status == "success" and log.samples is not None
        return {str(s.id): (score(s), s.scores["symbench_scorer"].metadata["llm_rescued"]) for s in log.samples}  # type: ignore[index]

    first, second = (f"number_multiply/{i.id}" for i in insts)
    assert scores() == {first: (0.0, False), second: (0.0, False)}
    assert scores(extractor=by_question(restated)) == {first: (1.0, True), second: (0.0, False)}
