"""Training wording families of gcd, lcm and square-mod (slots: see `_registry`)."""

from __future__ import annotations

NUMBER_THEORY_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
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
        "terse": (
            "gcd({x},{y})?",
            "gcd({x}, {y}) = ?",
            "GCD {x} {y}",
            "gcd of {x}, {y} =",
            "GCD({y}, {x})",
            "gcd {x} {y} =",
            "GCD[{x}, {y}]",
            "gcf({x}, {y})",
            "math.gcd({x}, {y})",
        ),
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
            "LCM({x}, {y}) mod {m}",
            "lcm {x} {y} % {m} =",
            "math.lcm({x}, {y}) % {m}",
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
        "terse": (
            "{x}^2 mod {y} =",
            "{x}^2 % {y}",
            "({x}**2) % {y} = ?",
            "{x}*{x} mod {y} =",
            "sq({x}) mod {y}",
            "{x} ^ 2 mod {y} = ?",
            "({x})^2 (mod {y})",
            "square({x}) % {y}",
            "{x}**2 % {y}",
        ),
        "word": (
            "A square garden is {x} meters on each side. Its area is split into plots of {y} square meters. "
            "How many square meters are left over?",
            "A square floor is {x} tiles long on each side. The tiles come in boxes of {y}. After using only "
            "full boxes, how many tiles are still needed?",
            "Write down the square of {x}. What is its remainder on division by {y}?",
            "Bags hold {y} marbles. A square grid of {x} by {x} marbles is packed into full bags. How many marbles "
            "are left?",
        ),
        "chat": ("{x}^2 mod {y}?", "whats {x} squared mod {y}", "square {x} then mod {y} pls"),
    },
    "power_mod": {
        "np": (
            "{x} to the power of {y} mod {m}",
            "{x}^{y} mod {m}",
            "{x} raised to the power {y}, modulo {m}",
            "{x}**{y} % {m}",
            "{x} to the {y} mod {m}",
            "the power {x}^{y} reduced modulo {m}",
        ),
        "ask": (
            "If you raise {x} to the power {y}, what is the result modulo {m}?",
            "Raise {x} to the power of {y} and reduce it mod {m}.",
            "What is {x} to the power of {y} when reduced modulo {m}?",
            "Compute pow({x}, {y}, {m}).",
        ),
        "terse": ("pow({x}, {y}, {m})", "{x}^{y} mod {m} =", "{x}**{y} % {m} = ?", "powmod({x}, {y}, {m})"),
        "word": (
            "A lock has {y} wheels with {x} symbols on each. How many combinations are there, modulo {m}?",
            "A colony grows {x}-fold every hour for {y} hours, starting from one cell. How many cells are there, "
            "mod {m}?",
        ),
        "chat": ("{x} to the {y} mod {m}?", "whats {x}^{y} mod {m}", "pow {x} {y} {m} pls"),
    },
}
