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

Plot = tuple[tuple[str, ...], tuple[str, ...]]  # (scenes, questions)

_BIT_SCENES: tuple[str, ...] = (
    "A {device} stores its settings as the bit pattern {x}, and a second {device} stores {y}.",
    "User A has the permission mask {x} and user B has the mask {y}.",
    "Register R1 holds {x} and register R2 holds {y}.",
    "Two rows of lamps encode the numbers {x} and {y} in binary, one lamp per bit.",
    "{person} writes {x} and {y} in base 2, one under the other.",
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
        ),
        (
            (
                "A car drives at {x} km per hour for {y} hours.",
                "A machine makes {x} parts an hour and runs for {y} hours.",
            ),
            ("What does that come to, modulo {m}?", "Multiply it out and give the answer mod {m}."),
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
        ),
        (
            (
                "A timer counts {x} seconds on a clock face that wraps around every {y} seconds.",
                "A wheel with {y} positions is turned forward {x} steps from position 0.",
            ),
            ("Where does it stop?", "At which position does it end up?"),
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
        ),
        (
            ("A number {x} is multiplied by itself.", "{person} squares the number {x}."),
            ("What remains after dividing the result by {y}?", "What is the remainder of that on division by {y}?"),
        ),
    ),
    "bitwise_and": (
        (
            _BIT_SCENES,
            (
                "Which number has a 1 only in the positions where both have a 1?",
                "If you keep the bits that are set in both, what number is left?",
            ),
        ),
    ),
    "bitwise_or": (
        (
            _BIT_SCENES,
            (
                "Which number has a 1 in every position where at least one of them has a 1?",
                "If you switch on every bit that is set in either, what number do you get?",
            ),
        ),
    ),
    "bitwise_xor": (
        (
            _BIT_SCENES,
            (
                "Which number has a 1 exactly in the positions where they differ?",
                "If you keep the bits that are set in one but not both, what number is left?",
            ),
        ),
    ),
}


def story_forms() -> dict[str, tuple[str, ...]]:
    """Per trained operation, every scene of its plots with every question of the same plot."""
    return {
        t: tuple(f"{s} {q}" for scenes, questions in plots for s in scenes for q in questions)
        for t, plots in PLOTS.items()
    }
