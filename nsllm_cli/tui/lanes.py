"""Who answers in `nsllm chat`: a provider per column (`Lane`), or the models of CodeSteer mode (`SteerSetup`).

Example:
    >>> make_chat(steer=SteerSetup(task=task, steer=steerer, allow_code=True))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

from nsllm_cli.providers.base import Provider
from nsllm_cli.tui.widgets.chat_column import ChatColumn


@dataclass
class SteerSetup:
    """The models and options of steer mode (see `steer.loop.steer`)."""

    task: Provider
    steer: Provider
    checker: Provider | None = None
    allow_code: bool = False
    max_rounds: int = 5
    steer_mode: str = "api"
    self_check: bool = True


@dataclass
class Lane:
    """One chat column and the provider that answers in it."""

    label: str
    provider: Provider
    column: ChatColumn
