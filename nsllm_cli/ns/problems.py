"""The 10 integer problem types: their operations, wordings and the `Problem` record (spec §2).

Complexity c puts operands in ``[1, 10**(c+1) - 1]`` and makes "mod 1000" mean ``mod 10**(c+1)``.
Addition and integer division are the *unseen* types: the generator (`ns.splits`) never puts them in train
or val, so they measure whether the symbolic path generalises to operations it was never tuned on. The
seeded splits live in `ns.splits`, the dataset CSV in `ns.dataset`.

Example:
    >>> p = make_problem("gcd", 120, 84)
    >>> p.question, p.solution, p.problem_type in TRAIN_TYPES
    ('What is the GCD of 120 and 84?', 12, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

PROBLEM_TYPES: tuple[str, ...] = (
    "addition", "multiplication", "division", "modulo", "gcd",
    "lcm", "square_mod", "bitwise_and", "bitwise_xor", "bitwise_or",
)  # fmt: skip
EXTRA_TYPES: tuple[str, ...] = ("subtraction", "power_mod")
"""Operations beyond the paper's 10 that the steps recipe can train (`--ops all`): x - y (negative results too) and
x to the power y, mod m. Not in the paper's data; where a run does not train them they are "other maths" negatives."""
ALL_TYPES: tuple[str, ...] = PROBLEM_TYPES + EXTRA_TYPES
UNSEEN_TYPES: tuple[str, ...] = ("addition", "division")
TRAIN_TYPES: tuple[str, ...] = tuple(t for t in PROBLEM_TYPES if t not in UNSEEN_TYPES)
COMMUTATIVE: frozenset[str] = frozenset(
    {"addition", "multiplication", "gcd", "lcm", "bitwise_and", "bitwise_xor", "bitwise_or"}
)
_MOD_LIMITED = ("multiplication", "lcm")
MODULUS_TYPES: tuple[str, ...] = _MOD_LIMITED
"""The types whose paper questions carry a modulus ("... mod 1000"); the steps recipe also asks them exactly."""
MODULUS_REQUIRED: tuple[str, ...] = ("power_mod",)
"""The types that always name a modulus (x^y mod m): 10**(c+1) unless another one is given."""
MAX_RESULT_DIGITS = 40
"""`apply` refuses (OverflowError) a result longer than this instead of computing a huge power: no writer spells it."""

OPS: dict[str, Callable[[int, int], int]] = {
    "addition": lambda x, y: x + y,
    "multiplication": lambda x, y: x * y,
    "division": lambda x, y: x // y if y else 0,
    "modulo": lambda x, y: x % y if y else 0,
    "gcd": math.gcd,
    "lcm": math.lcm,
    "square_mod": lambda x, y: (x * x) % y if y else 0,
    "bitwise_and": lambda x, y: x & y,
    "bitwise_xor": lambda x, y: x ^ y,
    "bitwise_or": lambda x, y: x | y,
    "subtraction": lambda x, y: x - y,
    "power_mod": lambda x, y: x**y,  # the modulus is applied by `apply` (pow(x, y, m), never the whole power)
}

# Index 0 is the original wording (spec §2); the others are our own paraphrases for robustness tests.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "addition": ("What is {x} plus {y}?", "What is the sum of {x} and {y}?", "{x} + {y} = ?"),
    "multiplication": (
        "What is {x} times {y} mod {m}?",
        "What is the product of {x} and {y}, modulo {m}?",
        "Compute ({x} * {y}) mod {m}.",
    ),
    "division": (
        "What is {x} // {y}?",
        "What is the integer quotient of {x} divided by {y}?",
        "Compute floor({x} / {y}).",
    ),
    "modulo": ("What is {x} mod {y}?", "What is the remainder when {x} is divided by {y}?", "{x} % {y} = ?"),
    "gcd": ("What is the GCD of {x} and {y}?", "gcd({x}, {y}) = ?", "Find the greatest common divisor of {x} and {y}."),
    "lcm": (
        "What is the LCM of {x} and {y} mod {m}?",
        "What is the least common multiple of {x} and {y}, modulo {m}?",
        "lcm({x}, {y}) mod {m} = ?",
    ),
    "square_mod": ("What is {x}^2 mod {y}?", "What is {x} squared modulo {y}?", "Compute ({x} * {x}) mod {y}."),
    "bitwise_and": ("What is {x} AND {y}?", "What is the bitwise AND of {x} and {y}?", "{x} & {y} = ?"),
    "bitwise_xor": ("What is {x} XOR {y}?", "What is the bitwise XOR of {x} and {y}?", "{x} ^ {y} = ?"),
    "bitwise_or": ("What is {x} OR {y}?", "What is the bitwise OR of {x} and {y}?", "{x} | {y} = ?"),
    "subtraction": ("What is {x} minus {y}?", "What is {y} subtracted from {x}?", "{x} - {y} = ?"),
    "power_mod": (
        "What is {x}^{y} mod {m}?",
        "What is {x} to the power of {y}, modulo {m}?",
        "Compute pow({x}, {y}, {m}).",
    ),
}


