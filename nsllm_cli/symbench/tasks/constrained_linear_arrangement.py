"""S21 Constrained Linear Arrangement: infer the opponent's cards from my cards and each round's win/draw/loss.

Three games: five elements (A-E, generation/overcoming cycle), "Stick, Tiger, Chicken, Worm" (A-D) and jungle
chess animals (A-H, larger wins, Mouse H captures Elephant A). Each card is used once.
Original rule: win/loss rounds must equal the reference, draw rounds are checked by the game rule. nsllm (fixed)
checks every round by the rule and that no card is played twice, so any consistent answer passes.

Elements rule as the data follow it: only MY card's relation counts (my card generates theirs: loss; my card
overcomes theirs: win; anything else, e.g. their card generating mine, is a draw). The stored question's wording
("when card 1 generates card 2, the holder of card 1 loses") also admits a symmetric reading, under which 43 of the
150 stored element answers would be wrong (every distinct pair would then be decisive); our generated questions
state the one-sided rule explicitly.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

CARDS = {"elements": "ABCDE", "stick_game": "ABCD", "animal": "ABCDEFGH"}
_INTRO = {
    "elements": (
        "Two players each hold the five element cards Wood (A), Fire (B), Earth (C), Metal (D) and Water (E).\n"
        "Generation: A generates B, B generates C, C generates D, D generates E, E generates A.\n"
        "Overcoming: A overcomes C, C overcomes E, E overcomes B, B overcomes D, D overcomes A.\n"
        "Only my card's relation counts: if my card generates the opponent's card I lose, if my card overcomes the "
        "opponent's card I win, and in every other case (equal cards, or the opponent's card generating or "
        "overcoming mine) the round is a draw."
    ),
    "stick_game": (
        "Two players each hold the cards Stick (A), Tiger (B), Chicken (C) and Worm (D).\n"
        "Stick beats Tiger, Tiger beats Chicken, Chicken beats Worm and Worm beats Stick; equal cards and the "
        "non-adjacent pairs (A-C, B-D) draw."
    ),
    "animal": (
        "Two players each hold eight animals ranked from largest to smallest: Elephant (A), Lion (B), Tiger (C), "
        "Leopard (D), Wolf (E), Dog (F), Cat (G), Mouse (H).\n"
        "The larger animal wins, except that the Mouse beats the Elephant (and the Elephant does not beat the Mouse); "
        "equal animals draw."
    ),
}


def outcome(game: str, mine: str, theirs: str) -> str:
    """ "win", "draw" or "loss" for the player of `mine`."""
    cards = CARDS[game]
    a, b = cards.index(mine), cards.index(theirs)
    if a == b:
        return "draw"
    if game == "elements":
        diff = (b - a) % 5
        return {1: "loss", 2: "win"}.get(diff, "draw")
    if game == "stick_game":
        diff = (b - a) % 4
        return {1: "win", 3: "loss", 2: "draw"}[diff]
    if {a, b} == {0, 7}:
        return "win" if a == 7 else "loss"
    return "win" if a < b else "loss"


def count_solutions(game: str, moves: list[str], results: list[str], limit: int = 2) -> int:
    """How many assignments of distinct opponent cards fit the results, counting no further than `limit`."""
    options = [[o for o in CARDS[game] if outcome(game, m, o) == r] for m, r in zip(moves, results, strict=True)]
    found = 0

    def search(k: int, used: set[str]) -> None:
        nonlocal found
        if found >= limit:
            return
        if k == len(options):
            found += 1
            return
        for o in options[k]:
            if o not in used:
                search(k + 1, used | {o})

    search(0, set())
    return found


@register
class ConstrainedLinearArrangement(Task):
    name = "constrained_linear_arrangement"
    title = "Cons. Linear Arrange."
    code = "S21"
    seen = True
    folder = "constrained_linear_arrangement"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            d = inst.data
            try:
                cards = CARDS[d["game_type"]]
                for x in [*d["player_moves"], *d["solution"]]:
                    if x not in cards:
                        raise ValueError(f"unknown card {x!r}")
                if len(d["player_moves"]) != len(d["results"]) or any(
                    r not in ("win", "draw", "loss") for r in d["results"]
                ):
                    raise ValueError("moves and results disagree")
            except (KeyError, ValueError, TypeError) as exc:
                raise DataError(f"{inst.source}: malformed Constrained Linear Arrangement sample ({exc})") from exc

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Complexity c: c + 2 rounds (capped at the card count); resampled (50 tries) towards a unique answer."""
        rng = random.Random(seed)
        out = []
        for i in range(n):
            game = rng.choice(sorted(CARDS))
            rounds = min(complexity + 2, len(CARDS[game]))
            for _ in range(50):
                moves = rng.sample(CARDS[game], rounds)
                theirs = rng.sample(CARDS[game], rounds)
                results = [outcome(game, m, o) for m, o in zip(moves, theirs, strict=True)]
                if count_solutions(game, moves, results) == 1:
                    break
            lines = "\n".join(f"Round {k + 1}: {m}, {r}." for k, (m, r) in enumerate(zip(moves, results, strict=True)))
            question = (
                f"{_INTRO[game]}\nEach card can be played only once, and both players reveal a card each round.\n\n"
                "From the cards I played and each round's result for me, deduce the card my opponent played in each "
                f"round.\n{lines}\n\nAnswer with the opponent's cards as a list of letters, e.g. <<<A,B,C>>>."
            )
            data = {"game_type": game, "player_moves": moves, "solution": theirs, "results": results,
                    "complexity": complexity}  # fmt: skip
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        if block is None:
            return None
        return re.findall(r"(?<![A-Za-z])[A-Ha-h](?![A-Za-z])", block.upper()) or None

    def _rounds(self, instance: Instance, answer: Any) -> Verdict | None:
        d = instance.data
        if not isinstance(answer, list) or not all(isinstance(x, str) for x in answer):
            return Verdict.wrong("no list of letters")
        if len(answer) != len(d["player_moves"]):
            return Verdict.wrong(f"{len(answer)} cards for {len(d['player_moves'])} rounds")
        if any(x not in CARDS[d["game_type"]] for x in answer):
            return Verdict.wrong("a card that is not in the game")
        return None

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        d = instance.data
        if (early := self._rounds(instance, answer)) is not None:
            return early
        if len(set(answer)) != len(answer):
            return Verdict.wrong("a card is played twice")
        for k, (m, o, r) in enumerate(zip(d["player_moves"], answer, d["results"], strict=True)):
            if outcome(d["game_type"], m, o) != r:
                return Verdict.wrong(f"round {k + 1}: {m} against {o} is not a {r}")
        return Verdict.ok()

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: win/loss rounds must equal the reference card; draw rounds are checked by the rule."""
        d = instance.data
        if (early := self._rounds(instance, answer)) is not None:
            return early
        for k, (m, o, r, ref) in enumerate(zip(d["player_moves"], answer, d["results"], d["solution"], strict=True)):
            if (r == "draw" and outcome(d["game_type"], m, o) != "draw") or (r != "draw" and o != ref):
                return Verdict.wrong(f"round {k + 1} differs")
        return Verdict.ok()

    def gold_answer(self, instance: Instance) -> str:
        return "<<<" + ",".join(instance.data["solution"]) + ">>>"
