"""What a wording is, and the registry of template families that `phrase` and `negatives` draw from.

Question tables (`_arithmetic`, `_number_theory`, `_bitwise`, `_heldout`). Slots: {x} and {y} are the operands
(a second {x} in one template is tagged "other", so each role has exactly one span), {m} is the modulus
10**(c+1) of multiplication and lcm. Groups:

- np: a noun phrase, put into a random opener ("What is {np}?", "Compute {np}.", ...)
- ask: a whole question or instruction
- terse: a bare expression, no frame
- word: a short word problem
- chat: a casual lower-case turn, with random chatty prefixes/suffixes

`TRAIN_FORMS` are the training families, `HELDOUT_FORMS` (~20%) only appear with split="heldout"; the held-out
ones bring operation names, symbols or stories that no training family uses. Family ids are stable:
``"<type>/<group>-<i>"`` (train), ``"<type>/<group>-h<i>"`` (held out), ``"neg/<topic>-<i>"`` (negatives).
"""

from __future__ import annotations

from dataclasses import dataclass

from nsllm_cli.ns.problems import PROBLEM_TYPES, TEMPLATES
from nsllm_cli.ns.wordings._arithmetic import ARITHMETIC_FORMS
from nsllm_cli.ns.wordings._bitwise import BITWISE_FORMS
from nsllm_cli.ns.wordings._frames import GROUP_KIND
from nsllm_cli.ns.wordings._heldout import HELDOUT_FORMS
from nsllm_cli.ns.wordings._negative_forms import NEGATIVE_FORMS, NEGATIVE_HELDOUT_TOPICS
from nsllm_cli.ns.wordings._number_theory import NUMBER_THEORY_FORMS

WORDING_SPLITS: tuple[str, ...] = ("train", "heldout")
NEGATIVE = "neg"  # the pseudo problem type whose families `families(NEGATIVE, split)` lists
KINDS: tuple[str, ...] = (
    "question", "terse", "word-problem", "chat", "negative-text", "negative-numeric", "negative-math",
)  # fmt: skip
QUESTION_KINDS: frozenset[str] = frozenset({"question", "terse", "word-problem", "chat"})
TRAIN_FORMS: dict[str, dict[str, tuple[str, ...]]] = {**ARITHMETIC_FORMS, **NUMBER_THEORY_FORMS, **BITWISE_FORMS}


@dataclass(frozen=True)
class Wording:
    """A prompt text and where every number in it sits."""

    text: str
    problem_type: str | None  # None for a negative (not one of the 10 operations)
    x: int | None
    y: int | None
    spans: tuple[tuple[int, int, str], ...]  # (start, end, role) of every digit run; role "x", "y" or "other"
    family: str  # template family id, e.g. "gcd/word-3" or "neg/date-2"; stable across runs
    kind: str  # one of KINDS


@dataclass(frozen=True)
class Family:
    """One template and where it belongs."""

    id: str
    problem_type: str  # NEGATIVE for the negatives
    group: str  # np/ask/terse/word/chat/paper for questions, the topic for negatives
    kind: str
    template: str
    heldout: bool


def _build_registry() -> dict[str, Family]:
    out: dict[str, Family] = {}
    for t in PROBLEM_TYPES:
        paper = TEMPLATES[t][0]
        out[f"{t}/paper-0"] = Family(f"{t}/paper-0", t, "paper", "question", paper, False)
        for table, heldout in ((TRAIN_FORMS, False), (HELDOUT_FORMS, True)):
            for group, templates in table[t].items():
                for i, template in enumerate(templates):
                    fid = f"{t}/{group}-{'h' if heldout else ''}{i}"
                    out[fid] = Family(fid, t, group, GROUP_KIND[group], template, heldout)
    for kind, topics in NEGATIVE_FORMS.items():
        for topic, templates in topics.items():
            for i, template in enumerate(templates):
                fid = f"{NEGATIVE}/{topic}-{i}"
                out[fid] = Family(fid, NEGATIVE, topic, kind, template, topic in NEGATIVE_HELDOUT_TOPICS)
    return out


FAMILIES: dict[str, Family] = _build_registry()
BY_SPLIT: dict[tuple[str, str], tuple[Family, ...]] = {
    (t, split): tuple(f for f in FAMILIES.values() if f.problem_type == t and f.heldout == (split == "heldout"))
    for t in (*PROBLEM_TYPES, NEGATIVE)
    for split in WORDING_SPLITS
}
NEG_BY_KIND: dict[tuple[str, str], tuple[Family, ...]] = {
    (kind, split): tuple(f for f in BY_SPLIT[NEGATIVE, split] if f.kind == kind)
    for kind in NEGATIVE_FORMS
    for split in WORDING_SPLITS
}


def check_split(split: str) -> None:
    """Raise ValueError unless `split` is one of `WORDING_SPLITS`."""
    if split not in WORDING_SPLITS:
        raise ValueError(f"split must be one of {', '.join(WORDING_SPLITS)}, got {split!r}")
