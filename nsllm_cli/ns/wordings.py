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

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nsllm_cli.ns.problems import PROBLEM_TYPES, TEMPLATES, Problem

WORDING_SPLITS: tuple[str, ...] = ("train", "heldout")
NEGATIVE = "neg"  # the pseudo problem type whose families `families(NEGATIVE, split)` lists
KINDS: tuple[str, ...] = (
    "question", "terse", "word-problem", "chat", "negative-text", "negative-numeric", "negative-math",
)  # fmt: skip
QUESTION_KINDS: frozenset[str] = frozenset({"question", "terse", "word-problem", "chat"})


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


# ---------------------------------------------------------------------------------------------------------
# Question tables. Slots: {x} and {y} are the operands (a second {x} in one template is tagged "other", so
# each role has exactly one span), {m} is the modulus 10**(c+1) of multiplication and lcm. Groups:
#   np    - a noun phrase, put into a random opener ("What is {np}?", "Compute {np}.", ...)
#   ask   - a whole question or instruction
#   terse - a bare expression, no frame
#   word  - a short word problem
#   chat  - a casual lower-case turn, with random chatty prefixes/suffixes
# `_TRAIN_FORMS` are the training families, `_HELDOUT_FORMS` (~20%) only appear with split="heldout"; the
# held-out ones bring operation names, symbols or stories that no training family uses.
# ---------------------------------------------------------------------------------------------------------

_GROUP_KIND: dict[str, str] = {
    "paper": "question", "np": "question", "ask": "question", "terse": "terse", "word": "word-problem", "chat": "chat",
}  # fmt: skip

