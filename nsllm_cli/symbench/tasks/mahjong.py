"""S17 Mahjong: 13 letter cards; each round adds a card (judged Peng 1 / Chi 2 / Pass 0) and then removes one.

Validation: integer equality with the final round's result, re-simulated from the cards and rounds (the original
compared with the stored value, which is wrong for 12 stored samples; `verify_paper` keeps that). Chi is allowed
when the question's rules mention it (complexity > 2 in the data); Peng takes precedence.
"""

from __future__ import annotations

import random
import re
import string
from collections import Counter
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register


def judge(hand: Counter[str], card: str, chi: bool) -> int:
    """Peng (1) if the hand already holds two of `card`, else Chi (2) if allowed and a run forms, else Pass (0)."""
    if hand[card] >= 2:
        return 1
    if chi:
        k = ord(card)
        for lo in (k - 2, k - 1, k):
            run = [chr(x) for x in range(lo, lo + 3) if x != k]
            if all(hand[x] > 0 for x in run):
                return 2
    return 0


def simulate(initial: str, rounds: list[dict[str, Any]], chi: bool) -> int:
    """The result judged in the final round."""
    hand = Counter(initial)
    result = 0
    for rnd in rounds:
        result = judge(hand, rnd["add"], chi)
        hand[rnd["add"]] += 1
        if rnd.get("remove") and hand[rnd["remove"]] > 0:
            hand[rnd["remove"]] -= 1
    return result


def _chi(instance: Instance) -> bool:
    if "chi" in instance.data:
        return bool(instance.data["chi"])
    return "Chi" in instance.question


@register
class Mahjong(Task):
    name = "mahjong"
    title = "Mahjong"
    code = "S17"
    seen = True
    folder = "mahjong_pattern_dataset"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            try:
                simulate(str(inst.data["initial_cards"]), inst.data["rounds"], _chi(inst))
                int(inst.data["solution"])
            except (KeyError, ValueError, TypeError) as exc:
                raise DataError(f"{inst.source}: malformed Mahjong sample ({exc})") from exc

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Complexity c: c rounds; Chi is allowed when c > 2. Added cards favour the hand so Peng/Chi occur."""
        rng = random.Random(seed)
        out = []
        for i in range(n):
            chi = complexity > 2
            hand = [rng.choice(string.ascii_uppercase) for _ in range(13)]
            initial = "".join(hand)
            rounds = []
            for _ in range(complexity):
                add = rng.choice(hand) if rng.random() < 0.5 else rng.choice(string.ascii_uppercase)
                hand.append(add)
                remove = rng.choice(hand)
                hand.remove(remove)
                rounds.append({"add": add, "remove": remove})
            steps = [
                f"Round {k + 1}: add a {r['add']} card, then remove a {r['remove']} card." for k, r in enumerate(rounds)
            ]
            steps[-1] = f"Round {len(rounds)}: add a {rounds[-1]['add']} card."
            chi_rule = (
                "- If two cards in hand and the new card form three consecutive letters (e.g. ABC), the result is "
                '"Chi" (2). Peng takes precedence over Chi.\n'
                if chi
                else ""
            )
            question = (
                "A letter-card game starts with 13 cards. Each round one card is added and judged, then one card is "
                "removed (the removal does not affect that round's judgement).\n"
                '- If the hand already holds two cards equal to the new card, the result is "Peng" (1).\n'
                f"{chi_rule}"
                '- Otherwise the result is "Pass" (0).\n'
                f"Initial cards: {initial}\n\n" + "\n".join(steps) + "\n\n"
                "What is the result of the final round? Answer in the format <<<x>>> where x is 0 for Pass, 1 for Peng"
                + (", 2 for Chi." if chi else ".")
            )
            data = {"initial_cards": initial, "rounds": rounds, "solution": simulate(initial, rounds, chi),
                    "complexity": complexity}  # fmt: skip
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        if block is None:
            return None
        found = re.findall(r"\d+", block)
        if found:
            return int(found[-1])
        words = {"pass": 0, "peng": 1, "chi": 2}
        named = [words[w] for w in re.findall(r"[a-z]+", block.lower()) if w in words]
        return named[-1] if named else None

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, int):
            return Verdict.wrong("no integer")
        want = simulate(str(instance.data["initial_cards"]), instance.data["rounds"], _chi(instance))
        return Verdict.ok() if answer == want else Verdict.wrong(f"{answer}, expected {want}")

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: `int(ans) == solution` against the stored value (right or wrong, see the known-bad samples)."""
        if not isinstance(answer, int):
            return Verdict.wrong("no integer")
        ok = answer == int(instance.data["solution"])
        return Verdict.ok() if ok else Verdict.wrong("differs from the stored solution")

    def gold_answer(self, instance: Instance) -> str:
        return f"<<<{instance.data['solution']}>>>"
