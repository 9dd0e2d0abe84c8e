"""Story word problems composed from plots: several scenes times several questions per trained operation.

A word problem names its operation only through its question ("how many are left over?", "what is the longest
piece?"), so a type read that has seen three or four word problems per type learns those sentences, not the
questions. Each plot here is a set of interchangeable scenes and a set of questions that fit every one of them;
a story family is one scene with one question, and the bitwise plots share their scenes, so the question alone
separates AND, OR and XOR (minimal pairs inside word problems). Scenes name the operands in both orders, so roles
come from the meaning ("boxes of {y}" is the divisor wherever it stands). Nouns come from slots (`_slots.POOLS`).

Addition and division never appear: they are the unseen test types. Questions avoid the words of the unseen
operations' own questions ("in total", "altogether", "how many full ..."), which would make a trained story the
minimal-pair neighbour of an unseen one.
"""

from __future__ import annotations

from nsllm_cli.ns.wordings._scenes import as_negative

Plot = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # (scenes, questions, near misses)

_BIT_SCENES: tuple[str, ...] = (
    "A {device} stores its settings as the bit pattern {x}, and a second {device} stores {y}.",
    "User A has the permission mask {x} and user B has the mask {y}.",
    "Register R1 holds {x} and register R2 holds {y}.",
    "Two rows of lamps encode the numbers {x} and {y} in binary, one lamp per bit.",
    "{person} writes {x} and {y} in base 2, one under the other.",
)

_BIT_NEAR_MISSES: tuple[str, ...] = (
    "Which bits are set in the first but not in the second? Give that number.",
    "How many bits are set in the first?",
    "Which number has the first one's bits flipped within the same width?",
)