_TRAIN_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
    "addition": {
        "np": (
            "{x} plus {y}",
            "the sum of {x} and {y}",
            "{x} + {y}",
            "{y} added to {x}",
            "the total of {x} and {y}",
            "{y} plus {x}",
            "{x} increased by {y}",
            "the sum {x} + {y}",
            "{y} more than {x}",
        ),
        "ask": (
            "If you add {x} and {y}, what do you get?",
            "What do {x} and {y} add up to?",
            "Add {y} to {x}. What is the result?",
            "How much is {x} and {y} together?",
        ),
        "terse": ("{x} + {y} = ?", "{x}+{y}=", "add({x}, {y})", "{y} + {x}", "sum({x}, {y})?"),
        "word": (
            "A farmer has {x} apples and buys {y} more. How many apples does he have now?",
            "A library has {x} novels and {y} comics. How many books is that in total?",
            "Tom walked {x} meters in the morning and {y} meters in the evening. How far did he walk altogether?",
            "A school has {x} boys and {y} girls. How many students are there?",
        ),
        "chat": ("whats {x} plus {y}", "{x} + {y} real quick?", "add {x} and {y} for me"),
    },
    "multiplication": {
        "np": (
            "{x} times {y} mod {m}",
            "the product of {x} and {y}, modulo {m}",
            "({x} * {y}) mod {m}",
            "{x} multiplied by {y}, modulo {m}",
            "{x}*{y} mod {m}",
            "the product {x} * {y} reduced modulo {m}",
            "{y} times {x}, taken mod {m}",
            "{x} multiplied by {y} with the result reduced mod {m}",
            "the product of {y} and {x} mod {m}",
        ),
        "ask": (
            "If you multiply {x} by {y}, what do you get modulo {m}?",
            "Multiply {x} and {y}; what is the result mod {m}?",
            "What do you get when {x} is multiplied by {y} and reduced mod {m}?",
            "Compute ({x} * {y}) mod {m}.",
        ),
        "terse": (
            "{x}*{y} mod {m} =",
            "({x} * {y}) % {m}",
            "{x} * {y} mod {m} = ?",
            "mul({x}, {y}) mod {m}",
            "{y} * {x} (mod {m})",
        ),
        "word": (
            "A box holds {x} rows of {y} marbles each. How many marbles are in the box? Give the answer mod {m}.",
            "A shop sells {x} packs with {y} pencils in each pack. What is the total number of pencils, modulo {m}?",
            "A train travels {y} km every hour for {x} hours. How far does it go? Answer mod {m}.",
            "Each of {x} students brings {y} stickers. How many stickers are there in all, taken modulo {m}?",
        ),
        "chat": (
            "whats {x} times {y} mod {m}",
            "{x} times {y}, mod {m} pls",
            "can u multiply {x} by {y} and give it mod {m}",
        ),
    },
    "division": {
        "np": (
            "{x} // {y}",
            "the integer quotient of {x} divided by {y}",
            "floor({x} / {y})",
            "{x} divided by {y}, rounded down",
            "the whole-number part of {x} divided by {y}",
            "{x} integer-divided by {y}",
            "the quotient when {x} is divided by {y}, ignoring the remainder",
            "{x} div {y}",
            "the floor of {x} over {y}",
        ),
        "ask": (
            "If you divide {x} by {y}, what is the whole-number quotient?",
            "Divide {x} by {y} and drop the remainder. What do you get?",
            "How many times does {y} fit completely into {x}?",
            "What is the integer quotient of {x} divided by {y}?",
        ),
        "terse": ("{x} // {y} = ?", "{x}//{y}", "floor({x}/{y}) =", "{x} div {y} = ?", "int({x} / {y})"),
        "word": (
            "{x} eggs are packed into cartons of {y}. How many full cartons are there?",
            "A rope {x} cm long is cut into pieces of {y} cm. How many whole pieces can be cut?",
            "{x} people travel in buses that seat {y} each. How many buses can be filled completely?",
            "You have {x} dollars and tickets cost {y} dollars each. How many tickets can you buy?",
        ),
        "chat": ("whats {x} // {y}", "{x} div {y}, whole number only?", "divide {x} by {y} and round down pls"),
    },
    "modulo": {
        "np": (
            "{x} mod {y}",
            "{x} modulo {y}",
            "the remainder when {x} is divided by {y}",
            "{x} % {y}",
            "the remainder of {x} divided by {y}",
            "the remainder when {y} divides {x}",
            "{x} reduced modulo {y}",
            "the residue of {x} modulo {y}",
            "the amount left over when {x} is divided by {y}",
        ),
        "ask": (
            "When {x} is divided by {y}, what is the remainder?",
            "Divide {x} by {y}. What remains?",
            "If you divide {x} by {y}, how much is left over?",
            "What remains after taking as many {y}s as possible out of {x}?",
        ),
        "terse": ("{x} % {y} = ?", "{x} mod {y} =", "{x}%{y}", "mod({x}, {y})", "{x} (mod {y})?"),
        "word": (
            "{x} sweets are shared among {y} children equally; how many are left over?",
            "A farmer packs {x} eggs into boxes of {y}. How many eggs are left unpacked?",
            "There are {x} students and each bus carries {y}. After filling as many buses as possible, "
            "how many students are left?",
            "{x} cards are dealt evenly to {y} players and the extra cards are set aside. How many are set aside?",
        ),
        "chat": ("whats {x} mod {y}", "{x} % {y}?? quick", "remainder of {x} / {y} pls"),
    },
    "gcd": {
        "np": (
            "the gcd of {y} and {x}",
            "the greatest common divisor of {x} and {y}",
            "gcd({x}, {y})",
            "the largest number that divides both {x} and {y}",
            "the greatest common factor of {y} and {x}",
            "the biggest integer dividing {x} and {y} exactly",
            "the G.C.D. of the numbers {x} and {y}",
            "the largest common divisor shared by {x} and {y}",
            "the GCD of {y} and {x}",
        ),
        "ask": (
            "Which is the largest whole number that divides {x} and {y} without a remainder?",
            "What is the biggest number that goes evenly into both {y} and {x}?",
            "If you divide {x} and {y} by the same number and want no remainder, what is the largest such number?",
            "Find the greatest common divisor of {x} and {y}.",
        ),
        "terse": ("gcd({x},{y})?", "gcd({x}, {y}) = ?", "GCD {x} {y}", "gcd of {x}, {y} =", "GCD({y}, {x})"),
        "word": (
            "A baker has {x} rolls and {y} buns and wants identical boxes with nothing left over. "
            "How many boxes at most?",
            "A gardener plants {x} roses and {y} tulips in rows of equal length, each row holding one kind of "
            "flower only. What is the longest possible row?",
            "Two ribbons are {x} cm and {y} cm long. They must be cut into pieces of equal whole-number length "
            "with no waste. What is the longest piece possible?",
            "A teacher splits {x} boys and {y} girls into teams so that every team has the same number of boys "
            "and the same number of girls. What is the largest number of teams?",
        ),
        "chat": (
            "whats the gcd of {x} and {y}",
            "gcd of {x} n {y}?",
            "need the greatest common divisor for {y} and {x}",
        ),
    },
    "lcm": {
        "np": (
            "the least common multiple of {x} and {y}, modulo {m}",
            "lcm({x}, {y}) mod {m}",
            "the smallest number divisible by both {x} and {y}, taken mod {m}",
            "the lowest common multiple of {y} and {x}, mod {m}",
            "the lcm of {y} and {x} reduced modulo {m}",
            "the LCM of {y} and {x}, mod {m}",
            "the smallest positive common multiple of {x} and {y}, mod {m}",
            "the least common multiple of {y} and {x} modulo {m}",
        ),
        "ask": (
            "Which is the smallest number that both {x} and {y} divide evenly? Give it mod {m}.",
            "What is the first number that is a multiple of both {x} and {y}? Reduce it modulo {m}.",
            "Find the least common multiple of {x} and {y}, then reduce it mod {m}.",
            "What is the least common multiple of {x} and {y}, modulo {m}?",
        ),
        "terse": (
            "lcm({x}, {y}) mod {m} = ?",
            "lcm({x},{y}) % {m}",
            "LCM {x} {y} mod {m}",
            "lcm({y}, {x}) mod {m}",
            "lcm of {x}, {y} (mod {m}) =",
        ),
        "word": (
            "Two buses leave every {x} and {y} minutes from the same stop. After how many minutes do they leave "
            "together again? Give the answer mod {m}.",
            "One light blinks every {x} seconds and another every {y} seconds. They just blinked together. "
            "When do they next blink together? Answer modulo {m}.",
            "Hot dogs come in packs of {x} and buns in packs of {y}. What is the smallest number of each you can "
            "buy to have equal amounts? Give it mod {m}.",
            "Two runners lap a track in {x} and {y} seconds. After how many seconds are they first together at "
            "the start again, modulo {m}?",
        ),
        "chat": (
            "whats the lcm of {x} and {y} mod {m}",
            "lcm {x} {y}, mod {m} pls",
            "least common multiple of {x} n {y} mod {m}?",
        ),
    },
    "square_mod": {
        "np": (
            "{x}^2 mod {y}",
            "the square of {x}, reduced mod {y}",
            "({x}*{x}) % {y}",
            "{x}**2 mod {y}",
            "the remainder when {x} squared is divided by {y}",
            "{x} to the power 2 modulo {y}",
            "{x} times itself, mod {y}",
            "the remainder when {y} divides the square of {x}",
            "{x} squared, taken modulo {y}",
        ),
        "ask": (
            "If you square {x} and divide by {y}, what is the remainder?",
            "Square {x}, then reduce mod {y}. What do you get?",
            "What is {x} squared modulo {y}?",
            "Compute ({x} * {x}) mod {y}.",
        ),
        "terse": ("{x}^2 mod {y} =", "{x}^2 % {y}", "({x}**2) % {y} = ?", "{x}*{x} mod {y} =", "sq({x}) mod {y}"),
        "word": (
            "A square garden is {x} meters on each side. Its area is split into plots of {y} square meters. "
            "How many square meters are left over?",
            "A square floor is {x} tiles long on each side. The tiles come in boxes of {y}. After using only "
            "full boxes, how many tiles are still needed?",
            "Write down the square of {x}. What is its remainder on division by {y}?",
        ),
        "chat": ("{x}^2 mod {y}?", "whats {x} squared mod {y}", "square {x} then mod {y} pls"),
    },
    "bitwise_and": {
        "np": (
            "the bitwise AND of {x} and {y}",
            "{x} & {y}",
            "{x} and {y} combined with bitwise and",
            "the bitwise and of {y} and {x}",
            "{x} bitwise-AND {y}",
            "the binary AND of {x} and {y}",
            "the number whose bits are set in both {x} and {y}",
            "{y} & {x}",
            "the result of ANDing {x} with {y}",
        ),
        "ask": (
            "If you AND {x} and {y} bit by bit, what number do you get?",
            "Which bits are on in both {x} and {y}? Give the resulting number.",
            "Apply a bitwise AND to {x} and {y}. What is the result?",
            "Take {x} and {y} in binary and keep only the 1 bits they share. What number is that?",
        ),
        "terse": ("{x} & {y} = ?", "{x}&{y}", "{x} AND {y} =", "and({x}, {y})", "{y} & {x} ="),
        "word": (
            "Two switch panels have settings {x} and {y}, read as binary numbers. A light is on only where both "
            "panels have a switch on. What number do the lights show?",
            "Feature flags {x} and {y} are stored as bit masks. Which flags are enabled in both, as a number?",
            "The network mask {y} is applied to the address value {x} with a bitwise AND. What is the result?",
        ),
        "chat": ("{x} & {y}?", "whats {x} AND {y} (bitwise)", "bitwise and of {x} n {y} pls"),
    },
    "bitwise_xor": {
        "np": (
            "the bitwise XOR of {x} and {y}",
            "{x} ^ {y}",
            "{x} xor {y}",
            "the exclusive or of {x} and {y}",
            "the bitwise exclusive-or of {y} and {x}",
            "{x} combined with {y} using XOR",
            "the result of XORing {x} with {y}",
            "{y} ^ {x}",
            "the bitwise xor of {y} and {x}",
        ),
        "ask": (
            "If you XOR {x} and {y}, what do you get?",
            "Apply exclusive or to {x} and {y} bit by bit. What is the result?",
            "Which number has a 1 bit exactly where {x} and {y} differ?",
            "What do you get when {x} is XORed with {y}?",
        ),
        "terse": ("{x} ^ {y} = ?", "{x}^{y}", "{x} XOR {y} =", "xor({x}, {y})", "{x} xor {y} = ?"),
        "word": (
            "Two light strips show the binary patterns {x} and {y}. A third strip lights where exactly one of "
            "them is lit. What number does it show?",
            "A message value {x} is encrypted by XOR with the key {y}. What is the encrypted value?",
            "Two players' switch settings are {x} and {y} in binary. A lamp is on where their switches differ. "
            "What number is shown?",
        ),
        "chat": ("{x} xor {y}?", "whats {x} ^ {y} (xor)", "xor {x} with {y} pls"),
    },
    "bitwise_or": {
        "np": (
            "the bitwise OR of {x} and {y}",
            "{x} | {y}",
            "{x} and {y} combined with bitwise or",
            "the bitwise or of {y} and {x}",
            "the binary OR of {x} and {y}",
            "{x} bitwise-OR {y}",
            "the result of ORing {x} with {y}",
            "{y} | {x}",
            "the number with the bits set in either {x} or {y}",
        ),
        "ask": (
            "If you OR {x} and {y} bit by bit, what do you get?",
            "Apply a bitwise OR to {x} and {y}. What is the result?",
            "Which number has every bit that is on in {x} or in {y}?",
            "What do you get when {x} is ORed with {y}?",
        ),
        "terse": ("{x} | {y} = ?", "{x}|{y}", "{x} OR {y} =", "or({x}, {y})", "{y} | {x} ="),
        "word": (
            "Two switch panels have settings {x} and {y} in binary. A light is on where at least one panel has "
            "its switch on. What number do the lights show?",
            "Permissions {x} and {y} are bit masks. Combine them so a permission is granted if either grants it. "
            "What is the combined mask?",
            "Two sensors report the bit patterns {x} and {y}. An alarm bit is raised where either sensor fires. "
            "What number do the alarm bits form?",
        ),
        "chat": ("{x} | {y}?", "whats {x} OR {y} bitwise", "bitwise or of {x} n {y} pls"),
    },
}

