"""The held-out wording families: evaluation only, never imported by code that builds training data.

`bench math --wording heldout`, the gather's `heldout` split and `train`'s held-out table read these; the training
families live in `ns.wordings` and a test checks that building training data never loads this module, and that no
held-out family shares a phrase of four words with a training family. The families bring operation names,
symbols and stories that no training family uses, including word problems that name the operands in the other
order (the divisor first) so that roles must come from the meaning.

Slots as in `ns.wordings`: {x}, {y} the operands, {m} the modulus 10**(c+1) of multiplication and lcm; other slots
({year}, {count}, ...) are distractor numbers. Every template is a whole prompt (no shared frames).
"""

from __future__ import annotations

HELDOUT_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
    "addition": {
        "ask": (
            "Add {x} and {y}. What's the result?",
            "Please add {y} to {x}.",
            "What do I get if I add {x} to {y}?",
            "Increase {x} by {y}; what do you end up with?",
            "Total up {x} and {y}.",
        ),
        "terse": ("{x} + {y} equals", "{x} and {y} summed =", "{x} ＋ {y} ="),
        "word": (
            "I bought {x} red beads and {y} blue beads. How many beads did I buy?",
            "In {year} a village had {x} houses; since then {y} new ones went up. How many houses stand there now?",
        ),
        "chat": ("how much is {x} plus {y}", "{x} and {y} combined is how much"),
    },
    "multiplication": {
        "ask": (
            "Multiply {x} by {y} and give the result modulo {m}.",
            "Product of {x} and {y}? I only need it mod {m}.",
            "Report the remainder of {x} times {y} after division by {m}.",
        ),
        "terse": ("{x}·{y} (mod {m})", "({x}×{y}) % {m}", "prod({x}, {y}) mod {m}"),
        "word": (
            "A theater has {x} rows with {y} seats per row. Report the seat count reduced modulo {m}.",
            "Every crate carries {y} jars and a truck loads {x} crates. State the jar count modulo {m}.",
        ),
        "chat": ("{y} times {x} but only mod {m}, what do u get", "{x} x {y}, then mod {m}?"),
    },
    "division": {
        "ask": (
            "Divide {x} by {y} and ignore any remainder.",
            "Integer-divide {x} by {y}.",
            "What is {x} floor-divided by {y}?",
            "Give the quotient of {x} and {y}, rounded down.",
        ),
        "terse": ("{x} ÷ {y}, rounded down", "{x} intdiv {y} =", "quot({x}, {y})"),
        "word": (
            "A class of {x} pupils is split into teams of {y}. How many complete teams can be formed?",
            "Each episode lasts {y} minutes and I have {x} minutes. How many full episodes can I watch?",
        ),
        "chat": ("{x} / {y} but integer division?", "how many full {y}s fit in {x}"),
    },
    "modulo": {
        "ask": (
            "{x} modulo {y} gives what?",
            "After dividing {x} by {y}, what remainder do you get?",
            "Find {x} mod {y}, please.",
            "What is left over when you divide {x} by {y}?",
        ),
        "terse": ("{x} rem {y} =", "remainder({x}, {y})"),
        "word": (
            "Each bag holds {y} apples. If I have {x} apples and fill as many bags as I can, how many apples stay out?",
            "{y} kids share {x} sweets equally, each one getting the same. How many sweets remain?",
            "A plank of {x} mm is sawn into {y} mm blocks, as many as fit. How long is the offcut?",
        ),
        "chat": ("if i split {x} into groups of {y} whats left", "{x} modulus {y}??"),
    },
    "gcd": {
        "ask": (
            "GCD of {x} and {y}, please.",
            "Compute the highest common factor for {x} and {y}.",
            "Find the largest factor shared by {x} and {y}.",
            "Which divisor do {x} and {y} share that beats all others in size?",
        ),
        "terse": ("hcf({x}, {y}) =", "Euclid({x}, {y}) ="),
        "word": (
            "A florist has {x} roses and {y} lilies and wants identical bouquets using every flower. At most how "
            "many bouquets?",
            "A room measures {x} cm by {y} cm. What is the side length of the largest square tile that covers "
            "the floor exactly without cutting?",
        ),
        "chat": ("can u find the biggest common factor of {y} and {x}", "hcf {x} {y} ?"),
    },
    "lcm": {
        "ask": (
            "What's the LCM of {x} and {y}? Give it mod {m}.",
            "Compute lcm of {x} and {y}, then take it modulo {m}.",
            "Smallest positive integer divisible by {x} and by {y}, modulo {m}?",
            "Give me lcm({x}, {y}) reduced mod {m}.",
        ),
        "terse": ("({x} lcm {y}) mod {m} = ?", "LCM[{x}, {y}] % {m}"),
        "word": (
            "Two gears have {x} and {y} teeth. After how many teeth have passed does the pair return to its "
            "starting position? Report it mod {m}.",
            "One lighthouse flashes every {x} s, the other every {y} s. They flashed together just now; in how many "
            "s will they again? Answer modulo {m}.",
        ),
        "chat": ("smallest common multiple of {y} and {x}?? mod {m} thx", "lcm for {x} & {y}, mod {m}"),
    },
    "square_mod": {
        "ask": (
            "Square {x} and give the remainder after dividing by {y}.",
            "What is ({x}^2) modulo {y}?",
            "Take {x} to the second power, then reduce modulo {y}.",
            "Find the remainder of {x} squared divided by {y}.",
        ),
        "terse": ("{x}² mod {y}", "pow({x}, 2) % {y}"),
        "word": (
            "Soldiers stand in a full square formation with {x} soldiers on each side. They regroup into squads "
            "of {y}. How many soldiers are left without a squad?",
            "Squads hold {y} people. A square parade ground is {x} people wide and {x} deep; after forming full "
            "squads, how many people remain?",
        ),
        "chat": ("{x} to the 2nd, mod {y}?? thx", "sq of {x}, modulo {y}?"),
    },
    "bitwise_and": {
        "ask": (
            "Bitwise AND {x} with {y}.",
            "What is {x} AND-ed with {y}?",
            "AND together {x} and {y}, bit by bit.",
            "Mask {x} with {y}: what number remains?",
        ),
        "terse": ("bitand({x}, {y})", "{x} ∧ {y}"),
        "word": (
            "Alice's free hours are encoded as the bits of {x} and Bob's as the bits of {y}. Which hours are both "
            "free? Give the encoded number.",
            "A firewall permits the port bits {y}; a request asks for {x}. Which requested bits get through, as "
            "an integer?",
        ),
        "chat": ("and-ing {x} with {y} gives what", "{x} bit-and {y}?"),
    },
    "bitwise_xor": {
        "ask": (
            "Exclusive-or {x} with {y}, please.",
            "What is {x} xor'd with {y}?",
            "XOR together {x} and {y}.",
            "What's {x} XOR {y} as a decimal number?",
        ),
        "terse": ("{x} ⊕ {y} =", "bitxor({x}, {y})"),
        "word": (
            "A parity circuit compares the bits of {x} and {y} and outputs 1 where they disagree. Which value "
            "comes out?",
            "A message value {x} is scrambled by flipping each bit where the key {y} has a 1. What is the "
            "scrambled value?",
        ),
        "chat": ("exclusive-or {y} and {x} for me?", "xor of {x} with {y}?"),
    },
    "bitwise_or": {
        "ask": (
            "Bitwise OR {x} with {y}.",
            "What is {x} OR-ed with {y}?",
            "OR together {x} and {y}, bit by bit.",
            "Give the inclusive or of {x} and {y}.",
        ),
        "terse": ("bitor({x}, {y})", "{x} ∨ {y}"),
        "word": (
            "Bob's free days are the bits of {x} and Carol's are the bits of {y}. Mark every day on which at "
            "least one is free. Which value encodes those days?",
            "Two alarm panels report the bit codes {x} and {y}. The siren board lights every bit raised by any "
            "panel. Which value does it show?",
        ),
        "chat": ("or-ing {x} with {y} gives what", "{x} bit-or {y}?"),
    },
    "subtraction": {
        "ask": (
            "Deduct {y} from {x}. What's left?",
            "What remains when {y} is taken from {x}?",
            "Find {x} minus {y}, please.",
            "What is {x} with {y} removed?",
        ),
        "terse": ("diff({x}, {y}) =", "{x} − {y} ="),
        "word": (
            "A bus carries {x} people and {y} get off at the first stop. How many are still on board?",
            "A jar had {x} cookies and the kids ate {y}. How many cookies are in the jar now?",
            "A hiker must climb {x} meters and has done {y}. How many meters are still to go?",
        ),
        "chat": ("{x} minus {y} pls", "wats {x} take away {y}"),
    },
    "power_mod": {
        "ask": (
            "Take {x} to the exponent {y} and give the remainder after dividing by {m}.",
            "What is {x} raised to {y}, reduced modulo {m}?",
            "Modular exponentiation: base {x}, exponent {y}, modulus {m}.",
            "Find {x} to the {y}th power mod {m}.",
        ),
        "terse": ("modpow({x}, {y}, {m}) =", "{x}**{y} mod {m} ="),
        "word": (
            "Each of {y} dials has {x} positions. How many settings are there, modulo {m}?",
            "A story is told to {x} people, who each tell {x} more, for {y} rounds in all. Modulo {m}, how many "
            "hear it in the last round?",
        ),
        "chat": ("{x} to the power {y} mod {m} pls", "modpow {x} {y} {m}?"),
    },
}
HELDOUT_NEGATIVE_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
    "negative-text": {
        "why": ("Why {why}?", "I always wondered: why {why}?"),
        "code": ("How do I {codetask} in {proglang}?", "Show me how to {codetask} in {proglang}."),
        "fact": ("Tell me a fun fact about {animal}.", "What do {animal} eat?"),
    },
    "negative-numeric": {
        "decade": ("Describe fashion in the {decade}s.", "What music was popular in the {decade}s?"),
        "recipe": (
            "The recipe says bake at {temp} degrees for {minutes} minutes. Is that right for {dish}?",
            "Can I rest {dish} for {minutes} minutes before serving?",
        ),
        "flight": (
            "My flight {airline} {flightno} is delayed; what are my rights?",
            "Which terminal does flight {airline}{flightno} usually leave from?",
        ),
    },
    "negative-math": {
        "prime": ("Is {a} a prime number?", "Is {a} prime?"),
        "numeral": ("Write {a} in Roman numerals.", "Write {a} in words.", "What is {a} in binary?"),
        "round": ("Round {a} to the nearest ten.", "What is {a}.{digit} rounded to the nearest whole number?"),
    },
}
