"""The frames around a template: openers for noun phrases, politeness prefixes and suffixes, chatty ones, and
the prefixes and suffixes of negatives. `GROUP_KIND` maps a question group to its `Wording.kind`.
"""

from __future__ import annotations

GROUP_KIND: dict[str, str] = {
    "paper": "question", "np": "question", "ask": "question", "terse": "terse", "word": "word-problem",
    "story": "word-problem", "chat": "chat",
}  # fmt: skip

OPENERS: tuple[str, ...] = (
    "What is {np}?", "What's {np}?", "Compute {np}.", "Calculate {np}.", "Find {np}.", "Tell me {np}.",
    "Can you work out {np}?", "Please evaluate {np}.", "Quick question: what is {np}?", "Could you tell me {np}?",
    "Determine {np}.", "Work out {np}, please.", "I need {np}.", "Give me {np}.", "Do you know {np}?",
    "Evaluate {np}.", "Help me find {np}.", "Please compute {np}.", "I'd like to know {np}.",
)  # fmt: skip
PREFIXES: tuple[str, ...] = (
    "Hi!", "Hello.", "Hey there!", "Good morning.", "Sorry to bother you.", "I have a question.", "One more:",
    "Next one.", "Q{n}.", "Problem {n}:", "Question {n}:", "Exercise {n}.",
)  # fmt: skip
SUFFIXES: tuple[str, ...] = (
    "Answer with a number only.", "Thanks!", "Thank you.", "Just the number, please.", "Reply with the integer only.",
    "No explanation needed.", "Please be quick.", "Give only the final answer.",
)  # fmt: skip
CHAT_PREFIXES: tuple[str, ...] = ("hey ", "hi, ", "yo ", "ok so ", "hmm ", "quick one: ", "sorry, ", "lol ")
CHAT_SUFFIXES: tuple[str, ...] = (" thx", " thanks!", " pls", " :)", " ty", "?")
NEG_PREFIXES: tuple[str, ...] = (
    "Hi!", "Hello.", "Hey there!", "Good morning.", "Sorry to bother you.", "I have a question.", "Quick question:",
)  # fmt: skip
NEG_SUFFIXES: tuple[str, ...] = ("Thanks!", "Thank you.", "Please be brief.", "Keep it short.", "No rush.")
MATH_PREFIXES: tuple[str, ...] = ("Q{n}.", "Problem {n}:", "Question {n}:", "Exercise {n}.")
MATH_SUFFIXES: tuple[str, ...] = (
    "Answer with a number only.",
    "Just the number, please.",
    "Give only the final answer.",
)
CONTEXT_PREFIXES: tuple[str, ...] = (
    "In {year} I learned this in school.", "I have {count} questions left on my worksheet.",
    "Homework {n}, due {month} {day}:", "It's {hour}:{minute} and I'm still studying.",
    "My little brother, who is {age}, asked me this.", "Page {pages} of my textbook asks:",
    "Exercise {n} of chapter {chapter}:", "I'm checking my homework.", "My calculator died.",
    "For a puzzle I'm writing:", "Settle a bet for me.", "Back in {year} my teacher asked us this one.",
    "We are {count} friends stuck on this.", "Round {n} of our quiz night.",
)  # fmt: skip
"""Context sentences, some with distractor numbers (years, counts, labels: role "other"), put before a training
question so that the reader learns to find the operands among other numbers and sentences."""
