"""Regenerate the pictures of the README and docs/ (`make assets`): offline, on the CPU, in well under a minute.

Why a script: screenshots and charts go stale as the code changes; this draws them all again from the code as it
is now, so the pictures in the repository are always ones the current code can produce.

What it draws, into `assets/`:
    help.svg              `nsllm --help`, through rich's SVG export
    dashboard.svg         `nsllm dashboard` on the `make demo` run folders (the writer's loss curve)
    dashboard-answers.svg the same, the bench run selected (base vs NS answers side by side)
    chat.svg              `nsllm chat --ns-run ...`: plain vs neurosymbolic, side by side
    steer.svg             `nsllm chat --task-llm ... --steer-llm ...`: the rounds of CodeSteer
    accuracy.png          `bench math`'s chart of the `make demo` run
    layers.png            `train`'s chart of a `--recipe paper` run (per-layer decoding error)
    pipeline.svg          the two methods as a diagram

No model runs: the screens and charts read measured results kept in `assets/data/` (see its README.md, which
names the commands that produced them), and the chats replay scripted answers. `--snapshot RUN_DIR` refreshes
`assets/data/` from a `make demo` run folder (runs/demo).

Example:
    $ .venv/bin/python assets/make_assets.py            # or: make assets
    $ .venv/bin/python assets/make_assets.py --snapshot runs/demo --only accuracy,dashboard
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ASSETS = Path(__file__).resolve().parent
DATA = ASSETS / "data"
REPO = ASSETS.parent
sys.path.insert(0, str(ASSETS))

from pipeline_svg import pipeline_svg  # noqa: E402  (a sibling module, importable once ASSETS is on the path)

SIZE = (120, 34)
"""Terminal size of the app screenshots (columns, rows)."""

ANSWERS_ROW = "gcd"
"""The problem type whose first question the answers screenshot shows."""


def help_svg(out: Path) -> None:
    """`nsllm --help`, coloured as a terminal shows it, exported by rich."""
    import typer.rich_utils
    from rich.console import Console
    from typer.testing import CliRunner

    from nsllm_cli.cli import app

    console = Console(record=True, width=100, force_terminal=True, color_system="truecolor", file=io.StringIO())
    original = typer.rich_utils._get_rich_console
    typer.rich_utils._get_rich_console = lambda stderr=False: console
    try:
        result = CliRunner().invoke(app, ["--help"], prog_name="nsllm")
    finally:
        typer.rich_utils._get_rich_console = original
    if result.exit_code != 0:
        raise RuntimeError(f"nsllm --help exited {result.exit_code}: {result.output}")
    out.write_text(console.export_svg(title="nsllm --help"), encoding="utf-8")


def _write_run(root: Path, name: str, command: str, files: dict[str, Any] | None = None) -> Path:
    """A finished run folder as nsllm writes it: config.yaml, status.json and `files` (name -> JSON or records)."""
    path = root / name
    path.mkdir(parents=True)
    (path / "config.yaml").write_text(f"command: {command}\nargv: []\n", encoding="utf-8")
    status = {"state": "finished", "pid": None, "started": "2026-01-01T12:00:00+00:00", "ended": None, "error": None}
    (path / "status.json").write_text(json.dumps(status), encoding="utf-8")
    for filename, content in (files or {}).items():
        target = path / filename
        if isinstance(content, list):
            target.write_text("".join(json.dumps(r) + "\n" for r in content), encoding="utf-8")
        else:
            target.write_text(json.dumps(content), encoding="utf-8")
    return path


def _demo_runs(root: Path) -> dict[str, Path]:
    """The `make demo` run folders, rebuilt from the snapshot in assets/data/."""
    metrics = [json.loads(line) for line in (DATA / "demo-finetune-metrics.jsonl").read_text().splitlines()]
    samples = [json.loads(line) for line in (DATA / "demo-bench-samples.jsonl").read_text().splitlines()]
    results = json.loads((DATA / "demo-bench-results.json").read_text())
    return {
        "gather": _write_run(root, "gather-20260101-120000-demo", "gather"),
        "train": _write_run(root, "train-20260101-120500-demo", "train"),
        "finetune": _write_run(root, "finetune-20260101-121000-demo", "finetune", {"metrics.jsonl": metrics}),
        "bench": _write_run(
            root, "bench-20260101-122000-demo", "bench", {"samples.jsonl": samples, "results.json": results}
        ),
    }


async def _dashboard_svg(out: Path, select: str) -> None:
    from nsllm_cli.tui.dashboard import make_dashboard
    from nsllm_cli.tui.widgets.answers_panel import AnswersPanel
    from nsllm_cli.tui.widgets.event_log import EventLog
    from nsllm_cli.tui.widgets.runs_table import RunsTable

    with tempfile.TemporaryDirectory() as tmp, _cwd(Path(tmp)):
        runs = _demo_runs(Path("runs"))
        app = make_dashboard(runs_dir=Path("runs"), poll_interval=0.1)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.3)
            app.query_one(RunsTable).highlight(str(runs[select].absolute()))
            app.select_run(runs[select].absolute())
            await pilot.pause(0.5)
            panel = app.query_one(AnswersPanel)
            if panel.groups is not None:  # show a trained type's question (the first rows are unseen additions)
                labels = [row.label for row in panel.groups.rows.values()]
                row = next((i for i, label in enumerate(labels) if ANSWERS_ROW in label), 0)
                panel.table.focus()
                panel.table.move_cursor(row=row)
                await pilot.pause(0.3)
            log = app.query_one(EventLog)  # the start-up line names the temporary folder: name ./runs instead
            log.clear()
            log.event("watching ./runs")
            await pilot.pause(0.1)
            svg = app.export_screenshot(title="nsllm dashboard")
    # The dashboard names its folder in full; show it as the ./runs it stands for (padded: spans keep their width).
    full = str(Path(tmp).resolve() / "runs")
    out.write_text(svg.replace(full, "./runs".ljust(len(full)).replace(" ", "&#160;")), encoding="utf-8")


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    """Run the block in `path` (the dashboard shows its runs folder by the name it was given)."""
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def dashboard_svg(out: Path) -> None:
    """The dashboard with the writer's finetune run selected: loss curve and eval panel."""
    asyncio.run(_dashboard_svg(out, "finetune"))


