"""`nsllm steer`: CodeSteer's multi-round code/text steering loop (being built, issue #4)."""

from __future__ import annotations

import typer

from nsllm_cli.cli._common import guarded
from nsllm_cli.errors import NotImplementedYetError


@guarded
def steer(ctx: typer.Context) -> None:
    """Guide a task model between code and text over several rounds. [not available yet: issue #4]"""
    raise NotImplementedYetError("nsllm steer is not available yet: it arrives with CodeSteer (issue #4)")
