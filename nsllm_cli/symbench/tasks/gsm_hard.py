"""S10 GSM-Hard: grade-school word problems with large numbers; the answer is one number.

Fix over the original: a GPT-4o extractor and judge (relative difference < 1e-3) scored an answer correct unless
both judgements were literally "False", so an empty output passed; nsllm parses the number and compares it with a
relative tolerance of 1e-3, and anything but a clear match is wrong.
"""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_each, register

_NUMBER = re.compile(r"[-−]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?:\s*/\s*\d+(?:\.\d+)?)?")
REL_TOL = 1e-3


def parse_number(block: str) -> float | None:
    """The last number in `block`: thousands separators, `$`, `%`, spaces and a unicode minus are tolerated."""
    text = re.sub(r"(?<=\d)[,_](?=\d{3}\b)", "", block)
    text = re.sub(r"(?<=\d)[,_](?=\d{3})", "", text)
    found = _NUMBER.findall(text)
    if not found:
        return None
    token = found[-1].replace("−", "-").replace(" ", "")
    try:
        if "/" in token:
            value = Fraction(token.split("/")[0]) / Fraction(token.split("/")[1])
            return float(value)
        return float(token)
    except (ValueError, ZeroDivisionError):
        return None


def close(got: float, want: float) -> bool:
    """Relative difference below 1e-3 (absolute 1e-9 near zero)."""
    return math.isclose(got, want, rel_tol=REL_TOL, abs_tol=1e-9)


@register
class GsmHard(Task):
    name = "gsm_hard"
    title = "GSM-Hard"
    code = "S10"
    seen = True
    external = True
    folder = "gsmhardv2.jsonl"

    def load(self, data_dir: Path) -> list[Instance]:
        """One instance per non-blank line of the JSONL file; id = 0-based line index."""
        path = data_dir / self.folder
        if not path.is_file():
            raise DataError(f"{path}: no such file")
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: cannot read ({exc})") from exc

        def fill(inst: Instance, line: str) -> None:
            try:
                row = json.loads(line)
                problem, target = row["input"], float(row["target"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{inst.source}: not a {{input, code, target}} record ({exc})") from exc
            if not isinstance(problem, str) or not math.isfinite(target):
                raise DataError(f"{inst.source}: a non-text input or a non-finite target")
            inst.question = f"{problem}\n\nGive the final numeric answer in the form <<<number>>>, e.g. <<<42>>>."
            inst.data = {"input": problem, "code": row.get("code", ""), "target": target}

        return load_each(self, ((str(i), f"{path}:{i + 1}", x) for i, x in enumerate(lines) if x.strip()), fill)

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        return None if block is None else parse_number(block)

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, int | float) or isinstance(answer, bool) or not math.isfinite(answer):
            return Verdict.wrong("no number")
        want = float(instance.data["target"])
        return Verdict.ok() if close(float(answer), want) else Verdict.wrong(f"{answer} differs from {want}")

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: correct unless both GPT-4o judgements were "False"; offline, an empty answer passes (the bug),
        anything else is the relative-difference compare."""
        if answer is None or answer == "":
            return Verdict.ok("empty answer passes (original bug)")
        return self.verify(instance, answer)

    def gold_answer(self, instance: Instance) -> str:
        target = float(instance.data["target"])
        return f"<<<{int(target) if target.is_integer() else repr(target)}>>>"