_HELDOUT_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
    "addition": {
        "np": ("{x} and {y} added together", "the result of adding {y} to {x}"),
        "ask": ("Put {x} and {y} together; how many is that in total?",),
        "terse": ("total({x}, {y}) =",),
        "word": ("A jar had {x} coins and {y} more were dropped in. How many coins are in the jar now?",),
        "chat": ("sum up {x} and {y} plz",),
    },
    "multiplication": {
        "np": ("the remainder of {x} times {y} after division by {m}", "{x} * {y} % {m}"),
        "ask": ("Multiply {y} by {x}, divide the result by {m}, and tell me what is left over.",),
        "terse": ("prod({x}, {y}) mod {m}",),
        "word": ("A theater has {x} rows with {y} seats per row. Report the seat count reduced modulo {m}.",),
        "chat": ("{y} times {x} but only mod {m}, what do u get",),
    },
    "division": {
        "np": ("the truncated quotient of {x} by {y}",),
        "ask": (
            "How many whole times does {y} go into {x}?",
            "What whole number do you get from {x} over {y} after discarding the fractional part?",
        ),
        "terse": ("{x} intdiv {y} =",),
        "word": ("A baker has {x} grams of flour and each cake needs {y} grams. How many whole cakes can she bake?",),
        "chat": ("{x} / {y} but integer division?",),
    },
    "modulo": {
        "np": ("the leftover after splitting {x} into groups of {y}",),
        "ask": ("How much is left when {y} is subtracted from {x} as many times as possible?",),
        "terse": ("{x} rem {y} =",),
        "word": ("A ribbon {x} cm long is cut into as many {y} cm pieces as possible. How long is the leftover bit?",),
        "chat": ("if i split {x} into groups of {y} whats left", "{x} modulus {y}??"),
    },
    "gcd": {
        "np": ("the highest common factor of {x} and {y}", "the HCF of {y} and {x}"),
        "ask": ("Both {x} and {y} are multiples of some number; what is the largest one?",),
        "terse": ("hcf({x}, {y}) =",),
        "word": (
            "A room measures {x} cm by {y} cm. What is the side length of the largest square tile that covers "
            "the floor exactly without cutting?",
        ),
        "chat": ("can u find the biggest common factor of {y} and {x}",),
    },
    "lcm": {
        "np": (
            "the smallest number that both {x} and {y} go into, modulo {m}",
            "the least common denominator of 1/{x} and 1/{y}, mod {m}",
        ),
        "ask": ("Count in steps of {x} and in steps of {y}; where do the counts first meet? Answer modulo {m}.",),
        "terse": ("({x} lcm {y}) mod {m} = ?",),
        "word": (
            "Two gears have {x} and {y} teeth. After how many teeth have passed does the pair return to its "
            "starting position? Report it mod {m}.",
        ),
        "chat": ("smallest common multiple of {y} and {x}?? mod {m} thx",),
    },
    "square_mod": {
        "np": ("{x} raised to the second power, modulo {y}", "{x} multiplied by itself, taken mod {y}"),
        "ask": ("What is left when the square of {x} is shared out into groups of {y}?",),
        "terse": ("pow({x}, 2, {y})",),
        "word": (
            "Soldiers stand in a full square formation with {x} soldiers on each side. They regroup into squads "
            "of {y}. How many soldiers are left without a squad?",
        ),
        "chat": ("{x} to the 2nd, mod {y}?? thx",),
    },
    "bitwise_and": {
        "np": (
            "the bits that {x} and {y} have in common, as a number",
            "the logical AND of {x} and {y} applied bit by bit",
        ),
        "ask": ("Mask {x} with {y}: what number remains?",),
        "terse": ("bitand({x}, {y})",),
        "word": (
            "Alice's free hours are encoded as the bits of {x} and Bob's as the bits of {y}. Which hours are both "
            "free? Give the encoded number.",
        ),
        "chat": ("and-ing {x} with {y} gives what",),
    },
    "bitwise_xor": {
        "np": (
            "the bits set in exactly one of {x} and {y}, as a number",
            "{x} with every bit that is set in {y} flipped",
        ),
        "ask": ("Toggle the bits of {x} using {y} as the mask. What number results?",),
        "terse": ("{x} ⊕ {y} =",),
        "word": (
            "A parity circuit compares the bits of {x} and {y} and outputs 1 where they disagree. What number "
            "does it output?",
        ),
        "chat": ("exclusive-or {y} and {x} for me?",),
    },
    "bitwise_or": {
        "np": ("the union of the bits of {x} and {y}, as a number", "the inclusive or of {x} and {y} taken bit by bit"),
        "ask": ("Merge the set bits of {x} and {y}. What number results?",),
        "terse": ("bitor({x}, {y})",),
        "word": (
            "Bob's free days are the bits of {x} and Carol's are the bits of {y}. Mark every day on which at "
            "least one of them is free. What number encodes those days?",
        ),
        "chat": ("or-ing {x} with {y} gives what",),
    },
}

