"""The dashboard app driven by Pilot over temporary run folders that change while it runs."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from nsllm_cli.jsonl import append_jsonl
from nsllm_cli.tui.dashboard import Dashboard, make_dashboard
from nsllm_cli.tui.widgets.answers_panel import AnswersPanel
from nsllm_cli.tui.widgets.eval_panel import EvalPanel
from nsllm_cli.tui.widgets.event_log import EventLog
from nsllm_cli.tui.widgets.loss_curve import LossCurve
from nsllm_cli.tui.widgets.runs_table import RunsTable
from tests.tui._runs import (
    SLEEPER,
    append_raw,
    bench_math_samples,
    losses,
    read_status,
    start_sleeper,
    symbench_samples,
    write_run,
)

pytestmark = pytest.mark.tui
SIZE = (100, 30)
FAST = 0.05
TYPING = 0.5
"""Tests that type keys poll slowly: Pilot waits for the app to go idle after each key."""


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until `condition` holds (fails the test after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)


def events(app: Dashboard) -> list[str]:
    return app.query_one(EventLog).events


def assert_no_internal_error(app: Dashboard) -> None:
    assert not [e for e in events(app) if "refresh failed" in e]


async def test_new_metrics_points_appear_live(runs_dir: Path) -> None:
    run = write_run(runs_dir, "finetune-1", state="running", pid=os.getpid(), metrics=losses(1, total=40))
    app = make_dashboard(runs_dir=runs_dir, poll_interval=FAST)

    def writer() -> None:
        for record in losses(39, start=2, total=40):
            append_jsonl(run / "metrics.jsonl", record)
            time.sleep(0.01)

    async with app.run_test(size=SIZE) as pilot:
        curve = app.query_one(LossCurve)
        await wait_for(pilot, lambda: curve.point_count == 1)
        assert "not enough points yet" in str(curve.render())
        thread = threading.Thread(target=writer)
        thread.start()
        await wait_for(pilot, lambda: curve.point_count == 40)
        thread.join()
        assert app.selected == run.absolute()
        assert "⠀" not in str(curve.render()) and any("⠀" < ch <= "⣿" for ch in str(curve.render()))
        await wait_for(pilot, lambda: app.runs[str(run.absolute())].step == 40)
        assert app.query_one(RunsTable).get_cell(str(run.absolute()), "step") == "40/40"
        assert ("step", "40/40") in app.query_one(EvalPanel).rows
        assert_no_internal_error(app)


async def test_keys_toggle_log_scale_and_smoothing(runs_dir: Path) -> None:
    write_run(runs_dir, "finetune-1", metrics=[*losses(5), {"step": 6, "loss": 0.0, "eval_loss": 0.4}])
    async with make_dashboard(runs_dir=runs_dir, poll_interval=FAST).run_test(size=SIZE) as pilot:
        curve = pilot.app.query_one(LossCurve)
        await wait_for(pilot, lambda: curve.point_count == 6)
        assert curve.border_title == "Loss · EMA"
        await pilot.press("l")
        assert curve.log_scale and curve.border_title == "Loss · log · EMA"
        assert "3" in str(curve.render())  # the top label, 10 ** log10(3)
        await pilot.press("s")
        assert not curve.smooth and curve.border_title == "Loss · log"
        await pilot.press("l", "s")
        assert not curve.log_scale and curve.smooth


async def test_command_palette_runs_dashboard_commands(runs_dir: Path) -> None:
    app = make_dashboard(runs_dir=runs_dir, poll_interval=TYPING)
    async with app.run_test(size=SIZE) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Refresh runs", "Toggle log scale", "Toggle smoothing", "Start a run", "Stop the selected run"):
            assert title in titles
        await pilot.press("ctrl+p")
        await pilot.press(*"log scale")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.query_one(LossCurve).log_scale)


async def test_corrupt_and_half_written_lines_give_a_message_not_a_crash(runs_dir: Path) -> None:
    run = write_run(runs_dir, "finetune-1", state="running", pid=os.getpid(), metrics=losses(2))
    append_raw(run / "metrics.jsonl", b"{this is not json\n")
    append_jsonl(run / "metrics.jsonl", {"step": 3, "loss": 0.9})
    append_raw(run / "metrics.jsonl", b'{"step": 4, "lo')
    app = make_dashboard(runs_dir=runs_dir, poll_interval=FAST)
    async with app.run_test(size=SIZE) as pilot:
        curve = app.query_one(LossCurve)
        await wait_for(pilot, lambda: curve.point_count == 3)
        await wait_for(pilot, lambda: "partial last line pending" in app.status_text)
        assert "1 corrupt line skipped" in app.status_text
        assert any("corrupt metrics line" in e and "line 3" in e for e in events(app))
        append_raw(run / "metrics.jsonl", b'ss": 0.8}\n')
        await wait_for(pilot, lambda: curve.point_count == 4)
        await wait_for(pilot, lambda: "partial" not in app.status_text)
        assert_no_internal_error(app)


async def test_empty_runs_folder_then_a_run_appears(runs_dir: Path) -> None:
    app = make_dashboard(runs_dir=runs_dir, poll_interval=FAST)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        assert app.status_text.startswith(f"no runs in {runs_dir}")
        assert "no runs yet" in str(app.query_one(LossCurve).render())
        await pilot.press("x")  # nothing to stop: a message, not a crash
        assert "no run selected" in app.status_text
        write_run(runs_dir, "train-1", command="train", metrics=losses(3))
        await wait_for(pilot, lambda: app.query_one(LossCurve).point_count == 3)
        assert any("new run train-1" in e for e in events(app))


async def test_missing_runs_folder_is_not_an_error(tmp_path: Path) -> None:
    app = make_dashboard(runs_dir=tmp_path / "not-yet", poll_interval=FAST)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        assert "(it does not exist yet)" in app.status_text


async def test_run_deleted_while_shown(runs_dir: Path) -> None:
    keep = write_run(runs_dir, "bench-1", command="bench-math", samples=bench_math_samples())
    doomed = write_run(runs_dir, "finetune-1", metrics=losses(4), started="2026-01-05T00:00:00+00:00")
    app = make_dashboard(runs_dir=runs_dir, poll_interval=FAST)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.query_one(LossCurve).point_count == 4)
        assert app.selected == doomed.absolute()  # the newest run is selected at start
        shutil.rmtree(doomed)
        await wait_for(pilot, lambda: "was deleted" in app.status_text)
        assert any("run finetune-1 was deleted while shown" in e for e in events(app))
        await wait_for(pilot, lambda: app.selected == keep.absolute())
        assert app.query_one(RunsTable).row_count == 1
        assert_no_internal_error(app)


async def test_side_by_side_bench_math_answers(runs_dir: Path) -> None:
    write_run(runs_dir, "bench-1", command="bench-math", samples=bench_math_samples(), results={"questions": 3})
    app = make_dashboard(runs_dir=runs_dir, poll_interval=FAST)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(AnswersPanel)
        await wait_for(pilot, lambda: panel.table.row_count == 3)
        table = panel.table
        assert [c.label.plain for c in table.ordered_columns] == ["#", "Question", "Gold", "base", "ns"]
        assert str(table.get_cell("0", "base")) == "✗ 1089"
        assert str(table.get_cell("0", "ns")) == "✓ 1028"
        assert str(table.get_cell("1", "question")) == "What is 3 times 4?"
        eval_rows = dict(app.query_one(EvalPanel).rows)
        assert eval_rows["acc ns"] == "2/3 (67%)" and eval_rows["results questions"] == "3"
        detail = str(panel.query_one("#answer-detail").render())
        assert "gold: 1028" in detail and "ns ✓ 1028" in detail


async def test_side_by_side_symbench_answers_grow_live(runs_dir: Path) -> None:
    records = symbench_samples()
    run = write_run(runs_dir, "bench-symbench-1", command="bench-symbench", samples=records[:2])
    app = make_dashboard(runs_dir=runs_dir, poll_interval=FAST)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(AnswersPanel).table
        await wait_for(pilot, lambda: table.row_count == 2)
        assert [c.label.plain for c in table.ordered_columns][3:] == ["only-question"]
        for record in records[2:]:
            append_jsonl(run / "samples.jsonl", record)
        await wait_for(pilot, lambda: table.row_count == 3 and len(table.ordered_columns) == 5)
        assert str(table.get_cell("game24/sample_1", "codesteer")) == "✓ code says 1"
        assert str(table.get_cell("game24/sample_1", "only-question")) == "✗ (1+2+3)*4 #1"
        assert str(table.get_cell("game24/sample_9", "codesteer")).startswith("✗ error: ProviderError")


async def test_start_a_run_from_the_modal(runs_dir: Path) -> None:
    app = make_dashboard(runs_dir=runs_dir, poll_interval=TYPING)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "StartRunScreen")
        await pilot.press(*"nsllm env", "enter")
        await wait_for(pilot, lambda: any(r.command == "env" for r in app.runs.values()))
        (run,) = app.runs.values()
        assert app.selected == run.path and run.path.parent == runs_dir
        # `env` takes no --run-dir, so it exits 2; the dashboard records that instead of "running" forever
        await wait_for(pilot, lambda: not app.procs, timeout=30)
        await wait_for(pilot, lambda: app.runs[run.key].state == "failed")
        assert read_status(run.path)["error"].startswith("exited with code 2")
        assert any(e.startswith("started env-") for e in events(app))
        assert any("running → failed" in e for e in events(app))
        await pilot.press("n", "escape")  # cancelling starts nothing
        await pilot.pause(0.1)
        assert len(app.runs) == 1


async def test_a_bad_command_line_is_a_message(runs_dir: Path) -> None:
    app = make_dashboard(runs_dir=runs_dir, poll_interval=TYPING)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"finetune 'oops", "enter")
        await wait_for(pilot, lambda: "cannot parse the command line" in app.status_text)
        assert not app.procs


async def test_stop_sends_sigint_only_to_nsllm_processes(runs_dir: Path, tmp_path: Path) -> None:
    script = tmp_path / "bin" / "nsllm"
    script.parent.mkdir()
    script.write_text(SLEEPER, encoding="utf-8")
    ours = start_sleeper([sys.executable, str(script)])
    other = subprocess.Popen(["sleep", "30"])
    try:
        write_run(runs_dir, "finetune-1", state="running", pid=ours.pid, started="2026-01-01T00:00:00+00:00")
        stranger = write_run(
            runs_dir, "finetune-2", state="running", pid=other.pid, started="2026-01-02T00:00:00+00:00"
        )
        app = make_dashboard(runs_dir=runs_dir, poll_interval=FAST)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.selected == stranger.absolute())
            await pilot.press("x")
            assert "not a live nsllm process" in app.status_text and other.poll() is None
            await pilot.press("up")
            await wait_for(pilot, lambda: app.selected is not None and app.selected.name == "finetune-1")
            await pilot.press("x")
            assert ours.wait(timeout=10) != 0
            assert any(f"sent SIGINT to finetune-1 (pid {ours.pid})" in e for e in events(app))
    finally:
        for process in (ours, other):
            process.kill()
            process.wait()


def _sigint_ignored() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # how `nsllm gather ... &` in a script or under nohup starts


async def test_a_command_started_with_sigint_ignored_stops_cleanly_from_the_dashboard(
    runs_dir: Path, tiny_dir: Path
) -> None:
    run = runs_dir / "gather-1"
    argv = [sys.executable, "-m", "nsllm_cli", "gather", "--model", "tiny", "--recipe", "paper"]
    argv += ["--n-train", "100000", "--n-val", "10", "--run-dir", str(run)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_sigint_ignored)
    try:
        deadline = time.monotonic() + 120
        while not (run / "status.json").exists() or read_status(run).get("pid") != process.pid:
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "the gather never wrote its running status"
            time.sleep(0.1)
        app = make_dashboard(runs_dir=runs_dir, poll_interval=FAST, stop_grace=60)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.selected == run.absolute())
            await pilot.press("x")
            assert re.search(r"stopping gather-1: SIGINT sent \d+ s ago, SIGTERM in \d+ s", app.status_text)
            await wait_for(pilot, lambda: app.runs[str(run.absolute())].state == "stopped", timeout=60)
            assert process.wait(timeout=30) == 130  # its own handler: no SIGTERM was needed
            await wait_for(pilot, lambda: not app.stopper.pending)
            assert not [e for e in events(app) if "SIGTERM (pid" in e or "SIGKILL" in e]
            assert any(
                e.startswith(f"sent SIGINT to gather-1 (pid {process.pid}); SIGTERM follows") for e in events(app)
            )
    finally:
        process.kill()
        process.communicate()


async def test_pinned_runs_only(runs_dir: Path, tmp_path: Path) -> None:
    write_run(runs_dir, "other", metrics=losses(2))
    mine = write_run(tmp_path / "elsewhere", "mine", metrics=losses(5))
    app = make_dashboard(runs_dir=runs_dir, runs=[mine], poll_interval=FAST)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.query_one(LossCurve).point_count == 5)
        assert list(app.runs) == [str(mine.absolute())]
        await pilot.press("r")
        assert events(app)[-1] == "refreshed"
