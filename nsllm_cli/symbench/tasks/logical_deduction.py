"""S8 Logical Deduction (BBH): ordering of seven objects, multiple choice. See `_bbh` for the fix."""

from __future__ import annotations

from nsllm_cli.symbench.base import register
from nsllm_cli.symbench.tasks._bbh import BBHChoice


@register
class LogicalDeduction(BBHChoice):
    name = "logical_deduction"
    title = "Logical Deduction"
    code = "S8"
    folder = "BIG-Bench-Hard/bbh/logical_deduction_seven_objects.json"
