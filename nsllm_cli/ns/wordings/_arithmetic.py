"""Training wording families of addition, multiplication, integer division and modulo (slots: see `_registry`)."""

from __future__ import annotations

ARITHMETIC_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
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
            # the divisor first: the role comes from the meaning, not the order
            "Boxes hold {y} eggs each. A farmer has {x} eggs and fills as many boxes as he can. How many eggs are "
            "left over?",
            "A minibus seats {y}. When {x} hikers ride in full minibuses only, how many hikers are left?",
            "With groups of {y}, how many of the {x} students end up in no group?",
            "Packs of {y} stickers are made from {x} stickers. How many stickers are left over?",
        ),
        "chat": ("whats {x} mod {y}", "{x} % {y}?? quick", "remainder of {x} / {y} pls"),
    },
}
