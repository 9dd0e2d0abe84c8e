"""`nsllm serve`: a local model behind an OpenAI-compatible HTTP API (being built, issue #4)."""

from __future__ import annotations

import typer

from nsllm_cli.cli._common import guarded
from nsllm_cli.errors import NotImplementedYetError


@guarded
def serve(ctx: typer.Context) -> None:
    """Serve a local model over an OpenAI-compatible HTTP API. [not available yet: issue #4]"""
    raise NotImplementedYetError("nsllm serve is not available yet: it arrives with CodeSteer and serving (issue #4)")
