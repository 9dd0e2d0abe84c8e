"""`nsllm/codesteer` and the baselines inside Inspect: scripted task and steering models (Inspect's mockllm), code
really run by nsllm's sandbox, every round in the transcript, and the CLI's consent rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("inspect_ai")

from inspect_ai import eval as inspect_eval  # noqa: E402
from inspect_ai.event import InfoEvent, ModelEvent  # noqa: E402
from inspect_ai.log import EvalLog, resolve_sample_attachments  # noqa: E402
from inspect_ai.model import ChatMessage, GenerateConfig, Model, get_model  # noqa: E402
from inspect_ai.tool import ToolChoice, ToolInfo  # noqa: E402

from nsllm_cli.inspect_ext.solvers import RESULT_KEY, code_only, codesteer, text_only  # noqa: E402
from nsllm_cli.inspect_ext.symbench_task import symbench  # noqa: E402
from nsllm_cli.symbench.registry import get_task  # noqa: E402
from nsllm_cli.symbench.splits import test_set  # noqa: E402
from tests.inspect_ext.helpers import score  # noqa: E402
from tests.inspect_ext.scripted_inspect import scripted_output  # noqa: E402

TASK = "number_multiply"


def programs() -> dict[str, str]:
    """question -> a program printing the gold answer of the first instance and a wrong one for the second.

    The gold is written reversed in the code, so the answer exists only if the program ran.
    """
    task = get_task(TASK)
    out = {}
    for k, inst in enumerate(test_set(task, data_dir=None, limit=2, seed=0).instances):
        printed = task.gold_answer(inst) if k == 0 else "<<<-1>>>"
        out[task.prompt(inst)] = f"```python\nprint(''.join(reversed({printed[::-1]!r})))\n```"
    return out


def mock(answer: Any) -> Model:
    """Inspect's mockllm, answering through `answer(messages) -> text`."""

    def outputs(messages: list[ChatMessage], tools: list[ToolInfo], choice: ToolChoice, cfg: GenerateConfig) -> Any:
        return scripted_output(answer(messages))

    return get_model("mockllm/model", custom_outputs=outputs)


def task_model(code: dict[str, str]) -> Model:
    def answer(messages: list[ChatMessage]) -> str:
        asked = messages[-1].text
        return next(program for question, program in code.items() if question in asked)

    return mock(answer)


def steerer() -> Model:
    """Round 0 (one message): choose code; afterwards (the feedback holds the program's output): return it."""
    return mock(lambda messages: "<<<Code>>>" if len(messages) == 1 else "<<<Return Answer>>>")


def step(event: InfoEvent | ModelEvent) -> str:
    """A transcript event in short: "model steer" / "model task", or "round N: <the info's first line>"."""
    if isinstance(event, ModelEvent):
        return f"model {event.role or 'task'}"
    return f"round {str(event.source).rsplit(' ', 1)[-1]}: {str(event.data).splitlines()[0]}"


def run(solver: Any, log_dir: Path, **roles: Model) -> EvalLog:
    [log] = inspect_eval(
        symbench(tasks=TASK, limit=2),
        model=task_model(programs()),
        solver=solver,
        model_roles=roles or None,
        log_dir=str(log_dir),
        display="none",
    )
    assert log.status == "success", log.error
    return log


def test_codesteer_runs_the_program_in_the_sandbox_and_scores_its_output(tmp_path: Path) -> None:
    log = run(codesteer(allow_code_execution=True, self_check=False), tmp_path, steer=steerer())
    assert log.samples is not None
    by_id = {str(s.id).split("/")[0] + str(k): s for k, s in enumerate(log.samples)}
    assert sorted(score(s) for s in log.samples) == [0.0, 1.0]
    for sample in map(resolve_sample_attachments, by_id.values()):  # long texts are attachments in the log
        result = sample.store[RESULT_KEY]
        assert result["stop_reason"] == "return_answer"
        assert [r["control"] for r in result["rounds"]] == ["Code", "Return Answer"]
        execution = result["rounds"][0]["execution"]
        assert execution["ok"] and execution["stdout"].startswith("<<<")  # the sandbox ran the reversed print
        assert "isolation" in execution
        meta = sample.scores["symbench_scorer"].metadata  # type: ignore[index]
        assert meta is not None and meta["code_ran"] and meta["text_answer"] is None
        assert str(meta["code_answer"]) == execution["stdout"].strip()[3:-3]
        steps = [step(e) for e in sample.events if isinstance(e, InfoEvent | ModelEvent)]
        expected = [  # the rounds in order, between the model calls
            "model steer",
            "round 0: **Steerer**: `<<<Code>>>`",
            "model task",
            "round 0: **Symbolic checker**",
            "round 0: **Program run in nsllm's sandbox**",
            "round 0: **Self-answer checker**",
            "model steer",
            "round 1: **Steerer**: `<<<Return Answer>>>`",
        ]
        assert len(steps) == len(expected) and all(s.startswith(e) for s, e in zip(steps, expected, strict=True)), steps
        ran = next(e for e in sample.events if isinstance(e, InfoEvent) and "sandbox" in str(e.data))
        assert execution["stdout"].strip() in str(ran.data)  # what the program printed, in the transcript


