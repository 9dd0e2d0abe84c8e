"""What a wording is, and the registry of template families that `phrase` and `negatives` draw from.

Question tables (`_arithmetic`, `_number_theory`, `_bitwise`, `_minimal`). Slots: {x} and {y} are the operands
(a second {x} in one template is tagged "other", so each role has exactly one span), {m} is the modulus
10**(c+1) of multiplication and lcm. Groups:

- np: a noun phrase, put into a random opener ("What is {np}?", "Compute {np}.", ...)
- ask: a whole question or instruction
- terse: a bare expression, no frame
- word: a short word problem
- chat: a casual lower-case turn, with random chatty prefixes/suffixes
- story: a word problem composed from a plot's scene and question (`_stories`)
- pair: a shared frame with the type's operation word or verb (`_minimal`: the same frames carry untrained
  operations as negatives)

Negatives also include the trained word problems' scenes asked questions no trained operation answers
(`_scenes`), and the story plots' scenes asked their near-miss questions (`_stories`).

The training families are built here. The held-out families live in `nsllm_cli.ns.heldout_wordings`, which is
imported only when a held-out wording is asked for (`split="heldout"`): code that builds training data never
loads it. Family ids are stable: ``"<type>/<group>-<i>"`` (train), ``"<type>/<group>-h<i>"`` (held out),
``"neg/<topic>-<i>"`` and ``"neg/<topic>-h<i>"`` (negatives).
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import Any

from nsllm_cli.ns.problems import ALL_TYPES, TEMPLATES, TRAIN_TYPES
from nsllm_cli.ns.wordings._arithmetic import ARITHMETIC_FORMS
from nsllm_cli.ns.wordings._bitwise import BITWISE_FORMS
from nsllm_cli.ns.wordings._frames import GROUP_KIND
from nsllm_cli.ns.wordings._minimal import trained_pairs, unknown_pairs, untrained_pairs
from nsllm_cli.ns.wordings._negative_forms import NEGATIVE_FORMS
from nsllm_cli.ns.wordings._number_theory import NUMBER_THEORY_FORMS
from nsllm_cli.ns.wordings._scenes import scene_pairs
from nsllm_cli.ns.wordings._stories import near_misses, story_forms

WORDING_SPLITS: tuple[str, ...] = ("train", "heldout")
NEGATIVE = "neg"  # the pseudo problem type whose families `families(NEGATIVE, split)` lists
KINDS: tuple[str, ...] = (
    "question", "terse", "word-problem", "chat", "negative-text", "negative-numeric", "negative-math",
)  # fmt: skip
QUESTION_KINDS: frozenset[str] = frozenset({"question", "terse", "word-problem", "chat"})
TRAIN_FORMS: dict[str, dict[str, tuple[str, ...]]] = {**ARITHMETIC_FORMS, **NUMBER_THEORY_FORMS, **BITWISE_FORMS}
HELDOUT_MODULE = "nsllm_cli.ns.heldout_wordings"
PAIR_TOPIC = "pair"
UNKNOWN_TOPIC = "unknown-op"
SCENE_TOPIC = "scene"
NEAR_TOPIC = "near-miss"
STORY_GROUP = "story"


@dataclass(frozen=True)
class Wording:
    """A prompt text and where every number in it sits."""

    text: str
    problem_type: str | None  # None for a negative (not one of the 10 operations)
    x: int | None
    y: int | None
    spans: tuple[tuple[int, int, str], ...]  # (start, end, role) of every digit run: "x", "y", "m" (modulus), "other"
    family: str  # template family id, e.g. "gcd/word-3" or "neg/date-2"; stable across runs
    kind: str  # one of KINDS


@dataclass(frozen=True)
class Family:
    """One template and where it belongs."""

    id: str
    problem_type: str  # NEGATIVE for the negatives
    group: str  # np/ask/terse/word/chat/paper/pair for questions, the topic for negatives
    kind: str
    template: str
    heldout: bool


def _question_families(forms: dict[str, dict[str, tuple[str, ...]]], *, heldout: bool) -> list[Family]:
    out = []
    for t in ALL_TYPES:
        for group, templates in forms.get(t, {}).items():
            for i, template in enumerate(templates):
                fid = f"{t}/{group}-{'h' if heldout else ''}{i}"
                out.append(Family(fid, t, group, GROUP_KIND[group], template, heldout))
    return out


def _negative_families(forms: dict[str, dict[str, tuple[str, ...]]], *, heldout: bool) -> list[Family]:
    out = []
    for kind, topics in forms.items():
        for topic, templates in topics.items():
            for i, template in enumerate(templates):
                fid = f"{NEGATIVE}/{topic}-{'h' if heldout else ''}{i}"
                out.append(Family(fid, NEGATIVE, topic, kind, template, heldout))
    return out


def _train_registry() -> dict[str, Family]:
    out: dict[str, Family] = {}
    for t in ALL_TYPES:
        out[f"{t}/paper-0"] = Family(f"{t}/paper-0", t, "paper", "question", TEMPLATES[t][0], False)
    pairs = trained_pairs()
    for f in _question_families(TRAIN_FORMS, heldout=False):
        out[f.id] = f
    for t, templates in pairs.items():
        for i, template in enumerate(templates):
            out[f"{t}/pair-{i}"] = Family(f"{t}/pair-{i}", t, "pair", "question", template, False)
    stories = story_forms()
    for t, templates in stories.items():
        for i, template in enumerate(templates):
            fid = f"{t}/{STORY_GROUP}-{i}"
            out[fid] = Family(fid, t, STORY_GROUP, GROUP_KIND[STORY_GROUP], template, False)
    for f in _negative_families(NEGATIVE_FORMS, heldout=False):
        out[f.id] = f
    for i, template in enumerate(untrained_pairs()):
        fid = f"{NEGATIVE}/{PAIR_TOPIC}-{i}"
        out[fid] = Family(fid, NEGATIVE, PAIR_TOPIC, "negative-math", template, False)
    for i, template in enumerate(unknown_pairs()):
        fid = f"{NEGATIVE}/{UNKNOWN_TOPIC}-{i}"
        out[fid] = Family(fid, NEGATIVE, UNKNOWN_TOPIC, "negative-math", template, False)
    for i, template in enumerate(
        scene_pairs({t: TRAIN_FORMS[t].get("word", ()) + stories.get(t, ()) for t in TRAIN_TYPES})
    ):
        fid = f"{NEGATIVE}/{SCENE_TOPIC}-{i}"
        out[fid] = Family(fid, NEGATIVE, SCENE_TOPIC, "negative-math", template, False)
    for i, template in enumerate(near_misses()):
        fid = f"{NEGATIVE}/{NEAR_TOPIC}-{i}"
        out[fid] = Family(fid, NEGATIVE, NEAR_TOPIC, "negative-math", template, False)
    return out


TRAIN_FAMILIES: dict[str, Family] = _train_registry()


@functools.cache
def heldout_families() -> dict[str, Family]:
    """The held-out families, loaded from their own module on first use (evaluation only)."""
    module: Any = importlib.import_module(HELDOUT_MODULE)
    families = _question_families(module.HELDOUT_FORMS, heldout=True)
    families += _negative_families(module.HELDOUT_NEGATIVE_FORMS, heldout=True)
    return {f.id: f for f in families}


def all_families(split: str) -> dict[str, Family]:
    """The families of one split (loading the held-out module only for `split="heldout"`)."""
    check_split(split)
    return TRAIN_FAMILIES if split == "train" else heldout_families()


@functools.cache
def by_split(problem_type: str, split: str, group: str | None = None) -> tuple[Family, ...]:
    """The families of `problem_type` (or `NEGATIVE`) in `split`; with `group`, that group only."""
    return tuple(
        f
        for f in all_families(split).values()
        if f.problem_type == problem_type and (group is None or f.group == group)
    )


@functools.cache
def negatives_by_kind(kind: str, split: str) -> tuple[Family, ...]:
    """The negative families of one kind in `split`."""
    return tuple(f for f in by_split(NEGATIVE, split) if f.kind == kind)


def check_split(split: str) -> None:
    """Raise ValueError unless `split` is one of `WORDING_SPLITS`."""
    if split not in WORDING_SPLITS:
        raise ValueError(f"split must be one of {', '.join(WORDING_SPLITS)}, got {split!r}")
