"""S25 String Deletion and Modification: apply 6 of 20 rewrite rules until none applies; give the final string.

Each step applies the first rule (in the listed order) that applies; this reproduces every stored
`intermediate_states`. Fix over the original: its exact compare failed on quoted or padded answers; nsllm strips
quotes and whitespace before comparing.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

Rule = Callable[[str], str | None]


def _contains(pat: str, rep: str) -> Rule:
    def rule(s: str) -> str | None:
        i = s.find(pat)
        return None if i < 0 else s[:i] + rep + s[i + len(pat) :]

    return rule


def _suffix(pat: str, make: Callable[[str], str]) -> Rule:
    return lambda s: make(s[: -len(pat)]) if s.endswith(pat) else None


def _prefix(pat: str, make: Callable[[str], str]) -> Rule:
    return lambda s: make(s[len(pat) :]) if s.startswith(pat) else None


def _even_b(s: str) -> str | None:
    n = s.count("b")
    return s + "ab" if n > 0 and n % 2 == 0 else None


def _middle(s: str) -> str | None:
    return s[: len(s) // 2] + s[len(s) // 2 + 1 :] if len(s) > 15 else None


def _ca_after_start(s: str) -> str | None:
    i = s.find("ca", 1)
    return None if i < 0 else s[:i] + s[i + 2 :]


RULES: dict[str, Rule] = {
    "If the string prefix is 'ab', replace it with 'ca'.": _prefix("ab", lambda r: "ca" + r),
    "If the string suffix is 'ac', replace it with 'cb'.": _suffix("ac", lambda r: r + "cb"),
    "If the string starts with 'bb', remove the second character.": _prefix("bb", lambda r: "b" + r),
    "If the string ends with 'aa', replace it with 'cc'.": _suffix("aa", lambda r: r + "cc"),
    "If the string contains 'acb', replace the first occurrence with its reverse ('bca').": _contains("acb", "bca"),
    "If the string starts with 'ac', replace the first two characters with 'zz'.": _prefix("ac", lambda r: "zz" + r),
    "If the string ends with 'ba', replace it with 'ab'.": _suffix("ba", lambda r: r + "ab"),
    "If the string starts with 'cc', remove the first two characters.": _prefix("cc", lambda r: r),
    "If the string contains 'abc', replace the first occurrence with 'cab'.": _contains("abc", "cab"),
    "If the string ends with 'ca', remove the last character.": _suffix("ca", lambda r: r + "c"),
    "If the string contains 'bca', delete the first occurrence entirely.": _contains("bca", ""),
    "If the string prefix is 'aa', remove the first character.": _prefix("aa", lambda r: "a" + r),
    "If the string suffix is 'bb', delete the last two characters.": _suffix("bb", lambda r: r),
    "If the string prefix is 'bc', delete the first two characters and append 'aa' to the end.": _prefix(
        "bc", lambda r: r + "aa"
    ),
    "If the string suffix is 'cc', replace it with 'b' and prepend 'a' to the start.": _suffix(
        "cc", lambda r: "a" + r + "b"
    ),
    "If the string prefix is 'ca', replace it with 'bb' and append 'c' to the end.": _prefix(
        "ca", lambda r: "bb" + r + "c"
    ),
    "If the string prefix is 'cb', replace it with 'aa' and delete the last character.": _prefix(
        "cb", lambda r: ("aa" + r)[:-1]
    ),
    "If the string contains 'ca' (not at the start), remove the first occurrence found after the first character.": (
        _ca_after_start
    ),
    "If the string length is greater than 15, remove the middle character.": _middle,
    "If the string contains an even number of 'b's (and at least one 'b'), append 'ab' at the end.": _even_b,
}
MAX_STEPS = 1000


def run_rules(initial: str, rules: list[str]) -> list[str] | None:
    """Every state from `initial` to the fixed point; None if the rules loop (a state repeats) or run too long."""
    funcs = [RULES[r] for r in rules]
    states, seen = [initial], {initial}
    s = initial
    for _ in range(MAX_STEPS):
        for f in funcs:
            new = f(s)
            if new is not None:
                s = new
                break
        else:
            return states
        if s in seen:
            return None
        seen.add(s)
        states.append(s)
    return None


def _normalise(block: str) -> str:
    return re.sub(r"[\s'\"`]", "", block)


@register
class StringDeletionAndModification(Task):
    name = "string_deletion_and_modification"
    title = "String Deletion and Modification"
    code = "S25"
    seen = True
    folder = "string_deletion_and_modification"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            rules = inst.data.get("selected_rules")
            if not isinstance(inst.data.get("final_string"), str) or not isinstance(rules, list):
                raise DataError(f"{inst.source}/solution.json: needs final_string and selected_rules")
            unknown = [r for r in rules if r not in RULES]
            if unknown:
                raise DataError(f"{inst.source}/solution.json: unknown rule {unknown[0]!r}")

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Strings of length 8 + 3c over {a, b, c}; 6 random rules; kept if >= 2 + c operations apply (and halt)."""
        rng = random.Random(seed)
        length, min_ops = 8 + 3 * complexity, 2 + complexity
        names = list(RULES)
        out = []
        for i in range(n):
            while True:
                initial = "".join(rng.choice("abc") for _ in range(length))
                rules = rng.sample(names, 6)
                states = run_rules(initial, rules)
                if states is not None and len(states) - 1 >= min_ops:
                    break
            listed = "\n".join(f"{k}. {r}" for k, r in enumerate(rules, 1))
            question = (
                "Apply the following operations to a string. At each step, perform the first operation in the list "
                "that applies, then start again from operation 1; stop when no operation applies.\n"
                f'{listed}\n\nWhat is the final string when starting from "{initial}"?\n'
                'Answer with the final string, e.g. <<<"abc">>>.'
            )
            data = {"initial_string": initial, "selected_rules": rules, "intermediate_states": states,
                    "final_string": states[-1], "complexity": complexity}  # fmt: skip
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        return None if block is None else _normalise(block)

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, str):
            return Verdict.wrong("no answer string")
        expected = instance.data["final_string"]
        return Verdict.ok() if answer == expected else Verdict.wrong(f"{answer!r} != {expected!r}")

    def gold_answer(self, instance: Instance) -> str:
        return f'<<< "{instance.data["final_string"]}" >>>'