EXACT_TEMPLATES: dict[str, str] = {
    "multiplication": "What is {x} times {y}?",
    "lcm": "What is the LCM of {x} and {y}?",
}
"""The paper wording of a `MODULUS_TYPES` question asked without a modulus (its exact answer)."""


def check_type(problem_type: str) -> None:
    """Raise ValueError naming the known types when `problem_type` is not one of them."""
    if problem_type not in OPS:
        raise ValueError(f"unknown problem type {problem_type!r} (known: {', '.join(ALL_TYPES)})")


def solve(problem_type: str, x: int, y: int, *, complexity: int = 2, limit_solution_digits: bool = True) -> int:
    """The exact answer, as the symbolic step of NS computes it.

    Args:
        problem_type: One of `PROBLEM_TYPES`.
        x: First operand.
        y: Second operand; division, modulo and square_mod by 0 give 0 instead of raising.
        complexity: Sets the "mod 1000" of multiplication and lcm to ``mod 10**(c+1)``.
        limit_solution_digits: Reduce multiplication and lcm so answers stay as short as the operands.

    Returns:
        The integer answer.

    Raises:
        ValueError: `problem_type` is not a known type.
    """
    check_type(problem_type)
    if problem_type in MODULUS_REQUIRED:
        return apply(problem_type, x, y, 10 ** (complexity + 1))
    value = OPS[problem_type](x, y)
    if limit_solution_digits and problem_type in _MOD_LIMITED:
        value %= 10 ** (complexity + 1)
    return value


def question_text(problem_type: str, x: int, y: int, *, complexity: int = 2, paraphrase: int | None = None) -> str:
    """The question wording: the original CSV text, or paraphrase `i` of `TEMPLATES[problem_type]`.

    Raises:
        ValueError: unknown type, or a paraphrase index the type does not have.
    """
    check_type(problem_type)
    templates = TEMPLATES[problem_type]
    index = paraphrase or 0
    if not 0 <= index < len(templates):
        raise ValueError(f"{problem_type} has paraphrases 0..{len(templates) - 1}, not {index}")
    return templates[index].format(x=x, y=y, m=10 ** (complexity + 1))


def result_digits(complexity: int) -> int:
    """The most digits a result of two operands of up to c + 1 digits has (a whole product): what the steps recipe's
    writer must be able to spell."""
    return 2 * (complexity + 1)


def apply(problem_type: str, x: int, y: int, modulus: int | None = None) -> int:
    """The symbolic step of the steps recipe: op(x, y) exactly, then reduced by `modulus` where one was read.

    Raises:
        ValueError: `problem_type` is not a known type, or `modulus` is 0 or negative.
        OverflowError: a power without a modulus longer than `MAX_RESULT_DIGITS`.
    """
    check_type(problem_type)
    if modulus is not None and modulus <= 0:
        raise ValueError(f"a modulus must be positive, got {modulus}")
    if problem_type == "power_mod":
        if modulus:
            return pow(x, y, modulus)
        if y * math.log10(max(x, 2)) > MAX_RESULT_DIGITS:
            raise OverflowError(f"{x}^{y} has more than {MAX_RESULT_DIGITS} digits")
    value = OPS[problem_type](x, y)
    return value % modulus if modulus else value


