"""S7 Web of Lies (BBH): yes/no truth chain: does the last person tell the truth. See `_bbh` for the fix."""

from __future__ import annotations

from nsllm_cli.symbench.base import register
from nsllm_cli.symbench.tasks._bbh import BBHYesNo


@register
class WebOfLies(BBHYesNo):
    name = "web_of_lies"
    title = "Web of Lies"
    code = "S7"
    folder = "BIG-Bench-Hard/bbh/web_of_lies.json"