def test_code_only_runs_the_program_and_text_only_does_not(tmp_path: Path) -> None:
    ran = run(code_only(allow_code_execution=True), tmp_path / "code")
    talked = run(text_only(), tmp_path / "text")
    assert ran.samples is not None and talked.samples is not None
    assert sorted(score(s) for s in ran.samples) == [0.0, 1.0]
    # the same programs, not run: no answer outside the code, so nothing passes
    assert [score(s) for s in talked.samples] == [0.0, 0.0]
    assert all(s.store[RESULT_KEY]["final_execution"] is None for s in talked.samples)
    for sample in map(resolve_sample_attachments, ran.samples):  # the one round, with its program's run
        [shown] = [e for e in sample.events if isinstance(e, InfoEvent) and e.source == "nsllm/code_only round 0"]
        assert "Program run in nsllm's sandbox" in str(shown.data)


def test_code_running_solvers_need_consent(monkeypatch: pytest.MonkeyPatch) -> None:
    from inspect_ai._util.error import PrerequisiteError

    with pytest.raises(PrerequisiteError) as err:
        codesteer()
    assert "-S allow_code_execution=true" in str(err.value.message)
    with pytest.raises(PrerequisiteError):
        code_only()
    monkeypatch.setenv("NSLLM_ALLOW_CODE_EXECUTION", "1")  # the CLI's other way to opt in
    code_only()


def test_codesteer_without_a_steering_model_says_which_role(tmp_path: Path) -> None:
    [log] = inspect_eval(
        symbench(tasks=TASK, limit=1),
        model=task_model(programs()),
        solver=codesteer(allow_code_execution=True),
        log_dir=str(tmp_path),
        display="none",
    )
    assert log.status == "error"
    assert log.error is not None and "--model-role steer=" in log.error.message


def test_the_issue_command_inspect_eval_with_codesteer_and_a_steer_role(tmp_path: Path) -> None:
    """`inspect eval nsllm/symbench --solver nsllm/codesteer --model-role steer=...` through Inspect's command."""
    import json

    from tests.inspect_ext.helpers import inspect_eval as inspect_cli

    code = programs()
    (tmp_path / "task.json").write_text(json.dumps([{"question": q, "text": p} for q, p in code.items()]))
    (tmp_path / "steer.json").write_text(json.dumps(["<<<Code>>>", "<<<Return Answer>>>"] * 2))
    steer = f"steer={{model: scripted/steer, model_args: {{answers: {tmp_path / 'steer.json'}}}}}"
    log = inspect_cli(
        ["nsllm/symbench", "--model", "scripted/task", "-M", f"answers={tmp_path / 'task.json'}",
         "--solver", "nsllm/codesteer", "-S", "allow_code_execution=true", "-S", "self_check=false",
         "--model-role", steer, "--max-samples", "1", "-T", f"tasks={TASK}", "-T", "limit=2"],
        tmp_path / "logs",
    )  # fmt: skip
    assert [s.solver for s in log.plan.steps] == ["nsllm/codesteer"]
    assert log.plan.steps[0].params["allow_code_execution"] is True
    assert log.samples is not None
    assert sorted(score(s) for s in log.samples) == [0.0, 1.0]
    assert all(s.store[RESULT_KEY]["rounds"][0]["execution"]["ok"] for s in log.samples)


def test_a_steerer_served_by_nsllm_steers_in_local_mode_as_in_the_cli() -> None:
    from nsllm_cli.inspect_ext.solvers import steer_mode

    assert steer_mode("nsllm/runs/steer-sft") == "local" and steer_mode("nsllm/embedded") == "local"
    assert steer_mode("nsllm/ns:runs/demo/finetune") == "api" and steer_mode("openai/gpt-4o") == "api"
    assert steer_mode(None) == "api"
