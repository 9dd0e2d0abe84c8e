"""Varied wordings of the 10 problem types, and prompts that are *not* one of them, with every number located.

The reader decodes x, y and the problem type from hidden states at every token position, so it must not
learn the one paper wording by heart. This module composes many surface forms per type (question openers,
operation names, symbols, terse forms, word problems, chatty turns) and records where each run of digits
sits and what it is ("x", "y" or "other", e.g. the modulus 1000 or a "Q7." label), so per-token targets
can be built from the text alone. A deterministic part of the template families is held out
(`split="heldout"`) to measure generalisation to wordings never trained on; it holds out whole operation
phrasings and word problems, not just openers. `negatives` gives prompts the reader must reject: plain
text, text with numbers in it, and arithmetic that is none of the 10 types (subtraction, powers, ...).

Families are stable ids such as ``"gcd/np-3"`` (train), ``"gcd/word-h0"`` (held out) or ``"neg/date-1"``;
``"<type>/paper-0"`` is the original wording ``TEMPLATES[type][0]`` and is always a training family.

Example:
    >>> rng = np.random.default_rng(0)
    >>> w = phrase(make_problem("gcd", 120, 84), rng)
    >>> [w.text[a:b] for a, b, role in w.spans if role in ("x", "y")]   # e.g. ['120', '84']
    >>> [n.text for n in negatives(2, rng)]                             # e.g. ['Is 97 prime?', 'Name three birds.']
"""

from nsllm_cli.ns.wordings._phrase import families, heldout_family, negatives, phrase
from nsllm_cli.ns.wordings._registry import KINDS, NEGATIVE, QUESTION_KINDS, WORDING_SPLITS, Wording

__all__ = [
    "KINDS",
    "NEGATIVE",
    "QUESTION_KINDS",
    "WORDING_SPLITS",
    "Wording",
    "families",
    "heldout_family",
    "negatives",
    "phrase",
]
