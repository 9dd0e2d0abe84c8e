"""U1 Letters: count one letter in a word and list its 1-based positions (`Count: N, Positions: [...]`).

Fixes over the original: its regex compared the count and the position *set*; nsllm compares the count and the
sorted position list (a repeated position is wrong), and accepts `[]` when the letter does not occur.
"""

from __future__ import annotations

import random
import re
import string
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_each, read_json, register

_FOLDER = re.compile(r"Letters_dataset_min_length_(\d+)_max_length_(\d+)")
_SAMPLE = re.compile(r"([a-z])_(\d+)_(\d+)")
_COUNT = re.compile(r"count\s*[:=]?\s*(\d+)", re.I)
_POSITIONS = re.compile(r"positions?\s*[:=]?\s*[\[({]([^\])}]*)[\])}]", re.I)
_LIST = re.compile(r"[\[({]([^\])}]*)[\])}]")

# complexity -> (min length, max length, max frequency): longer words and more occurrences
LEVELS = {1: (5, 10, 2), 2: (10, 20, 3), 3: (20, 30, 5), 4: (50, 100, 12), 5: (150, 200, 25)}


def positions(word: str, letter: str) -> list[int]:
    """1-based positions of `letter` in `word` (case-insensitive)."""
    return [i + 1 for i, ch in enumerate(word.lower()) if ch == letter.lower()]


def question_for(word: str, letter: str) -> str:
    return (
        f"How many '{letter}'s are in the word '{word}' and what are their positions? Positions count from 1. "
        f"Answer in the form <<<Count: N, Positions: [p1, p2, ...]>>>, e.g. <<<Count: 2, Positions: [3, 7]>>>."
    )


def _ints(text: str) -> list[int]:
    return [int(t) for t in re.findall(r"\d+", text)]


@register
class Letters(Task):
    name = "letters"
    title = "Letters"
    code = "U1"
    seen = False
    folder = "Letters"

    def load(self, data_dir: Path) -> list[Instance]:
        """`Letters_dataset_min_length_{a}_max_length_{b}/{letter}_{freq}_{idx}/test_words.json` (one JSON string)."""
        root = data_dir / self.folder
        if not root.is_dir():
            raise DataError(f"{root}: no such folder")
        sets = sorted((p for p in root.iterdir() if p.is_dir() and _FOLDER.fullmatch(p.name)),
                      key=lambda p: tuple(int(x) for x in _FOLDER.fullmatch(p.name).groups()))  # type: ignore[union-attr]  # fmt: skip
        found = []
        for group in sets:
            lo, hi = (int(x) for x in _FOLDER.fullmatch(group.name).groups())  # type: ignore[union-attr]
            samples = []
            for p in group.iterdir():
                m = _SAMPLE.fullmatch(p.name)
                if p.is_dir() and m:
                    samples.append((m.group(1), int(m.group(2)), int(m.group(3)), p))
            for letter, freq, idx, sample in sorted(samples):
                item = {"letter": letter, "frequency": freq, "index": idx, "min_length": lo, "max_length": hi}
                found.append((f"{group.name}/{sample.name}", str(sample), (sample / "test_words.json", item)))

        def fill(inst: Instance, item: tuple[Path, dict[str, Any]]) -> None:
            path, fields = item
            word = read_json(path)
            if not isinstance(word, str) or not word:
                raise DataError(f"{path}: expected one non-empty JSON string")
            inst.question = question_for(word, fields["letter"])
            inst.data = {"word": word, **fields, "positions": positions(word, fields["letter"])}

        return load_each(self, found, fill)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Random lower-case strings of a length band with the letter planted `freq` times (exactly)."""
        rng = random.Random(seed)
        lo, hi, max_freq = LEVELS[max(1, min(complexity, max(LEVELS)))]
        out = []
        for i in range(n):
            length = rng.randint(lo, hi)
            letter = rng.choice(string.ascii_lowercase)
            freq = rng.randint(1, min(max_freq, length))
            others = [c for c in string.ascii_lowercase if c != letter]
            chars = [rng.choice(others) for _ in range(length)]
            for pos in rng.sample(range(length), freq):
                chars[pos] = letter
            word = "".join(chars)
            data = {"word": word, "letter": letter, "frequency": freq, "index": i, "min_length": lo,
                    "max_length": hi, "positions": positions(word, letter), "complexity": complexity}  # fmt: skip
            out.append(Instance.generated(self.name, seed, i, question_for(word, letter), data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        """`{"count": int | None, "positions": [int] | None}`; a bare list counts as the positions."""
        block = last_answer(text)
        if block is None:
            return None
        count = _COUNT.search(block)
        pos = _POSITIONS.search(block) or _LIST.search(block)
        if count is None and pos is None:
            nums = _ints(block)
            return {"count": nums[0], "positions": None} if len(nums) == 1 else None
        return {"count": int(count.group(1)) if count else None, "positions": _ints(pos.group(1)) if pos else None}

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, dict) or answer.get("positions") is None:
            return Verdict.wrong("no position list")
        want = positions(instance.data["word"], instance.data["letter"])
        got = sorted(answer["positions"])
        count = answer.get("count")
        if count is not None and count != len(want):
            return Verdict.wrong(f"count {count}, expected {len(want)}")
        if got != want:
            return Verdict.wrong(f"positions {got}, expected {want}")
        return Verdict.ok()

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: regex `Count: N, Positions: [...]`; count equal and position sets equal; `[]` unparseable."""
        if not isinstance(answer, dict) or answer.get("count") is None or not answer.get("positions"):
            return Verdict.wrong("no Count/Positions match")
        want = positions(instance.data["word"], instance.data["letter"])
        if answer["count"] == len(want) and set(answer["positions"]) == set(want):
            return Verdict.ok()
        return Verdict.wrong("count or position set differs")

    def gold_answer(self, instance: Instance) -> str:
        want = positions(instance.data["word"], instance.data["letter"])
        return f"<<<Count: {len(want)}, Positions: [{', '.join(str(p) for p in want)}]>>>"
