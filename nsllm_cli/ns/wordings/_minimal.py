"""Minimal pairs: the same sentence frames filled with the operation word of every trained type, and with
operation words of operations nsllm never trains.

A reader that learns phrases ("What is ... ?" means modulo) opens its gate on anything in a familiar frame. Here
every frame appears with many operation words: with a trained one it is a question of that type, with an untrained
one (minus, to the power of, max, NAND, ...) a negative. Only the operation word tells them apart, so the type
read has to look at it, and an operation word it never saw leaves it without evidence for any trained type.

Addition and division words (plus, sum, add, total, divided by, quotient, ratio, ...) appear in neither list:
they are the unseen test types, and a gate that shuts on them must do so without having seen them.
"""

from __future__ import annotations

INFIX_FRAMES: tuple[str, ...] = (
    "What is {x} {op} {y}?",
    "Compute {x} {op} {y}.",
    "{x} {op} {y} = ?",
    "Please work out {x} {op} {y}.",
    "what's {x} {op} {y}",
    "Quick: {x} {op} {y}?",
    "Evaluate {x} {op} {y} for me.",
    "I got a homework question: {x} {op} {y}. What's the answer?",
)
NOUN_FRAMES: tuple[str, ...] = (
    "What is the {op} of {x} and {y}?",
    "Find the {op} of {x} and {y}.",
    "I need the {op} of {x} and {y}.",
    "Give me the {op} of {x} and {y}, please.",
    "the {op} of {x} and {y} = ?",
    "Can you tell me the {op} of {x} and {y}?",
)
CALL_FRAMES: tuple[str, ...] = ("{op}({x}, {y})", "{op}({x},{y}) = ?", "What does {op}({x}, {y}) return?")
VERB_FRAMES: tuple[str, ...] = (
    "{Verb} {x} {conn} {y}.",
    "Please {verb} {x} {conn} {y}.",
    "Can you {verb} {x} {conn} {y}?",
    "{Verb} {x} {conn} {y}, and give me the answer.",
    "Could you {verb} {x} {conn} {y} for me?",
    "{Verb} {x} {conn} {y}. Tell me the number you get.",
    "I want you to {verb} {x} {conn} {y}.",
)
"""Imperatives: the verb names the operation ("Multiply 12 by 5."). An unseen operation asked this way ("Add 12 and
5.") shares the frame with trained and untrained verbs alike, so the verb, not the frame, has to decide."""