def dashboard_answers_svg(out: Path) -> None:
    """The dashboard with the bench run selected: base vs NS answers to the same questions."""
    asyncio.run(_dashboard_svg(out, "bench"))


async def _chat_svg(out: Path) -> None:
    from textual.widgets import Input

    from nsllm_cli.providers.fake import FakeProvider
    from nsllm_cli.tui.chat import make_chat

    # The answers of the `make demo` run to two prompts, as `nsllm chat --plain` printed them (docs/tui.md).
    chat: list[dict[str, str]] = json.loads((DATA / "chat-transcript.json").read_text(encoding="utf-8"))
    plain = FakeProvider("local:embedded", [turn["plain"] for turn in chat])
    ns = FakeProvider("local:embedded+ns", [turn["ns"] for turn in chat])
    app = make_chat(plain, ns_provider=ns, ns_run=Path("runs/demo/finetune"))
    async with app.run_test(size=SIZE) as pilot:
        for turn in chat:
            app.query_one("#prompt", Input).value = turn["prompt"]
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause(0.2)
        out.write_text(app.export_screenshot(title="nsllm chat --ns-run runs/demo/finetune"), encoding="utf-8")


def chat_svg(out: Path) -> None:
    """Plain vs neurosymbolic columns, answering the prompts of the transcript."""
    asyncio.run(_chat_svg(out))


STEER_ROWS = 50
"""Rows of the steer screenshot: every round fits, from the question to the final answer."""
STEER_QUESTION = "Find x with x % 7 == 3 and x % 11 == 5, 0 < x < 77."
STEER_CODE = (
    "A search over the range settles it:\n```python\nfor x in range(1, 77):\n"
    "    if x % 7 == 3 and x % 11 == 5:\n        print(f'<<<{x}>>>')\n```"
)