_OPENERS: tuple[str, ...] = (
    "What is {np}?", "What's {np}?", "Compute {np}.", "Calculate {np}.", "Find {np}.", "Tell me {np}.",
    "Can you work out {np}?", "Please evaluate {np}.", "Quick question: what is {np}?", "Could you tell me {np}?",
    "Determine {np}.", "Work out {np}, please.", "I need {np}.", "Give me {np}.", "Do you know {np}?",
    "Evaluate {np}.", "Help me find {np}.", "Please compute {np}.", "I'd like to know {np}.",
)  # fmt: skip
_PREFIXES: tuple[str, ...] = (
    "Hi!", "Hello.", "Hey there!", "Good morning.", "Sorry to bother you.", "I have a question.", "One more:",
    "Next one.", "Q{n}.", "Problem {n}:", "Question {n}:", "Exercise {n}.",
)  # fmt: skip
_SUFFIXES: tuple[str, ...] = (
    "Answer with a number only.", "Thanks!", "Thank you.", "Just the number, please.", "Reply with the integer only.",
    "No explanation needed.", "Please be quick.", "Give only the final answer.",
)  # fmt: skip
_CHAT_PREFIXES: tuple[str, ...] = ("hey ", "hi, ", "yo ", "ok so ", "hmm ", "quick one: ", "sorry, ", "lol ")
_CHAT_SUFFIXES: tuple[str, ...] = (" thx", " thanks!", " pls", " :)", " ty", "?")

# ---------------------------------------------------------------------------------------------------------
# Negative tables: kind -> topic -> templates (one family each, id "neg/<topic>-<i>"). Slots name a word pool
# in `_POOLS` or a number range in `_RANGES`; a trailing digit ({a2}) draws a second value from the same
# source, and a repeated slot reuses its value. No template names one of the 10 operations.
# ---------------------------------------------------------------------------------------------------------

