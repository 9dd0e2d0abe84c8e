"""`import nsllm_cli.providers` stays cheap: SDKs, torch and transformers load only when a model is used."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("openai", "anthropic", "httpx2", "torch", "transformers", "tenacity", "typer", "rich", "textual")


def test_importing_providers_loads_no_sdk_and_no_ui() -> None:
    code = (
        "import sys, nsllm_cli.providers, nsllm_cli.providers.registry;"
        f"print(' '.join(n for n in {HEAVY!r} if n in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []
