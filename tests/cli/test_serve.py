"""`nsllm serve`: a real process (free port, printed address, clean Ctrl-C) and the command's options in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI
from typer.testing import CliRunner

from nsllm_cli.cli import app
from tests._serve import serving, stop
from tests.providers.ns_runs import make_tiny_ns_run
from tests.serving.conftest import running
from tests.serving.test_ns import QUESTION, make_ns_run


def test_serve_tiny_on_a_free_port_and_stop_with_ctrl_c(tiny_dir: Path) -> None:
    with serving("--model", "tiny") as (proc, url, printed):
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1") and not url.endswith(":0/v1")
        assert any(line.startswith(f"serving tiny at {url}") for line in printed)
        assert any("curl" in line and "/chat/completions" in line for line in printed)
        client = OpenAI(base_url=url, api_key="x", max_retries=0, timeout=120)
        assert [m.id for m in client.models.list()] == ["tiny"]
        resp = client.chat.completions.create(model="tiny", messages=QUESTION, max_tokens=5, temperature=0)
        assert resp.usage is not None and resp.usage.completion_tokens == 5
        code, stderr = stop(proc)
    assert code == 0, stderr
    assert "Traceback" not in stderr and "server stopped" in stderr


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Run `nsllm serve` in-process without serving: uvicorn's run() just hands back the app."""
    import uvicorn

    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")  # what serve() would set for good in this process
    apps: list[Any] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: apps.append(self.config.app))
    return apps


def test_ns_run_serves_the_neurosymbolic_model_under_its_own_name(
    tmp_path: Path, tiny_dir: Path, tiny_model: tuple[Any, Any], captured: list[Any]
) -> None:
    from nsllm_cli.ns.store import load_ns
    from nsllm_cli.serving import create_app

    run = make_ns_run(tmp_path, *tiny_model, gate=-1e9)
    ns, _ = load_ns(run / "artifacts" / "ns")
    ask: dict[str, Any] = {"model": "tiny+ns", "messages": QUESTION, "max_tokens": 8, "temperature": 0}
    with running(create_app(*tiny_model, model_id="tiny+ns", ns=ns)) as url:
        expected = OpenAI(base_url=url, api_key="x", max_retries=0).chat.completions.create(**ask)
    result = CliRunner().invoke(app, ["serve", "--model", "tiny", "--port", "0", "--ns-run", str(run)])
    assert result.exit_code == 0, result.output
    assert "neurosymbolic" in result.stdout and "listening on http://127.0.0.1:" in result.stdout
    with running(captured[0]) as url:
        client = OpenAI(base_url=url, api_key="x", max_retries=0, timeout=120)
        assert [m.id for m in client.models.list()] == ["tiny+ns"]
        answer = client.chat.completions.create(**ask).choices[0].message.content
    assert answer == expected.choices[0].message.content


def test_ns_run_of_another_model_is_refused(tmp_path: Path, tiny_model: tuple[Any, Any], captured: list[Any]) -> None:
    run = make_ns_run(tmp_path, *tiny_model, gate=-1e9, trained_on="another-model")
    result = CliRunner().invoke(app, ["serve", "--model", "tiny", "--port", "0", "--ns-run", str(run)])
    assert result.exit_code == 1 and captured == []
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("Loading weights")]
    assert len(lines) == 1 and f"{run} was trained on " in lines[0] and lines[0].endswith(", not tiny")


def test_custom_model_id_and_non_loopback_warning(tiny_dir: Path, captured: list[Any]) -> None:
    result = CliRunner().invoke(
        app, ["serve", "--model", "tiny", "--host", "0.0.0.0", "--port", "0", "--model-id", "m"]
    )
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr and "0.0.0.0" in result.stderr
    assert "serving m at http://0.0.0.0:" in result.stdout
    assert captured[0].state.engine is not None


def _one_line(result: Any) -> str:
    """The only line of a failed command's stderr (transformers' weight-loading progress aside)."""
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.strip().splitlines() if line.strip() and "Loading weights" not in line]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return str(lines[0])


def test_ns_spec_serves_the_runs_model_with_its_hook(
    tmp_path: Path, tiny_dir: Path, model_cache: Path, captured: list[Any]
) -> None:
    run = make_tiny_ns_run(tmp_path, "finetune", model_cache=model_cache)
    ask: dict[str, Any] = {"model": "tiny+ns", "messages": QUESTION, "max_tokens": 8, "temperature": 0}
    answers = []
    for args, expected in (
        (["--model", f"ns:{run}"], "tiny+ns"),
        (["--model", "tiny", "--ns-run", str(run)], "tiny+ns"),
        (["--model", "tiny"], "tiny"),
    ):
        result = CliRunner().invoke(app, ["serve", "--port", "0", *args])
        assert result.exit_code == 0, result.output
        assert (f"(neurosymbolic, from {run})" in result.stdout) == (expected == "tiny+ns")
        with running(captured[-1]) as url:
            client = OpenAI(base_url=url, api_key="x", max_retries=0, timeout=120)
            assert [m.id for m in client.models.list()] == [expected]
            answers.append(client.chat.completions.create(**{**ask, "model": expected}).choices[0].message.content)
    assert answers[0] == answers[1] != answers[2]  # the same NS model both ways; not the plain one


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "ns:{tmp}/nothing"], "{tmp}/nothing is not a finished finetune run (no such folder)"),
        (["--model", "ns:{run}", "--ns-run", "{run}"], "--model ns:{run} already names the NS run; leave out --ns-run"),
        (["--model", "embedded", "--ns-run", "{run}"], "{run} was trained on tiny (tiny-llama), not embedded"),
    ],
)
def test_bad_ns_options_are_one_line_errors_before_loading(
    tmp_path: Path, model_cache: Path, captured: list[Any], args: list[str], message: str
) -> None:
    run = make_tiny_ns_run(tmp_path, "finetune", model_cache=model_cache)
    argv = [a.format(tmp=tmp_path, run=run) for a in args]
    line = _one_line(CliRunner().invoke(app, ["serve", "--port", "0", *argv]))
    assert line == "error: " + message.format(tmp=tmp_path, run=run)
    assert captured == []


def test_ns_run_with_changed_atoms_is_one_line(tmp_path: Path, model_cache: Path, captured: list[Any]) -> None:
    import shutil

    from nsllm_cli.ns.problems import PROBLEM_TYPES
    from nsllm_cli.ns.vsa import VSA

    run = make_tiny_ns_run(tmp_path, "finetune", model_cache=model_cache)
    shutil.rmtree(run / "artifacts" / "ns" / "vsa_atoms")
    VSA.generate(types=PROBLEM_TYPES, dim=256, seed=1).save(run / "artifacts" / "ns" / "vsa_atoms")
    line = _one_line(CliRunner().invoke(app, ["serve", "--port", "0", "--model", f"ns:{run}"]))
    assert "made with another vsa_atoms" in line and captured == []


def test_max_queue_sets_the_servers_queue(tiny_dir: Path, captured: list[Any]) -> None:
    assert "--max-queue" in CliRunner().invoke(app, ["serve", "--help"]).stdout
    result = CliRunner().invoke(app, ["serve", "--model", "tiny", "--port", "0", "--max-queue", "3"])
    assert result.exit_code == 0, result.output
    assert captured[0].state.gate.max_queue == 3
    result = CliRunner().invoke(app, ["serve", "--model", "tiny", "--port", "0"])
    assert captured[1].state.gate.max_queue == 16
    assert CliRunner().invoke(app, ["serve", "--port", "0", "--max-queue", "-1"]).exit_code == 2
