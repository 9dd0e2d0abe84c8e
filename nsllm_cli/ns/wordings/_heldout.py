"""The held-out wording families (~20%): operation names, symbols and stories that no training family uses,
seen only with ``split="heldout"`` to measure generalisation to new wordings.
"""

from __future__ import annotations

HELDOUT_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
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
