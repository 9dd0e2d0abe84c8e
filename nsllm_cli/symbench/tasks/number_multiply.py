"""U3 Number Multiply: the product of 3-4 signed integers (`What is the result of a*b*c?`).

Fixes over the original: it accepted any answer containing `str(target)` as a substring (so a longer number
passed); nsllm parses one integer (commas allowed) and compares it with the product of the stored values. The
original generator drew from `10**(d-1) - 1`, so a number could be one digit short; nsllm's generator does not.
"""

from __future__ import annotations

import ast
import math
import random
import re
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_each, register, sample_dirs

# complexity -> digits of each factor (the original sets are 1_2_4, 1_3_4, 1_2_2_4)
LEVELS = {1: (1, 2, 2), 2: (1, 2, 4), 3: (1, 3, 4), 4: (1, 2, 2, 4), 5: (2, 3, 3, 5)}
FORMAT = "Answer with the integer result only, in the form <<<N>>>, e.g. <<<-1234>>>."


def parse_int(block: str) -> int | None:
    """The last integer in `block`; thousands separators (`,`, `_`, thin spaces) and a unicode minus allowed."""
    text = block.replace("−", "-").replace("\u2009", "").replace("\u202f", "")
    text = re.sub(r"(?<=\d)[,_ ](?=\d{3}(?!\d))", "", text)
    text = re.sub(r"(?<=\d)[,_ ](?=\d{3}(?!\d))", "", text)
    found = re.findall(r"-?\s*\d+(?:\.0+)?(?![\d.])", text)
    if not found:
        return None
    return int(found[-1].replace(" ", "").split(".")[0])


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from exc


@register
class NumberMultiply(Task):
    name = "number_multiply"
    title = "Number Multiply"
    code = "U3"
    seen = False
    folder = "number_multiply"

    def load(self, data_dir: Path) -> list[Instance]:
        """`digit_*/sample_i/{input_prompt_1.txt, input_value_list.txt, target_answer.txt}`; id `digit_*/sample_i`."""
        root = data_dir / self.folder
        if not root.is_dir():
            raise DataError(f"{root}: no such folder")

        def fill(inst: Instance, sample: Path) -> None:
            prompt = _read(sample / "input_prompt_1.txt")
            values_path = sample / "input_value_list.txt"
            try:
                values = ast.literal_eval(_read(values_path))
            except (ValueError, SyntaxError) as exc:
                raise DataError(f"{values_path}: not a list of integers ({exc})") from exc
            if not isinstance(values, list) or not values or not all(type(v) is int for v in values):
                raise DataError(f"{values_path}: not a list of integers")
            target_path = sample / "target_answer.txt"
            try:
                target = int(_read(target_path))
            except ValueError as exc:
                raise DataError(f"{target_path}: not an integer") from exc
            inst.question = f"{prompt}\n{FORMAT}"
            inst.data = {"input_prompt": prompt, "input_value_list": values, "target_answer": target,
                         "digits": [len(str(abs(v))) for v in values]}  # fmt: skip

        groups = sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith("digit_"))
        samples = (sample for group in groups for sample in sample_dirs(group))
        return load_each(self, ((f"{s.parent.name}/{s.name}", str(s), s) for s in samples), fill)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Signed factors with exactly the level's digit counts (more and longer factors with complexity)."""
        rng = random.Random(seed)
        digits = LEVELS[max(1, min(complexity, max(LEVELS)))]
        out = []
        for i in range(n):
            values = [rng.choice([-1, 1]) * rng.randint(10 ** (d - 1), 10**d - 1) for d in digits]
            prompt = f"What is the result of {'*'.join(str(v) for v in values)}?"
            data = {"input_prompt": prompt, "input_value_list": values, "target_answer": math.prod(values),
                    "digits": list(digits), "complexity": complexity}  # fmt: skip
            out.append(Instance.generated(self.name, seed, i, f"{prompt}\n{FORMAT}", data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        return None if block is None else parse_int(block)

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if type(answer) is not int:
            return Verdict.wrong("no integer")
        want = math.prod(instance.data["input_value_list"])
        return Verdict.ok() if answer == want else Verdict.wrong(f"{answer} differs from {want}")

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: `str(target) in answer`, so a longer number containing the target passes."""
        if answer is None:
            return Verdict.wrong("no answer")
        target = str(instance.data["target_answer"])
        return Verdict.ok() if target in str(answer) else Verdict.wrong("target not a substring")

    def gold_answer(self, instance: Instance) -> str:
        return f"<<<{instance.data['target_answer']}>>>"