_NEGATIVE_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
    "negative-text": {
        "list": (
            "Name {howmany} {category}.",
            "List {howmany} {category}, please.",
            "Can you name {howmany} {category}?",
        ),
        "write": ("Write a {form} about {topic}.", "Compose a {form} on the theme of {topic}."),
        "translate": ("Translate '{phrase}' into {language}.", "How do you say '{phrase}' in {language}?"),
        "capital": ("What is the capital of {country}?", "Which city is the capital of {country}?"),
        "greeting": (
            "{greeting}! How is your {daypart} going?",
            "{greeting}, who are you?",
            "{greeting}! Can we chat about {hobby}?",
        ),
        "advice": ("How can I {goal}?", "Any advice on how to {goal}?", "What is the best way to {goal}?"),
        "explain": ("Explain {concept} in simple terms.", "Can you explain {concept} to a child?"),
        "why": ("Why {why}?", "I always wondered: why {why}?"),
        "code": ("How do I {codetask} in {proglang}?", "Show me how to {codetask} in {proglang}."),
        "recommend": ("Recommend a {media} for someone who likes {genre}.", "Suggest a good {media} about {genre}."),
        "fact": ("Tell me a fun fact about {animal}.", "What do {animal} eat?"),
        "cook": ("What can I cook for dinner with {food} and {food2}?", "Give me a simple recipe using {food}."),
    },
    "negative-numeric": {
        "date": (
            "What happened on {day} {month} {year}?",
            "What is special about {month} {day}?",
            "Tell me about the events of {year} in {country}.",
        ),
        # Slashes that are not division: dates, rates, scores, paths (so "/" alone is no sign of an operation).
        "slash": (
            "What day of the week is {day}/{count}/{year}?",
            "Is {day}/{count} a good date for a picnic?",
            "My train leaves at {hour}:{minute} on {day}/{count}; when should I get to the station?",
            "Is {minutes} km/h fast for a bike?",
            "The recipe says {count}/{count2} cup of sugar; is that a lot?",
            "We lost {score}/{score2} at half time; write a pep talk.",
            "What is stored in /usr/lib{digit} on Linux?",
            "Is a {count}/{count2} split of chores fair?",
        ),
        "pets": (
            "I have {count} cats and {count2} dogs; suggest names.",
            "My {count} kids want a {animal_one}; is that a good idea?",
        ),
        "price": ("Is ${price} a good price for a used {item}?", "I saw a {item} for {price} euros. Should I buy it?"),
        "age": ("My son is {age} years old. What books would he enjoy?", "Is {age} too old to learn {hobby}?"),
        "room": (
            "How do I get to room {room} from the main entrance?",
            "Our meeting moved to room {room}; tell the team.",
        ),
        "phone": ("Is {phone}-{phone2} a valid phone number?", "Write a text asking someone to call {phone} {phone2}."),
        "score": (
            "We won {score} to {score2}, write a headline.",
            "Our team lost {score}-{score2} last night. Write a short consoling message.",
        ),
        "version": (
            "What changed in version {major}.{minor} of {software}?",
            "Should I upgrade {software} from {major}.{minor} to {major2}.0?",
        ),
        "pages": ("Is a {pages}-page novel too long for a book club?", "Summarize chapter {chapter} of {book}."),
        "time": ("Is {hour}:{minute} too early to call a friend?", "Remind me to water the plants at {hour}:{minute}."),
        "address": ("Write directions to {house} {street} Street.", "Is {house} {street} Avenue a nice area to live?"),
        "decade": ("Describe fashion in the {decade}s.", "What music was popular in the {decade}s?"),
        "recipe": (
            "The recipe says bake at {temp} degrees for {minutes} minutes. Is that right for {dish}?",
            "Can I rest {dish} for {minutes} minutes before serving?",
        ),
        "flight": (
            "My flight {airline} {flightno} is delayed; what are my rights?",
            "Which terminal does flight {airline}{flightno} usually leave from?",
        ),
        "weather": (
            "It is {celsius} degrees outside, what should I wear?",
            "Is {celsius} degrees warm enough to swim?",
        ),
    },
    "negative-math": {
        # The trained questions' own frame ("What is x OP y?") with operators that are none of the 10 types: the
        # reader learns that the operator decides, so an operator it never saw (such as "//") keeps the gate shut.
        "operator": (
            "What is {a} - {a2}?",
            "What is {a} ** {p}?",
            "What is {a} << {digit}?",
            "What is {a} >> {digit}?",
            "What is {a} NAND {a2}?",
            "What is {a} NOR {a2}?",
            "What is {a} XNOR {a2}?",
            "What is {a} choose {digit}?",
            "What is {a} max {a2}?",
            "What is {a} min {a2}?",
            "What is {a} == {a2}?",
            "What is {a} != {a2}?",
            "What is {a} > {a2}?",
            "What is {a} <= {a2}?",
            "What is {a} to the power {p}?",
            "What is {a} shifted left by {digit}?",
            "{a} ** {p} = ?",
            "{a} << {digit} = ?",
            "{a} - {a2} =",
        ),
        "subtract": (
            "What is {a} minus {b}?",
            "Subtract {b} from {a}.",
            "{a} - {b} = ?",
            "How much is {a} take away {b}?",
        ),
        "power": (
            "What is {b} to the power of {p}?",
            "Compute {b}**{p}.",
            "What is {b} cubed?",
            "What is {a} squared?",
        ),
        "root": ("What is the square root of {a}?", "sqrt({a}) = ?", "What is the cube root of {a}?"),
        "factorial": ("What is {k} factorial?", "Compute {k}!"),
        "percent": ("What is {pct}% of {a}?", "What is {pct} percent of {a}?", "{b} is what percent of {a}?"),
        "average": ("What is the average of {a} and {a2}?", "Find the mean of {a}, {a2} and {a3}."),
        "extreme": (
            "Which is larger, {a} or {a2}?",
            "What is the smaller of {a} and {a2}?",
            "max({a}, {a2}) = ?",
            "min({a}, {a2})",
        ),
        "compare": ("Is {a} greater than {a2}?", "Is {a} < {a2}?", "Which is closer to {a}: {a2} or {a3}?"),
        "distance": (
            "What is the absolute difference between {a} and {a2}?",
            "abs({b} - {a}) = ?",
            "How far apart are {a} and {a2} on the number line?",
        ),
        "round": ("Round {a} to the nearest ten.", "What is {a}.{digit} rounded to the nearest whole number?"),
        "convert": (
            "How many centimeters are in {k} meters?",
            "Convert {k} hours to minutes.",
            "Convert {celsius} degrees Celsius to Fahrenheit.",
        ),
        "digits": (
            "How many digits does {big} have?",
            "How often does the digit {digit} appear in {big}?",
            "Reverse the digits of {big}.",
        ),
        "prime": ("Is {a} a prime number?", "Is {a} prime?"),
        "numeral": ("Write {a} in Roman numerals.", "Write {a} in words.", "What is {a} in binary?"),
    },
}
_NEGATIVE_HELDOUT_TOPICS: frozenset[str] = frozenset(
    {"why", "code", "fact", "decade", "recipe", "flight", "prime", "numeral", "round"}
)

