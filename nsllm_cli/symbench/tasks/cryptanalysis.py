"""U4 Cryptanalysis: deduce a lock of 2 digits and 2 letters (no repeats) from Mastermind-style guess feedback.

Spec row U4. Original: `response == ''.join(answer)`, so the extractor had to return a bare string although the
question asks for a JSON list. Fix: normalise the list (quotes, brackets, commas, case) and accept any code that is
well-formed and consistent with every clue; the clue wording is reproduced exactly by `feedback` (checked on the
stored data), so consistency is decided by regenerating each clue.
"""

from __future__ import annotations

import random
import re
import string
from itertools import permutations
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

_CLUE = re.compile(r"Guess: (\w+), Feedback: (.*?)\.?$", re.M)
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_DIGIT_PAIRS = [list(p) for p in permutations(string.digits, 2)]
_LETTER_PAIRS = [list(p) for p in permutations(string.ascii_uppercase, 2)]


def _status(value: str, pos: int, answer: list[str], large: str, small: str) -> str:
    if value == answer[pos]:
        return "pos"
    if value in answer:
        return "wrong"
    if all(value > a for a in answer):
        return large
    if all(value < a for a in answer):
        return small
    return "incorrect"


def _group(guess: list[str], answer: list[str], noun: str, large: str, small: str) -> str:
    st = [_status(g, k, answer, large, small) for k, g in enumerate(guess)]
    right = [s for s in st if s in ("pos", "wrong")]
    wrong = [s for s in st if s not in ("pos", "wrong")]
    if len(right) == 2:
        if st[0] == st[1] == "pos":
            return f"both {noun}s are correct and in the correct positions"
        return f"both {noun}s are correct but in the wrong positions"
    if len(wrong) == 2:
        if wrong[0] == wrong[1] != "incorrect":
            return f"both {noun}s are incorrect and {wrong[0]}"
        return f"both {noun}s are incorrect"
    where = "correct and in the correct position" if right[0] == "pos" else "correct but in the wrong position"
    return f"one {noun} is {where}; one {noun} is incorrect and {wrong[0]}"


def feedback(guess: str, answer: list[str]) -> str:
    """The original's clue text for a 4-character guess against the code (digits compare as numbers 0-9)."""
    g = list(guess)
    numbers = _group(g[:2], answer[:2], "number", "too large", "too small")
    letters = _group(g[2:], answer[2:], "letter", "too late in the alphabet", "too early in the alphabet")
    return f"{numbers}; {letters}"


def clues(question: str) -> list[tuple[str, str]]:
    """(guess, feedback) pairs of a question."""
    return [(g, f.strip()) for g, f in _CLUE.findall(question)]


def malformed(code: list[str]) -> str:
    """Why a code is not 2 distinct digits followed by 2 distinct capital letters ("" when it is)."""
    if len(code) != 4:
        return f"{len(code)} symbols, expected 4"
    if not all(len(ch) == 1 and ch in string.digits for ch in code[:2]) or code[0] == code[1]:
        return "the first two symbols must be two different digits"
    if not all(len(ch) == 1 and ch in string.ascii_uppercase for ch in code[2:]) or code[2] == code[3]:
        return "the last two symbols must be two different letters"
    return ""


def _random_guess(rng: random.Random) -> str:
    return "".join(rng.sample(string.digits, 2) + rng.sample(string.ascii_uppercase, 2))


@register
class Cryptanalysis(Task):
    name = "cryptanalysis"
    title = "Cryptanalysis"
    code = "U4"
    seen = False
    folder = "cryptanalysis"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            answer = inst.data.get("answer")
            if not isinstance(answer, list) or malformed([str(a) for a in answer]) or not clues(inst.question):
                raise DataError(f"{inst.source}: malformed cryptanalysis sample (answer {answer!r})")

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """At least 2 + 2 * complexity guesses, then more until exactly one code fits (digits and letters are
        deduced independently, so the candidate sets stay small)."""
        rng = random.Random(seed)
        out = []
        for i in range(n):
            answer = rng.sample(string.digits, 2) + rng.sample(string.ascii_uppercase, 2)
            digits, letters = list(_DIGIT_PAIRS), list(_LETTER_PAIRS)
            guesses: list[tuple[str, str]] = []
            while len(guesses) < 2 + 2 * max(complexity, 1) or len(digits) > 1 or len(letters) > 1:
                guess = _random_guess(rng)
                if any(guess == g for g, _ in guesses) or guess == "".join(answer):
                    continue
                text = feedback(guess, answer)
                guesses.append((guess, text))
                digits = [d for d in digits if feedback(guess, d + answer[2:]) == text]
                letters = [a for a in letters if feedback(guess, answer[:2] + a) == text]
            lines = "\n".join(f"{k + 1}. Guess: {g}, Feedback: {f}." for k, (g, f) in enumerate(guesses))
            question = (
                "A combination lock has a code of two digits followed by two capital letters; neither the digits nor "
                f"the letters repeat. Deduce the code from these {len(guesses)} guesses and their feedback ('too "
                "large' / 'too early in the alphabet' and the like mean larger / earlier than every symbol of that "
                f"kind in the code):\n{lines}\n"
                'Answer with the code as a list, digits first, in the format <<<["X", "Y", "Z", "W"]>>>.'
            )
            out.append(Instance.generated(self.name, seed, i, question, {"answer": answer}, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        """Four upper-cased symbols from the last block: a list `["5", "3", "F", "A"]` or a bare `53FA`."""
        block = last_answer(text)
        if block is None:
            return None
        tokens = _TOKEN.findall(block.upper())
        if len(tokens) == 1:
            return list(tokens[0])
        return tokens

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, list):
            return Verdict.wrong("no answer list")
        code = [str(a) for a in answer]
        why = malformed(code)
        if why:
            return Verdict.wrong(why)
        for guess, text in clues(instance.question):
            if feedback(guess, code) != text:
                return Verdict.wrong(f"inconsistent with guess {guess}")
        return Verdict.ok()

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: the response string must equal `''.join(answer)` (the stored code only)."""
        if not isinstance(answer, list):
            return Verdict.wrong("no answer list")
        got, want = "".join(str(a) for a in answer), "".join(instance.data["answer"])
        return Verdict.ok() if got == want else Verdict.wrong(f"{got} != {want}")

    def gold_answer(self, instance: Instance) -> str:
        return "<<<[" + ", ".join(f'"{a}"' for a in instance.data["answer"]) + "]>>>"