@dataclass(frozen=True)
class Problem:
    """One question with its answer; `row` is its 0-based index in its CSV or generated split."""

    problem_type: str
    x: int
    y: int
    question: str
    solution: int
    row: int = -1
    modulus: int | None = None
    """The modulus the question names ("x times y mod 1000"); None where it names none (every type but multiplication
    and lcm in the paper's data, and their exact questions)."""

    @property
    def type_index(self) -> int:
        """Position in `ALL_TYPES` (the paper's 10 first): the P_i atom of the VSA and the class id of type decoding."""
        return ALL_TYPES.index(self.problem_type)

    @property
    def key(self) -> tuple[str, int, int]:
        """``(problem_type, x, y)``: what de-duplication and split disjointness compare."""
        return (self.problem_type, self.x, self.y)


def make_problem(
    problem_type: str,
    x: int,
    y: int,
    *,
    complexity: int = 2,
    row: int = -1,
    paraphrase: int | None = None,
    exact: bool = False,
    modulus: int | None = None,
) -> Problem:
    """A Problem with its question and solution computed (the generator's and the tests' constructor).

    For multiplication and lcm (nothing changes for the other types): `exact` asks without a modulus ("What is 656
    times 236?": 154816), `modulus` with another modulus than the paper's 10**(c+1) ("What is 656 times 236 mod
    7?")."""
    if exact and problem_type in MODULUS_TYPES:
        question = EXACT_TEMPLATES[problem_type].format(x=x, y=y)
        return Problem(problem_type, x, y, question, apply(problem_type, x, y), row)
    if modulus is not None and problem_type in MODULUS_TYPES + MODULUS_REQUIRED:
        question = TEMPLATES[problem_type][paraphrase or 0].format(x=x, y=y, m=modulus)
        return Problem(problem_type, x, y, question, apply(problem_type, x, y, modulus), row, modulus)
    modulus = 10 ** (complexity + 1) if problem_type in MODULUS_TYPES + MODULUS_REQUIRED else None
    return Problem(
        problem_type,
        x,
        y,
        question_text(problem_type, x, y, complexity=complexity, paraphrase=paraphrase),
        solve(problem_type, x, y, complexity=complexity),
        row,
        modulus,
    )


def exact_variants(problems: Sequence[Problem], *, complexity: int = 2) -> list[Problem]:
    """Every second multiplication and lcm question (in their order, per type) asked exactly, the others kept: a
    bench of the steps recipe's modulus role, which reads "mod 1000" where it is written and nothing where not."""
    seen: dict[str, int] = {}
    out = []
    for p in problems:
        if p.problem_type in MODULUS_TYPES:
            seen[p.problem_type] = seen.get(p.problem_type, 0) + 1
            if seen[p.problem_type] % 2 == 0:
                p = make_problem(p.problem_type, p.x, p.y, complexity=complexity, row=p.row, exact=True)
        out.append(p)
    return out


def is_unseen(problem_type: str) -> bool:
    """Unseen types must never train (spec defect 17)."""
    return problem_type in UNSEEN_TYPES


OPS_PRESETS: dict[str, tuple[str, ...]] = {"paper": TRAIN_TYPES, "all": ALL_TYPES}
"""Named operation sets for `--ops`: `paper` is the paper's 8 trained types (addition and division unseen), `all`
every operation the steps recipe knows (the paper's 10, subtraction and power modulo)."""


def resolve_ops(spec: str) -> tuple[str, ...]:
    """The operations a run trains, in `PROBLEM_TYPES` order, from `--ops`: a preset name, or a comma list of
    types and presets (``paper,addition``). The types it leaves out are the run's unseen types: `bench` measures the
    gate on them.

    Raises:
        ValueError: an unknown name, or no operation at all.
    """
    names = [part.strip() for part in spec.split(",") if part.strip()]
    chosen: set[str] = set()
    for name in names:
        if name in OPS_PRESETS:
            chosen.update(OPS_PRESETS[name])
        elif name in OPS:
            chosen.add(name)
        else:
            known = ", ".join((*OPS_PRESETS, *ALL_TYPES))
            raise ValueError(f"unknown operation {name!r} in --ops {spec!r} (known: {known})")
    if not chosen:
        raise ValueError(f"--ops {spec!r} names no operation")
    return tuple(t for t in ALL_TYPES if t in chosen)


def unseen_of(ops: Sequence[str]) -> tuple[str, ...]:
    """The paper's problem types a run with these trained operations never saw: they measure the gate. Subtraction
    and power modulo, where a run does not train them, are among its "other maths" negatives instead (as in the
    paper's protocol, where they teach the gate what *none* looks like)."""
    return tuple(t for t in PROBLEM_TYPES if t not in ops)