_POOLS: dict[str, tuple[str, ...]] = {
    "howmany": ("three", "five", "a few", "some", "two", "four", "several"),
    "category": (
        "colors", "fruits", "planets", "rivers in Europe", "famous painters", "jazz musicians", "types of clouds",
        "Shakespeare plays", "programming languages", "board games", "dog breeds", "musical instruments", "vegetables",
        "birds", "constellations", "Greek gods", "mountains", "spices", "team sports", "languages spoken in Africa",
        "French cheeses", "tree species", "poets", "kitchen tools",
    ),
    "form": (
        "haiku", "short poem", "limerick", "two-sentence story", "thank-you note", "tweet", "short speech", "riddle",
        "song chorus", "diary entry",
    ),
    "topic": (
        "autumn", "the ocean", "a lost cat", "coffee", "a city at night", "the first day of school", "friendship",
        "a rainy Monday", "a robot learning to paint", "the moon", "a grandmother's kitchen", "a busy train station",
        "snow", "a lighthouse", "summer holidays", "an old bicycle",
    ),
    "phrase": (
        "good morning", "thank you very much", "where is the station", "I love books", "see you tomorrow",
        "happy birthday", "the weather is nice today", "how much does this cost", "I am hungry", "nice to meet you",
    ),
    "language": (
        "French", "Spanish", "German", "Italian", "Japanese", "Portuguese", "Dutch", "Swahili", "Korean", "Turkish",
        "Polish", "Greek",
    ),
    "country": (
        "Peru", "Kenya", "Norway", "Vietnam", "Canada", "Chile", "Egypt", "Finland", "Mongolia", "Portugal", "Ghana",
        "Nepal", "Australia", "Morocco", "Hungary", "Colombia", "Indonesia", "Ireland", "Uruguay", "Laos",
    ),
    "greeting": ("Hi", "Hello", "Hey", "Good morning", "Good evening", "Howdy", "Hi there"),
    "daypart": ("day", "morning", "week", "evening", "weekend"),
    "hobby": (
        "gardening", "chess", "painting", "hiking", "photography", "the guitar", "knitting", "astronomy", "baking",
        "surfing",
    ),
    "goal": (
        "sleep better", "learn to cook", "stop procrastinating", "be more confident at work",
        "keep my houseplants alive", "make new friends in a new city", "prepare for a job interview",
        "save money on groceries", "get better at chess", "start running", "write a good cover letter",
        "stay focused while studying", "apologize to a friend", "plan a trip on a budget",
    ),
    "concept": (
        "photosynthesis", "inflation", "how vaccines work", "black holes", "the water cycle", "machine learning",
        "recursion", "supply and demand", "plate tectonics", "the greenhouse effect", "how DNS works",
        "natural selection", "how a bill becomes law",
    ),
    "why": (
        "is the sky blue", "do cats purr", "do leaves change color in autumn", "do we dream", "does bread rise",
        "is the sea salty", "do onions make us cry", "do birds migrate", "does ice float", "do we get hiccups",
    ),
    "codetask": (
        "reverse a string", "read a file line by line", "sort a list of names", "parse JSON", "make an HTTP request",
        "write a unit test", "handle errors", "format a date",
    ),
    "proglang": ("Python", "JavaScript", "Rust", "Go", "Java", "Ruby", "Kotlin", "TypeScript"),
    "media": ("book", "movie", "podcast", "board game", "TV series", "documentary"),
    "genre": ("mysteries", "science fiction", "history", "cooking", "comedy", "space", "travel", "detective stories"),
    "animal": ("octopuses", "penguins", "elephants", "owls", "dolphins", "honeybees", "giraffes", "koalas"),
    "animal_one": ("puppy", "kitten", "hamster", "rabbit", "parrot", "goldfish"),
    "food": ("rice", "eggs", "spinach", "chickpeas", "potatoes", "tofu", "mushrooms", "lentils", "pasta", "cheese"),
    "month": (
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
        "December",
    ),
    "item": ("bike", "laptop", "sofa", "camera", "guitar", "car", "phone", "desk"),
    "software": ("Python", "Node", "Blender", "Firefox", "PostgreSQL", "Django", "Ubuntu"),
    "book": ("Moby Dick", "Pride and Prejudice", "The Hobbit", "Dune", "Jane Eyre", "Don Quixote"),
    "street": ("Maple", "Oak", "Station", "Church", "Mill", "Park", "Harbor", "King"),
    "dish": ("banana bread", "a pork roast", "lasagna", "sourdough", "a cheesecake", "roast vegetables"),
    "airline": ("BA", "LH", "AF", "UA", "KL", "IB", "AZ"),
    "minute": ("00", "05", "15", "20", "30", "45", "50"),
    "decade": ("1920", "1930", "1940", "1950", "1960", "1970", "1980", "1990", "2000", "2010"),
    "digit": ("1", "2", "3", "4", "5", "6", "7", "8", "9"),
}  # fmt: skip
_RANGES: dict[str, tuple[int, int]] = {  # inclusive
    "day": (1, 28), "year": (1066, 2023), "count": (2, 9), "price": (5, 2500), "age": (2, 90), "room": (100, 999),
    "phone": (100, 9999), "score": (0, 7), "major": (1, 12), "minor": (0, 20), "pages": (80, 1200),
    "chapter": (1, 40), "hour": (5, 11), "house": (1, 999), "temp": (150, 240),
    "minutes": (10, 90), "flightno": (100, 9999), "celsius": (-5, 40), "a": (10, 999), "b": (2, 99), "p": (2, 6),
    "k": (3, 12), "pct": (5, 95), "big": (1000, 9999999),
    "n": (1, 60),  # the label of "Q{n}." and "Problem {n}:"
}  # fmt: skip
_NEG_PREFIXES: tuple[str, ...] = (
    "Hi!", "Hello.", "Hey there!", "Good morning.", "Sorry to bother you.", "I have a question.", "Quick question:",
)  # fmt: skip
_NEG_SUFFIXES: tuple[str, ...] = ("Thanks!", "Thank you.", "Please be brief.", "Keep it short.", "No rush.")
_MATH_PREFIXES: tuple[str, ...] = ("Q{n}.", "Problem {n}:", "Question {n}:", "Exercise {n}.")
_MATH_SUFFIXES: tuple[str, ...] = (
    "Answer with a number only.",
    "Just the number, please.",
    "Give only the final answer.",
)

