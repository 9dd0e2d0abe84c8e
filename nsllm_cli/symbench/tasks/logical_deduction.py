"""S8 Logical Deduction (BBH): ordering of seven objects, multiple choice.

Fix over the original: a GPT-4o judge compared the model's text with the target; nsllm compares the
option letter deterministically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nsllm_cli.symbench.base import Instance, Task, Verdict, register
from nsllm_cli.symbench.tasks.date_understanding import LETTER_FORMAT, load_bbh, parse_letter, verify_letter


@register
class LogicalDeduction(Task):
    name = "logical_deduction"
    title = "Logical Deduction"
    code = "S8"
    seen = True
    external = True
    folder = "BIG-Bench-Hard/bbh/logical_deduction_seven_objects.json"

    def load(self, data_dir: Path) -> list[Instance]:
        return load_bbh(self, data_dir, LETTER_FORMAT)

    def parse(self, text: str) -> Any | None:
        return parse_letter(text)

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        return verify_letter(instance, answer)

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: a GPT-4o judge; offline, the closest reproduction is the same deterministic compare."""
        return self.verify(instance, answer)

    def gold_answer(self, instance: Instance) -> str:
        return f"<<<{instance.data['target']}>>>"
