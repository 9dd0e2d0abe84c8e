"""S6 Date Understanding (BBH): multiple choice over dates; the answer is the option letter (an answer that
repeats an option's text, e.g. the date itself, maps to that option's letter). See `_bbh` for the fix."""

from __future__ import annotations

from nsllm_cli.symbench.base import register
from nsllm_cli.symbench.tasks._bbh import BBHChoice


@register
class DateUnderstanding(BBHChoice):
    name = "date_understanding"
    title = "Date Understanding"
    code = "S6"
    folder = "BIG-Bench-Hard/bbh/date_understanding.json"