# Trained operation words, by frame. A modulus the operation needs (multiplication and lcm take "mod {m}") follows
# the second operand (`SUFFIX`), so the frame stays the same.
TRAINED_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "multiplication": {"infix": ("times", "*", "multiplied by", "x"), "noun": ("product",)},
    "modulo": {"infix": ("mod", "modulo", "%", "reduced mod"), "call": ("mod",)},
    "gcd": {
        "noun": ("GCD", "greatest common divisor", "gcd", "greatest common factor"),
        "call": ("gcd", "GCD"),
    },
    "lcm": {"noun": ("LCM", "least common multiple", "lowest common multiple"), "call": ("lcm",)},
    "square_mod": {"infix": ("squared mod", "^2 mod", "**2 %", "squared, modulo")},
    "bitwise_and": {"infix": ("AND", "&", "bitwise-AND"), "noun": ("bitwise AND", "binary AND")},
    "bitwise_xor": {"infix": ("XOR", "^", "xor"), "noun": ("bitwise XOR", "exclusive or")},
    "bitwise_or": {"infix": ("OR", "|", "bitwise-OR"), "noun": ("bitwise OR", "binary OR")},
    "subtraction": {"infix": ("minus", "-", "take away"), "noun": ("difference",), "call": ("sub",)},
    "power_mod": {"infix": ("to the power of", "**", "raised to the power"), "call": ("pow",)},
}
SUFFIX: dict[str, str] = {"multiplication": " mod {m}", "lcm": " mod {m}", "power_mod": " mod {m}"}
# Trained verbs: (verb, the words between the operands). gcd and lcm have no verb of their own.
TRAINED_VERBS: dict[str, tuple[tuple[str, str], ...]] = {
    "multiplication": (("multiply", "by"), ("multiply", "and"), ("multiply", "with")),
    "modulo": (("reduce", "modulo"), ("reduce", "mod"), ("take", "modulo")),
    "square_mod": (("square", ", then reduce it modulo"), ("square", "and take the result mod")),
    "bitwise_and": (("AND", "with"), ("bitwise-AND", "with")),
    "bitwise_xor": (("XOR", "with"), ("xor", "with")),
    "bitwise_or": (("OR", "with"), ("bitwise-OR", "with")),
    "subtraction": (("subtract", "from"), ("take", "away from")),
}
SWAPPED_VERBS: frozenset[tuple[str, str]] = frozenset({("subtract", "from"), ("take", "away from")})
"""Verbs whose first number is the second operand: "Subtract 5 from 12." is 12 - 5."""
"""No "AND {x} and {y}": the conjunction and the operator in one phrase read as a sum to people, and one letter
away from "Add {x} and {y}" it taught the type read that a sum is a bitwise AND (measured: the gate opened there)."""
# Untrained verbs in the same frames (no addition or division verb: those are the unseen test types).
UNTRAINED_VERBS: tuple[tuple[str, str], ...] = (
    ("subtract", "from"), ("compare", "with"), ("compare", "and"), ("average", "and"), ("swap", "and"),
    ("concatenate", "and"), ("NAND", "with"), ("NOR", "with"), ("XNOR", "with"), ("raise", "to the power"),
    ("exponentiate", "by"), ("shift", "left by"), ("shift", "right by"), ("round", "to the nearest multiple of"),
    ("cube", ", then reduce it modulo"), ("square", ", then subtract"), ("interleave", "and"), ("sort", "and"),
    ("rotate", "left by"), ("pad", "to a width of"), ("truncate", "to"), ("subtract", "minus"),
    ("take the larger of", "and"), ("take the smaller of", "and"), ("reverse the digits of", "and"),
    ("cube", "and take the result mod"), ("compare", "against"),
    ("mirror", "and"), ("merge the digits of", "and"),
)  # fmt: skip
# Operations that are none of the trained ones (and neither addition nor division).
UNTRAINED_WORDS: dict[str, tuple[str, ...]] = {
    "infix": (
        "minus", "-", "**", "to the power of", "<<", ">>", "NAND", "NOR", "XNOR", "max", "min", "choose",
        "raised to the power", "shifted left by", "shifted right by", "cubed mod", "^3 mod", "to the fourth power mod",
        "squared minus", "less", "take away", "==", "!=", ">=", "<", "permute", "NOT-AND",
    ),
    "noun": (
        "difference", "average", "mean", "maximum", "minimum", "absolute difference", "NAND", "NOR",
        "geometric mean", "larger", "smaller", "median", "harmonic mean", "binomial coefficient", "distance",
        "squared difference", "XNOR", "number of primes between",
    ),
    "call": ("max", "min", "pow", "sub", "diff", "avg", "mean", "comb", "perm", "hypot", "nand", "nor", "abs_diff"),
}  # fmt: skip

_FRAMES = {"infix": INFIX_FRAMES, "noun": NOUN_FRAMES, "call": CALL_FRAMES}
NONSENSE_SYMBOLS: tuple[str, ...] = ("@", "#", "~", "<>", "=>", "∘", "⊗", "⋆", "??", "$", "<=>", "::", "⊙", "▲")
"""Operators that name no operation at all: in a trained frame they must leave the gate shut (an operator the
reader does not know is not one it knows)."""
_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "gl", "kr", "pl", "st", "tr")
_NUCLEI = ("a", "e", "i", "o", "u", "ai", "oo", "ee")
_CODAS = ("", "n", "m", "k", "p", "sh", "x", "rt", "nd", "lf")


