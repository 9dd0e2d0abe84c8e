"""`nsllm steer` with replayed models: the live view, the transcript in the run folder, the answer on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from nsllm_cli.cli import app
from tests.conftest import nsllm_env

runner = CliRunner()
Q = "Order the numbers 3 1 2 from small to large. Answer as <<<a b c>>>."
CODE = "Sorting.\n```python\nprint('<<<' + ' '.join(map(str, sorted([3, 1, 2]))) + '>>>')\n```"


def _write(path: Path, answers: list[object]) -> str:
    path.write_text(json.dumps(answers), encoding="utf-8")
    return f"replay:{path}"


def test_steer_subprocess_code_path_writes_transcript_and_prints_the_answer(tmp_path: Path) -> None:
    task = _write(tmp_path / "task.json", [{"text": CODE, "usage": {"prompt_tokens": 40, "completion_tokens": 12}},
                                           "```python\nprint('Correct')\n```"])  # fmt: skip
    steerer = _write(tmp_path / "steer.json", ["<<<Code>>>", "The program sorts. <<<Return Answer>>>"])
    run_dir = tmp_path / "runs" / "s1"
    args = ["--task-llm", task, "--steer-llm", steerer, "--allow-code-execution", "--run-dir", str(run_dir)]
    proc = subprocess.run(
        [sys.executable, "-m", "nsllm_cli", "steer", Q, *args],
        capture_output=True, text=True, env=nsllm_env(COLUMNS="100"), timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "1 2 3\n"
    assert "round 0" in proc.stderr and "<<<Code>>>" in proc.stderr and "return_answer" in proc.stderr
    transcript = json.loads((run_dir / "transcript.json").read_text())
    assert transcript["answer"] == "1 2 3" and transcript["stop_reason"] == "return_answer"
    assert transcript["rounds"][0]["execution"]["stdout"] == "<<<1 2 3>>>\n"
    assert transcript["rounds"][0]["self_check"]["feedback"] == "Correct"
    assert transcript["usage"]["total_tokens"] == 52
    assert json.loads((run_dir / "status.json").read_text())["state"] == "finished"
    assert json.loads((run_dir / "results.json").read_text())["answer"] == "1 2 3"
    assert len((run_dir / "samples.jsonl").read_text().splitlines()) == 1


def test_steer_reads_the_question_from_stdin_and_files(tmp_path: Path) -> None:
    for how, extra, stdin in (("stdin", [], Q), ("dash", ["-"], Q), ("file", ["--question-file", "q.txt"], None)):
        (tmp_path / "q.txt").write_text(Q)
        task = _write(tmp_path / f"t-{how}.json", ["Ascending: <<<1 2 3>>>"])
        steerer = _write(tmp_path / f"s-{how}.json", ["<<<Text>>>"])
        args = ["steer", *extra, "--task-llm", task, "--steer-llm", steerer, "--max-rounds", "0", "-q"]
        result = runner.invoke(app, [*args, "--run-dir", str(tmp_path / how)], input=stdin)
        assert result.exit_code == 0, (how, result.output)
        assert result.stdout == "1 2 3\n", how
        assert json.loads((tmp_path / how / "transcript.json").read_text())["question"] == Q


def test_code_without_the_flag_is_a_one_line_error_and_keeps_the_partial_transcript(tmp_path: Path) -> None:
    task = _write(tmp_path / "t.json", [CODE])
    steerer = _write(tmp_path / "s.json", ["<<<Text>>>"])
    args = ["steer", Q, "--task-llm", task, "--steer-llm", steerer, "--run-dir", str(tmp_path / "r")]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "--allow-code-execution" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    partial = json.loads((tmp_path / "r" / "transcript.json").read_text())
    assert partial["rounds"][0]["answer"] == CODE and partial["error"]
    assert json.loads((tmp_path / "r" / "status.json").read_text())["state"] == "failed"


def test_the_sandbox_disk_budget_reaches_the_program_and_the_transcript(tmp_path: Path) -> None:
    """--sandbox-disk 1: a program that writes 5 MB is stopped (reason "disk"); the record names the barrier."""
    fill = "Writing.\n```python\nopen('big', 'wb').write(b'x' * 5_000_000)\nprint('<<<done>>>')\n```"
    task = _write(tmp_path / "t.json", [fill, "```python\nprint('Correct')\n```"])
    steerer = _write(tmp_path / "s.json", ["<<<Code>>>", "<<<Return Answer>>>"])
    run_dir = tmp_path / "r"
    args = ["steer", Q, "--task-llm", task, "--steer-llm", steerer, "--allow-code-execution", "-q"]
    result = runner.invoke(app, [*args, "--sandbox-disk", "1", "--max-rounds", "1", "--run-dir", str(run_dir)])
    assert result.exit_code == 0, result.output
    execution = json.loads((run_dir / "transcript.json").read_text())["rounds"][0]["execution"]
    assert execution["killed_reason"] == "disk" and "<<<done>>>" not in execution["stdout"]
    assert execution["isolation"]["disk"].startswith(("tmpfs 1 MB", "watched 1 MB"))
    assert "sandbox_disk_mb: 1" in (run_dir / "config.yaml").read_text()
    bad = runner.invoke(app, [*args, "--sandbox-disk", "-5"])
    assert bad.exit_code == 2 and "--sandbox-disk" in bad.output and "Traceback" not in bad.output


def test_missing_models_and_bad_choices_are_one_line_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["steer", Q, "--steer-llm", "replay:x.json"])
    assert result.exit_code == 1 and "--task-llm is required" in result.stderr
    result = runner.invoke(app, ["steer", Q, "--task-llm", "a", "--steer-llm", "b", "--stop-match", "fuzzy"])
    assert result.exit_code == 1 and "--stop-match must be one of exact, substring" in result.stderr
    result = runner.invoke(app, ["steer", Q, "--task-llm", "replay:missing.json", "--steer-llm", "replay:m.json"])
    assert result.exit_code == 1 and "cannot read replay file" in result.stderr


def test_a_steerer_without_a_choice_fails_with_the_reason(tmp_path: Path) -> None:
    task = _write(tmp_path / "t.json", [])
    steerer = _write(tmp_path / "s.json", ["Let me think.", "Still thinking."])
    args = ["steer", Q, "--task-llm", task, "--steer-llm", steerer, "--run-dir", str(tmp_path / "r")]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "neither <<<Code>>> nor <<<Text>>>" in result.stderr
    assert json.loads((tmp_path / "r" / "transcript.json").read_text())["stop_reason"] == "no_choice"


def test_steer_help() -> None:
    result = runner.invoke(app, ["steer", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--task-llm", "--steer-llm", "--checker-llm", "--max-rounds", "--question-file", "--no-exec-output"):
        assert option in result.stdout
