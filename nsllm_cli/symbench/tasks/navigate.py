"""S9 Navigation (BBH): does the walk return to the start (yes/no). See `_bbh` for the fix."""

from __future__ import annotations

from nsllm_cli.symbench.base import register
from nsllm_cli.symbench.tasks._bbh import BBHYesNo


@register
class Navigate(BBHYesNo):
    name = "navigate"
    title = "Navigation"
    code = "S9"
    folder = "BIG-Bench-Hard/bbh/navigate.json"
