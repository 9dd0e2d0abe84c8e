"""Scene pairs: a trained word problem's scene with its question swapped for one no trained operation answers.

"12 sweets are shared among 5 children equally; how many are left over?" is modulo because of its question, not of
its scene: "A class of 30 pupils is split into teams of 4. How many complete teams?" shares the scene's words and
asks for a division, which nsllm never trains. A type read that learnt scenes opens its gate there with a
confident wrong number. Here each trained word problem's scene (its sentences up to the first question, when
they hold both operands) is asked other questions (the larger number, the difference, a story...) as negatives,
so only the question can make the read a trained type.

Addition and division scenes are never used: they are the unseen test types.
"""

from __future__ import annotations

import re

SCENE_QUESTIONS: tuple[str, ...] = (
    "Which of the two numbers is larger?",
    "What is the difference between the two numbers?",
    "Is this a realistic situation?",
    "Write a short story about it.",
    "How many digits does the larger number have?",
    "What is the average of the two numbers?",
    "Is the first number even or odd?",
    "Round both numbers to the closest hundred.",
    "How would you explain this to a child?",
    "What is the first number squared?",
)
_SENTENCE = re.compile(r"(?<=[.;!?])\s+")


def scene(template: str) -> str | None:
    """The template's sentences before its first question, if they hold both operands ({x} and {y}) and no
    question; else None (the question itself names an operand, so no scene can be split off)."""
    kept: list[str] = []
    for sentence in _SENTENCE.split(template.strip()):
        if "?" in sentence:
            break
        kept.append(sentence)
    text = " ".join(kept)
    if not text or "{x}" not in text or "{y}" not in text or len(kept) == len(_SENTENCE.split(template.strip())):
        return None
    if text.endswith(";"):
        text = text[:-1] + "."
    return text


def as_negative(template: str) -> str:
    """A question template's operand and modulus slots as the plain number slots of a negative ({num}, {num2},
    {num3}): its numbers are no one's operands."""
    return template.replace("{x}", "{num}").replace("{y}", "{num2}").replace("{m}", "{num3}")


def scene_pairs(word_templates: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Negative templates (slots {num}, {num2}; a modulus becomes {num3}): every scene of `word_templates` (per
    trained type, its word problems) with every question of `SCENE_QUESTIONS`."""
    out: list[str] = []
    for templates in word_templates.values():
        for template in templates:
            text = scene(template)
            if text is None:
                continue
            out += [f"{as_negative(text)} {q}" for q in SCENE_QUESTIONS]
    return tuple(dict.fromkeys(out))
