"""Shared BIG-Bench-Hard helpers and task bases (Date Understanding, Logical Deduction: option letters; Web of Lies,
Navigation: Yes/No).

Fix over the original: a GPT-4o judge compared the model's text with the target; nsllm compares the option letter
or the Yes/No answer deterministically. Offline, `verify_paper` is the same compare (the judge cannot be rerun).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_each, read_json

_OPTION = re.compile(r"^\(([A-Z])\)\s*(.*?)\s*$", re.M)
_LETTER = re.compile(
    r"(?:(?:the\s+)?(?:option|answer|choice)\s*(?:is\s*)?:?\s*)?\(?([A-Za-z])\)?(?:[\s.:)\-].*)?", re.I | re.S
)
_QUOTES = "\"'`“”‘’*"


def load_bbh(task: Task, data_dir: Path, instruction: str) -> list[Instance]:
    """Every example of one BBH JSON file `{canary, examples: [{input, target}]}`; id = 0-based index."""
    path = data_dir / task.folder
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    data = read_json(path)
    examples = data.get("examples") if isinstance(data, dict) else None
    if not isinstance(examples, list):
        raise DataError(f"{path}: expected an object with an 'examples' list")

    def fill(inst: Instance, ex: Any) -> None:
        if not isinstance(ex, dict) or not isinstance(ex.get("input"), str) or not isinstance(ex.get("target"), str):
            raise DataError(f"{path}: example {inst.id} lacks a string 'input' and 'target'")
        inst.question, inst.data = f"{ex['input']}\n\n{instruction}", {"input": ex["input"], "target": ex["target"]}

    return load_each(task, ((str(i), str(path), ex) for i, ex in enumerate(examples)), fill)


def options(text: str) -> dict[str, str]:
    """Option letter -> option text, from the `(A) ...` lines of a BBH input."""
    return {m.group(1): m.group(2) for m in _OPTION.finditer(text)}


def _clean(block: str) -> str:
    return block.strip().strip(_QUOTES).strip()


def parse_letter(text: str) -> str | None:
    """`(B)`, `B`, `B) 12/25/1937`, `Option B`, `(b)` -> `B`; anything else is kept (it may be an option's text)."""
    block = last_answer(text)
    if block is None:
        return None
    block = _clean(block)
    m = _LETTER.fullmatch(block)
    if m:
        return m.group(1).upper()
    return block


def verify_letter(instance: Instance, answer: Any) -> Verdict:
    """The chosen option letter (or an answer equal to exactly one option's text) equals the target's letter."""
    if not isinstance(answer, str) or not answer:
        return Verdict.wrong("no answer")
    want = instance.data["target"].strip().strip("()")
    got = answer
    if len(got) != 1:
        norm = " ".join(got.lower().split()).rstrip(".")
        hits = [k for k, v in options(instance.data["input"]).items() if " ".join(v.lower().split()) == norm]
        if len(hits) != 1:
            return Verdict.wrong(f"{answer!r} is not an option letter")
        got = hits[0]
    return Verdict.ok() if got == want else Verdict.wrong(f"chose ({got}), expected ({want})")


def parse_yes_no(text: str) -> str | None:
    """`Yes`, `"yes."`, `True` -> `Yes`; `No`, `false` -> `No`; any other block is kept as is (and fails)."""
    block = last_answer(text)
    if block is None:
        return None
    word = re.split(r"[\s.,;:!)\]]", _clean(block).lstrip("([").lower(), maxsplit=1)[0]
    if word in ("yes", "true"):
        return "Yes"
    if word in ("no", "false"):
        return "No"
    return _clean(block)


def verify_yes_no(instance: Instance, answer: Any) -> Verdict:
    want = instance.data["target"].strip()
    if answer not in ("Yes", "No"):
        return Verdict.wrong(f"{answer!r} is not Yes or No")
    return Verdict.ok() if answer == want else Verdict.wrong(f"answered {answer}, expected {want}")


LETTER_FORMAT = "Choose one option and answer with its letter in the form <<<(A)>>>."
YES_NO_FORMAT = "Answer with Yes or No in the form <<<Yes>>> or <<<No>>>."


class BBHTask(Task):
    """A BBH task: the `input` field plus our answer-format line; the gold answer is the stored `target`."""

    seen = True
    external = True
    instruction = LETTER_FORMAT

    def load(self, data_dir: Path) -> list[Instance]:
        return load_bbh(self, data_dir, self.instruction)

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: a GPT-4o judge; offline, the closest reproduction is the same deterministic compare."""
        return self.verify(instance, answer)

    def gold_answer(self, instance: Instance) -> str:
        return f"<<<{instance.data['target']}>>>"


class BBHChoice(BBHTask):
    """Multiple choice: the answer is an option letter (or an option's text, mapped to its letter)."""

    def parse(self, text: str) -> Any | None:
        return parse_letter(text)

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        return verify_letter(instance, answer)


class BBHYesNo(BBHTask):
    """Yes/No questions (True/False accepted as synonyms)."""

    instruction = YES_NO_FORMAT

    def parse(self, text: str) -> Any | None:
        return parse_yes_no(text)

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        return verify_yes_no(instance, answer)