async def _steer_svg(out: Path) -> None:
    from textual.widgets import Input

    from nsllm_cli.providers.scripted import ScriptedProvider
    from nsllm_cli.tui.chat import make_chat
    from nsllm_cli.tui.lanes import SteerSetup
    from nsllm_cli.tui.widgets.steer_rounds import SteerRounds

    task = ScriptedProvider(["27 leaves 3 when divided by 7 and 5 by 11, so <<<27>>>.", STEER_CODE], name="gpt-4o")
    steerer = ScriptedProvider(["<<<Text>>>", "<<<Code>>>", "<<<Return Answer>>>"], name="runs/steer-dpo")
    app = make_chat(steer=SteerSetup(task, steerer, allow_code=True, self_check=False))
    async with app.run_test(size=(SIZE[0], STEER_ROWS)) as pilot:
        app.query_one("#prompt", Input).value = STEER_QUESTION
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        app.query_one(SteerRounds).scroll_home(animate=False)  # from the question down, wherever it had scrolled
        await pilot.pause(0.2)
        out.write_text(app.export_screenshot(title="nsllm chat (CodeSteer)"), encoding="utf-8")


def steer_svg(out: Path) -> None:
    """Steer mode: text first, a wrong answer, a switch to code, the program's output, the final answer."""
    asyncio.run(_steer_svg(out))


def accuracy_png(out: Path) -> None:
    """`bench math`'s per-type chart, drawn from the `make demo` run's results.json (snapshot)."""
    from nsllm_cli.ns.bench import plot_accuracy

    results = json.loads((DATA / "demo-bench-results.json").read_text(encoding="utf-8"))
    plot_accuracy(results, results["methods"], out)


def layers_png(out: Path) -> None:
    """`train`'s per-layer chart of a small `--recipe paper` run on the embedded model (snapshot of its table)."""
    from nsllm_cli.ns.paper.train import plot_layers

    data = json.loads((DATA / "paper-layers.json").read_text(encoding="utf-8"))
    plot_layers(data["table"], out, best=data["best_layer"])


def write_pipeline_svg(out: Path) -> None:
    """The pipeline diagram (gather → train → finetune → bench; CodeSteer's steer loop)."""
    out.write_text(pipeline_svg(), encoding="utf-8")


ASSET_MAKERS: dict[str, tuple[str, Callable[[Path], None]]] = {
    "help": ("help.svg", help_svg),
    "dashboard": ("dashboard.svg", dashboard_svg),
    "dashboard-answers": ("dashboard-answers.svg", dashboard_answers_svg),
    "chat": ("chat.svg", chat_svg),
    "steer": ("steer.svg", steer_svg),
    "accuracy": ("accuracy.png", accuracy_png),
    "layers": ("layers.png", layers_png),
    "pipeline": ("pipeline.svg", write_pipeline_svg),
}


def snapshot(demo: Path) -> None:
    """Refresh assets/data/ from a `make demo` run folder (its finetune metrics, bench results and samples)."""
    shutil.copyfile(demo / "finetune" / "metrics.jsonl", DATA / "demo-finetune-metrics.jsonl")
    results = json.loads((demo / "bench" / "results.json").read_text(encoding="utf-8"))
    keep = {k: results[k] for k in ("methods", "questions", "per_type", "mean_trained") if k in results}
    (DATA / "demo-bench-results.json").write_text(json.dumps(keep, indent=1) + "\n", encoding="utf-8")
    shutil.copyfile(demo / "bench" / "samples.jsonl", DATA / "demo-bench-samples.jsonl")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(ASSET_MAKERS)}")
    parser.add_argument("--snapshot", type=Path, help="refresh assets/data/ from this `make demo` run folder first")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(ASSET_MAKERS)
    unknown = [n for n in names if n not in ASSET_MAKERS]
    if unknown:
        parser.error(f"unknown asset(s): {', '.join(unknown)}")
    if args.snapshot is not None:
        snapshot(args.snapshot)
    from textual.widgets import Input

    Input._toggle_cursor = lambda self: None  # type: ignore[method-assign]  # a steady cursor: stable screenshots
    for name in names:
        filename, make = ASSET_MAKERS[name]
        start = time.perf_counter()
        make(ASSETS / filename)
        size = (ASSETS / filename).stat().st_size
        print(f"{filename:24} {size / 1024:7.1f} KB  {time.perf_counter() - start:5.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