def nonsense_words(n: int, *, seed: int = 0) -> tuple[str, ...]:
    """`n` distinct pseudo-words of two syllables ("florpin", "zandex"...), seeded: operation names nobody uses."""
    import random

    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        word = "".join(rng.choice(_ONSETS) + rng.choice(_NUCLEI) for _ in range(2)) + rng.choice(_CODAS)
        out[word] = None
    return tuple(out)


def _fill(frame: str, word: str, *, a: str, b: str, suffix: str = "") -> str:
    """`frame` with the operation word, the operands and the suffix (right after the second operand) in place."""
    if "{y})" in frame:  # a call: the modulus follows the closing parenthesis
        return frame.replace("{op}", word).replace("{y})", b + ")" + suffix, 1).replace("{x}", a)
    return frame.replace("{op}", word).replace("{y}", b + suffix, 1).replace("{x}", a)


def _verb(frame: str, verb: str, conn: str, *, a: str, b: str, suffix: str = "") -> str:
    """`frame` with the verb (capitalised where it opens the sentence; AND, XOR... as written), the operands
    joined by `conn` (", then ..." joins without a space) and the suffix right after the second operand."""
    cap = verb if verb[0].isupper() else verb[0].upper() + verb[1:]
    joined = f"{a}{conn} {b}{suffix}" if conn.startswith(",") else f"{a} {conn} {b}{suffix}"
    return frame.replace("{Verb}", cap).replace("{verb}", verb).replace("{x} {conn} {y}", joined)


def trained_pairs() -> dict[str, tuple[str, ...]]:
    """Per trained type, its templates in the shared frames (slots {x}, {y}, {m})."""
    out: dict[str, tuple[str, ...]] = {}
    for problem_type, by_frame in TRAINED_WORDS.items():
        templates: list[str] = []
        suffix = SUFFIX.get(problem_type, "")
        for frame_kind, words in by_frame.items():
            for frame in _FRAMES[frame_kind]:
                for word in words:
                    templates.append(_fill(frame, word, a="{x}", b="{y}", suffix=suffix))
        for verb, conn in TRAINED_VERBS.get(problem_type, ()):
            a, b = ("{y}", "{x}") if (verb, conn) in SWAPPED_VERBS else ("{x}", "{y}")
            for frame in VERB_FRAMES:
                templates.append(_verb(frame, verb, conn, a=a, b=b, suffix=suffix))
        out[problem_type] = tuple(dict.fromkeys(templates))
    return out


def untrained_pairs() -> tuple[str, ...]:
    """Negative templates: the same frames with untrained operation words (slots {num} and {num2})."""
    out: list[str] = []
    for frame_kind, words in UNTRAINED_WORDS.items():
        for frame in _FRAMES[frame_kind]:
            for word in words:
                out.append(_fill(frame, word, a="{num}", b="{num2}"))
    for verb, conn in UNTRAINED_VERBS:
        for frame in VERB_FRAMES:
            out.append(_verb(frame, verb, conn, a="{num}", b="{num2}"))
    return tuple(dict.fromkeys(out))


def unknown_pairs() -> tuple[str, ...]:
    """Negative templates: the same frames with operators and operation names that mean nothing (pseudo-words,
    stray symbols). They teach the type read that only the trained operations' own words open the gate."""
    words = nonsense_words(40, seed=11)
    out: list[str] = []
    for k, word in enumerate(words):
        frame_kind = ("infix", "noun", "call")[k % 3]
        frames = _FRAMES[frame_kind]
        for j in range(3):
            out.append(_fill(frames[(k + j) % len(frames)], word, a="{num}", b="{num2}"))
    for k, symbol in enumerate(NONSENSE_SYMBOLS):
        for j in range(3):
            out.append(_fill(INFIX_FRAMES[(k + j) % len(INFIX_FRAMES)], symbol, a="{num}", b="{num2}"))
    return tuple(dict.fromkeys(out))