PLOTS: dict[str, tuple[Plot, ...]] = {
    "multiplication": (
        (
            (
                "A theatre has {x} rows with {y} seats in each row.",
                "{person} stacks {x} crates, and each crate holds {y} {things}.",
                "There are {y} {things} in every one of {x} identical {box}.",
            ),
            (
                "How many are there counting every one, modulo {m}?",
                "What is that number of items mod {m}?",
                "Give the product of the two counts, reduced mod {m}.",
            ),
            (
                "How many are there in a single group?",
                "If one group were taken away, how many groups would be left?",
                "What is the difference between the two counts?",
            ),
        ),
        (
            (
                "A car drives at {x} km per hour for {y} hours.",
                "A machine makes {x} parts an hour and runs for {y} hours.",
            ),
            ("What does that come to, modulo {m}?", "Multiply it out and give the answer mod {m}."),
            (
                "How much longer than the other number is the larger one?",
                "Which of the two numbers is odd?",
            ),
        ),
    ),
    "modulo": (
        (
            (
                "{person} has {x} {things} and packs them into {box} of {y}.",
                "{x} {things} are shared equally among {y} friends, each getting as many as possible.",
                "The {box} hold {y} {things} each, and {person} fills as many as possible from {x} {things}.",
                "A crowd of {x} people lines up in rows of {y}.",
            ),
            (
                "How many are left over at the end?",
                "How many remain once no more can be shared out?",
                "How many are spare?",
                "What is the remainder?",
            ),
            (
                "How many more would be needed to fill one more group?",
                "How many end up packed in complete groups?",
                "Is the number of items even or odd?",
            ),
        ),
        (
            (
                "A timer counts {x} seconds on a clock face that wraps around every {y} seconds.",
                "A wheel with {y} positions is turned forward {x} steps from position 0.",
            ),
            ("Where does it stop?", "At which position does it end up?"),
            (
                "How many steps back lead to position 0?",
                "How many positions are there?",
            ),
        ),
    ),
    "gcd": (
        (
            (
                "{person} has {x} red {things} and {y} blue {things}.",
                "A shop has {y} pens and {x} pencils to put into identical gift sets.",
            ),
            (
                "What is the largest number of identical groups that use all of them?",
                "How many equal sets, at most, can be made with none left over?",
            ),
            (
                "How many more red ones are there than blue ones?",
                "Which count is smaller?",
            ),
        ),
        (
            (
                "A hall is {x} cm long and {y} cm wide.",
                "Two ropes are {x} m and {y} m long.",
                "Two planks are {y} cm and {x} cm long.",
            ),
            (
                "Which greatest length measures both exactly, with nothing wasted?",
                "Find the longest whole unit that fits both lengths a whole number of times.",
            ),
            (
                "How much longer is one than the other?",
                "Which one is shorter?",
            ),
        ),
    ),
    "lcm": (
        (
            (
                "Two lighthouses flash every {x} and every {y} seconds, and just flashed together.",
                "{person} swims every {x} days and cycles every {y} days, and did both today.",
                "Gears with {x} and {y} teeth turn against each other, marked teeth touching.",
            ),
            (
                "When do both happen together again for the first time? Give it mod {m}.",
                "What is the first time they coincide again, modulo {m}?",
            ),
            (
                "How many times does the first happen before they coincide?",
                "How much longer is the longer interval?",
            ),
        ),
        (
            (
                "Plates come in stacks of {x} and cups in sets of {y}.",
                "Tiles are {x} cm wide and bricks are {y} cm wide.",
            ),
            (
                "Which smallest amount do both divide evenly, modulo {m}?",
                "Name the smallest number that is a multiple of each, mod {m}.",
            ),
            (
                "How many more are in the larger pack than in the smaller?",
                "Which pack is larger?",
            ),
        ),
    ),
    "square_mod": (
        (
            (
                "A square field is {x} m on each side and its area is split into plots of {y} square metres.",
                "{person} lays {things} in a square of {x} rows and {x} columns, then packs them in {box} of {y}.",
                "The {box} take {y} {things} each, and a square grid of {x} by {x} {things} is packed into them.",
            ),
            ("How much is left over?", "What remains once every container is full?"),
            (
                "What is the whole area or count before packing?",
                "How many more would fill one more container?",
            ),
        ),
        (
            ("A number {x} is multiplied by itself.", "{person} squares the number {x}."),
            ("What remains after dividing the result by {y}?", "What is the remainder of that on division by {y}?"),
            (
                "What is that square?",
                "How many digits does the result have?",
            ),
        ),
    ),
    "bitwise_and": (
        (
            _BIT_SCENES,
            (
                "Which number has a 1 only in the positions where both have a 1?",
                "If you keep the bits that are set in both, what number is left?",
            ),
            _BIT_NEAR_MISSES,
        ),
    ),
    "bitwise_or": (
        (
            _BIT_SCENES,
            (
                "Which number has a 1 in every position where at least one of them has a 1?",
                "If you switch on every bit that is set in either, what number do you get?",
            ),
            _BIT_NEAR_MISSES,
        ),
    ),
    "bitwise_xor": (
        (
            _BIT_SCENES,
            (
                "Which number has a 1 exactly in the positions where they differ?",
                "If you keep the bits that are set in one but not both, what number is left?",
            ),
            _BIT_NEAR_MISSES,
        ),
    ),
}


def near_misses() -> tuple[str, ...]:
    """Negative templates (operand and modulus slots as in `_scenes.as_negative`): every plot's scenes with its
    near-miss questions, operations no run trains (the rest after packing, how many more, popcount, AND NOT, ...)
    asked in a trained story's own words, so that a story's scene and its kind of question do not decide the type
    alone."""
    out = [
        as_negative(f"{s} {q}") for plots in PLOTS.values() for scenes, _, near in plots for s in scenes for q in near
    ]
    return tuple(dict.fromkeys(out))


def story_forms() -> dict[str, tuple[str, ...]]:
    """Per trained operation, every scene of its plots with every question of the same plot."""
    return {
        t: tuple(f"{s} {q}" for scenes, questions, _ in plots for s in scenes for q in questions)
        for t, plots in PLOTS.items()
    }
