"""`import nsllm_cli.cli` stays cheap, and engine modules never pull in UI libraries."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "transformers", "peft", "trl", "datasets", "bitsandbytes", "textual", "openai", "accelerate")
UI = ("typer", "rich", "textual")
ENGINE = (
    "nsllm_cli.config",
    "nsllm_cli.runs",
    "nsllm_cli.jsonl",
    "nsllm_cli.artifacts",
    "nsllm_cli.reporting",
    "nsllm_cli.generation",
    "nsllm_cli.models.resolve",
    "nsllm_cli.models.embedded",
    "nsllm_cli.models.tiny",
    "nsllm_cli.models.device",
    "nsllm_cli.symbench.runner",
    "nsllm_cli.symbench.results",
    "nsllm_cli.steer.loop",
    "nsllm_cli.steer.collect",
    "nsllm_cli.steer.datasets",
    "nsllm_cli.steer.train",
    "nsllm_cli.providers.ns_local",
    "nsllm_cli.tui.runs",
)


def _loaded_after(import_stmt: str, names: tuple[str, ...]) -> list[str]:
    code = f"import sys; {import_stmt}; print(' '.join(n for n in {names!r} if n in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_cli_import_loads_no_heavy_library() -> None:
    assert _loaded_after("import nsllm_cli.cli", HEAVY) == []


def test_engine_modules_do_not_import_ui_libraries() -> None:
    for module in ENGINE:
        assert _loaded_after(f"import {module}", UI) == [], module


def test_help_runs_without_heavy_imports() -> None:
    code = (
        "import sys; from nsllm_cli.cli import app\n"
        "try:\n    app(args=['--help'], prog_name='nsllm')\nexcept SystemExit:\n    pass\n"
        f"print('LOADED', ' '.join(n for n in {HEAVY!r} if n in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "gather" in out.stdout and "dashboard" in out.stdout
    assert out.stdout.strip().splitlines()[-1].strip() == "LOADED"