# ---------------------------------------------------------------------------------------------------------
# Family registry
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Family:
    id: str
    problem_type: str  # NEGATIVE for the negatives
    group: str  # np/ask/terse/word/chat/paper for questions, the topic for negatives
    kind: str
    template: str
    heldout: bool


def _build_registry() -> dict[str, _Family]:
    out: dict[str, _Family] = {}
    for t in PROBLEM_TYPES:
        paper = TEMPLATES[t][0]
        out[f"{t}/paper-0"] = _Family(f"{t}/paper-0", t, "paper", "question", paper, False)
        for table, heldout in ((_TRAIN_FORMS, False), (_HELDOUT_FORMS, True)):
            for group, templates in table[t].items():
                for i, template in enumerate(templates):
                    fid = f"{t}/{group}-{'h' if heldout else ''}{i}"
                    out[fid] = _Family(fid, t, group, _GROUP_KIND[group], template, heldout)
    for kind, topics in _NEGATIVE_FORMS.items():
        for topic, templates in topics.items():
            for i, template in enumerate(templates):
                fid = f"{NEGATIVE}/{topic}-{i}"
                out[fid] = _Family(fid, NEGATIVE, topic, kind, template, topic in _NEGATIVE_HELDOUT_TOPICS)
    return out


_FAMILIES: dict[str, _Family] = _build_registry()
_BY_SPLIT: dict[tuple[str, str], tuple[_Family, ...]] = {
    (t, split): tuple(f for f in _FAMILIES.values() if f.problem_type == t and f.heldout == (split == "heldout"))
    for t in (*PROBLEM_TYPES, NEGATIVE)
    for split in WORDING_SPLITS
}
_NEG_BY_KIND: dict[tuple[str, str], tuple[_Family, ...]] = {
    (kind, split): tuple(f for f in _BY_SPLIT[NEGATIVE, split] if f.kind == kind)
    for kind in _NEGATIVE_FORMS
    for split in WORDING_SPLITS
}

# ---------------------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------------------

_SLOT_RE = re.compile(r"\{([a-z_]+?)(\d*)\}")
_DIGITS_RE = re.compile(r"[0-9]+")


