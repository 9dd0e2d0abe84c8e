"""S7 Web of Lies (BBH): yes/no truth chain: does the last person tell the truth.

Fix over the original: a GPT-4o judge compared the model's text with the target; nsllm compares the
Yes/No answer (True/False accepted as synonyms) deterministically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nsllm_cli.symbench.base import Instance, Task, Verdict, register
from nsllm_cli.symbench.tasks.date_understanding import YES_NO_FORMAT, load_bbh, parse_yes_no, verify_yes_no


@register
class WebOfLies(Task):
    name = "web_of_lies"
    title = "Web of Lies"
    code = "S7"
    seen = True
    external = True
    folder = "BIG-Bench-Hard/bbh/web_of_lies.json"

    def load(self, data_dir: Path) -> list[Instance]:
        return load_bbh(self, data_dir, YES_NO_FORMAT)

    def parse(self, text: str) -> Any | None:
        return parse_yes_no(text)

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        return verify_yes_no(instance, answer)

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: a GPT-4o judge; offline, the closest reproduction is the same deterministic compare."""
        return self.verify(instance, answer)

    def gold_answer(self, instance: Instance) -> str:
        return f"<<<{instance.data['target']}>>>"