class _Dice:
    """Uniform draws from `rng` in blocks (one generator call per block keeps 10 000 wordings fast)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._u: list[float] = []

    def uniform(self) -> float:
        if not self._u:
            self._u = _block(self._rng)
        return self._u.pop()

    def chance(self, p: float) -> bool:
        return self.uniform() < p

    def pick(self, seq: Sequence[str]) -> str:
        return seq[min(int(self.uniform() * len(seq)), len(seq) - 1)]

    def integer(self, lo: int, hi: int) -> int:
        """Uniform in ``[lo, hi]``."""
        return lo + min(int(self.uniform() * (hi - lo + 1)), hi - lo)


def _block(rng: np.random.Generator) -> list[float]:
    """16 uniforms, reversed so that `pop` hands them out in draw order."""
    block: list[float] = rng.random(16).tolist()
    block.reverse()
    return block


def _fill(template: str, values: dict[str, str], dice: _Dice) -> tuple[str, dict[str, tuple[int, int]]]:
    """Fill every slot of `template`; return the text and the char span of the first {x} and {y}.

    Slots missing from `values` are drawn from `_POOLS`/`_RANGES` and remembered, so a repeated slot repeats.
    """
    parts: list[str] = []
    marks: dict[str, tuple[int, int]] = {}
    pos = last = 0
    for match in _SLOT_RE.finditer(template):
        literal = template[last : match.start()]
        parts.append(literal)
        pos += len(literal)
        key = match.group(1) + match.group(2)
        value = values.get(key)
        if value is None:
            source = match.group(1)
            if source in _POOLS:
                value = dice.pick(_POOLS[source])
            else:
                lo, hi = _RANGES[source]
                value = str(dice.integer(lo, hi))
            values[key] = value
        if key in ("x", "y") and key not in marks:
            marks[key] = (pos, pos + len(value))
        parts.append(value)
        pos += len(value)
        last = match.end()
    parts.append(template[last:])
    return "".join(parts), marks


def _spans(text: str, marks: Mapping[str, tuple[int, int]]) -> tuple[tuple[int, int, str], ...]:
    """Every digit run of `text`, tagged "x"/"y" where it is exactly the marked operand, else "other"."""
    where = {span: role for role, span in marks.items()}
    spans = tuple((m.start(), m.end(), where.get((m.start(), m.end()), "other")) for m in _DIGITS_RE.finditer(text))
    if sum(role != "other" for _, _, role in spans) != len(marks):
        raise RuntimeError(f"an operand touches other digits in {text!r} (a template bug)")
    return spans


def _join(*pieces: str) -> str:
    return " ".join(p for p in pieces if p)


def _question_template(family: _Family, dice: _Dice) -> str:
    """The family's template inside its random frame (opener, politeness prefix and suffix)."""
    group = family.group
    if group in ("paper", "terse"):
        return family.template
    if group == "chat":
        prefix = dice.pick(_CHAT_PREFIXES) if dice.chance(0.5) else ""
        suffix = dice.pick(_CHAT_SUFFIXES) if dice.chance(0.5) else ""
        return prefix + family.template + suffix
    body = dice.pick(_OPENERS).replace("{np}", family.template) if group == "np" else family.template
    prefix = dice.pick(_PREFIXES) if dice.chance(0.25) else ""
    suffix = dice.pick(_SUFFIXES) if dice.chance(0.3) else ""
    return _join(prefix, body, suffix)


def _check_split(split: str) -> None:
    if split not in WORDING_SPLITS:
        raise ValueError(f"split must be one of {', '.join(WORDING_SPLITS)}, got {split!r}")


def phrase(problem: Problem, rng: np.random.Generator, *, split: str = "train", complexity: int = 2) -> Wording:
    """A random wording of `problem` from one of its type's `split` families (uniform over families).

    Args:
        problem: Type and operands; its own `question` text is not used.
        rng: The only source of randomness, so equal generator states give equal wordings.
        split: "train" or "heldout" families.
        complexity: Sets the modulus 10**(c+1) written into multiplication and lcm wordings.

    Raises:
        ValueError: unknown split or problem type.
    """
    _check_split(split)
    if problem.problem_type not in PROBLEM_TYPES:
        raise ValueError(f"unknown problem type {problem.problem_type!r} (known: {', '.join(PROBLEM_TYPES)})")
    dice = _Dice(rng)
    options = _BY_SPLIT[problem.problem_type, split]
    family = options[min(int(dice.uniform() * len(options)), len(options) - 1)]
    values = {"x": str(problem.x), "y": str(problem.y), "m": str(10 ** (complexity + 1))}
    text, marks = _fill(_question_template(family, dice), values, dice)
    return Wording(text, problem.problem_type, problem.x, problem.y, _spans(text, marks), family.id, family.kind)


def _negative(family: _Family, dice: _Dice) -> Wording:
    prefixes, suffixes = _NEG_PREFIXES, _NEG_SUFFIXES
    if family.kind == "negative-math":
        prefixes, suffixes = prefixes + _MATH_PREFIXES, suffixes + _MATH_SUFFIXES
    prefix = dice.pick(prefixes) if dice.chance(0.25) else ""
    suffix = dice.pick(suffixes) if dice.chance(0.3) and family.template[-1] in ".?!" else ""
    text, _ = _fill(_join(prefix, family.template, suffix), {}, dice)
    return Wording(text, None, None, None, _spans(text, {}), family.id, family.kind)


def negatives(n: int, rng: np.random.Generator, *, split: str = "train") -> list[Wording]:
    """`n` prompts that are none of the 10 problem types: text, numeric text and other arithmetic, ~1/3 each.

    Every number in them is tagged "other". Addition, multiplication, division, modulo, gcd, lcm, square-mod
    and bitwise prompts never appear here (addition and division are unseen *test* types, not negatives).

    Raises:
        ValueError: unknown split or negative `n`.
    """
    _check_split(split)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    dice = _Dice(rng)
    kinds = tuple(_NEGATIVE_FORMS)
    out = []
    for _ in range(n):
        options = _NEG_BY_KIND[dice.pick(kinds), split]
        out.append(_negative(options[min(int(dice.uniform() * len(options)), len(options) - 1)], dice))
    return out


def families(problem_type: str, split: str) -> list[str]:
    """The family ids of `problem_type` (or `NEGATIVE`) in `split`, in a stable order.

    Raises:
        ValueError: unknown split or problem type.
    """
    _check_split(split)
    if problem_type not in PROBLEM_TYPES and problem_type != NEGATIVE:
        raise ValueError(f"unknown problem type {problem_type!r} (known: {', '.join(PROBLEM_TYPES)}, {NEGATIVE})")
    return [f.id for f in _BY_SPLIT[problem_type, split]]


def heldout_family(family: str) -> bool:
    """Whether `family` belongs to the held-out wording split.

    Raises:
        ValueError: `family` is not a known family id.
    """
    found = _FAMILIES.get(family)
    if found is None:
        raise ValueError(f"unknown wording family {family!r}")
    return found.heldout
