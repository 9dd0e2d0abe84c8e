"""U6 Combinatorial Calculation: keep the numbers in order, insert + - * / and parentheses to reach the target.

Spec row U6. Original: the number multiset, an operator whitelist, balanced parentheses and
`math.isclose(eval(expr), target, rel_tol=1e-9)`. Fix: an AST evaluator over `Fraction` (no `eval`), exact equality,
the numbers in the given order (the question forbids reordering) and no unary signs. Any valid expression passes.
"""

from __future__ import annotations

import ast
import math
import random
import re
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[-+*/()]")
_OPS = {ast.Add: Fraction.__add__, ast.Sub: Fraction.__sub__, ast.Mult: Fraction.__mul__, ast.Div: Fraction.__truediv__}
_SIZES = {1: (3, 10), 2: (4, 24), 3: (5, 78), 4: (6, 100), 5: (8, 200)}
"""complexity -> (count of numbers, rough target scale)."""


class _Bad(ValueError):
    pass


def evaluate(node: ast.AST, unary: bool = False) -> Fraction:
    """Exact value of an arithmetic AST of integers and + - * /; anything else raises ValueError."""
    if isinstance(node, ast.Expression):
        return evaluate(node.body, unary)
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return Fraction(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = evaluate(node.left, unary), evaluate(node.right, unary)
        if isinstance(node.op, ast.Div) and right == 0:
            raise _Bad("division by zero")
        return _OPS[type(node.op)](left, right)
    if unary and isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = evaluate(node.operand, unary)
        return -value if isinstance(node.op, ast.USub) else value
    raise _Bad(f"not allowed: {ast.dump(node)[:40]}")


def check_tokens(tokens: list[str], numbers: list[int], target: float, paper: bool = False) -> str:
    """Why the token list fails ("" when it reaches the target); `paper` checks only the multiset, like the original."""
    used = [int(t) for t in tokens if t.isdigit()]
    if any(not t.isdigit() and t not in "+-*/()" for t in tokens):
        return "a token is neither an integer nor an operator"
    if paper:
        if Counter(used) != Counter(int(n) for n in numbers):
            return f"numbers {used} are not the given multiset {numbers}"
    elif used != [int(n) for n in numbers]:
        return f"numbers {used} differ from the given order {numbers}"
    try:
        tree = ast.parse(" ".join(tokens), mode="eval")
        value = evaluate(tree, unary=paper)
    except (SyntaxError, ValueError) as exc:
        return f"not a valid expression ({exc})"
    if paper:
        return "" if math.isclose(float(value), float(target), rel_tol=1e-9) else f"value {float(value)} != {target}"
    return "" if value == Fraction(str(target)) else f"value {value} != {target}"


def _build(rng: random.Random, numbers: list[int]) -> tuple[list[str], Fraction]:
    """A random expression over `numbers` in order: tokens and exact value."""
    if len(numbers) == 1:
        return [str(numbers[0])], Fraction(numbers[0])
    cut = rng.randint(1, len(numbers) - 1)
    lt, lv = _build(rng, numbers[:cut])
    rt, rv = _build(rng, numbers[cut:])
    ops = ["+", "-", "*"] + (["/"] if rv != 0 and (lv / rv).denominator == 1 else [])
    op = rng.choice(ops)
    value = {"+": lv + rv, "-": lv - rv, "*": lv * rv, "/": lv / rv if rv else Fraction(0)}[op]
    if len(lt) > 1:
        lt = ["(", *lt, ")"]
    if len(rt) > 1:
        rt = ["(", *rt, ")"]
    return [*lt, op, *rt], value


@register
class CombinatorialCalculation(Task):
    name = "combinatorial_calculation"
    title = "Combinatorial Calculation"
    code = "U6"
    seen = False
    folder = "combinatorial_calculation"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            try:
                [int(n) for n in inst.data["numbers"]], float(inst.data["target"]), list(inst.data["solution"])
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{inst.source}/solution.json: malformed data ({exc})") from exc

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """More numbers with complexity (3, 4, 5, 6, 8); the target is the value of a random positive expression."""
        rng = random.Random(seed)
        count, scale = _SIZES[min(max(complexity, 1), 5)]
        out = []
        for i in range(n):
            while True:
                numbers = [rng.randint(1, 9) for _ in range(count)]
                tokens, value = _build(rng, numbers)
                if value.denominator == 1 and 0 < value <= 4 * scale:
                    break
            target = int(value)
            question = (
                f"Here are {count} integers between 1 and 9 in a fixed order: {', '.join(map(str, numbers))}. Insert "
                "arithmetic operators (+, -, *, /) and parentheses between them, keeping their order and using each "
                f"exactly once, so that the expression equals {target}. Numbers may not be joined into longer numbers "
                "and no sign may be put in front of a number.\n"
                "Answer with the expression as a list of numbers and symbols, e.g. <<<[4, -, (, 6, *, 9, )]>>> for "
                "4-(6*9)."
            )
            data = {"numbers": numbers, "target": target, "solution": tokens, "complexity": complexity}
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        """Tokens of the last block: integers, + - * / ( ); x and ÷ are read as * and /; quotes are ignored."""
        block = last_answer(text)
        if block is None:
            return None
        block = block.replace("×", "*").replace("÷", "/").replace("−", "-")
        return _TOKEN.findall(block)

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, list) or not answer:
            return Verdict.wrong("no answer expression")
        why = check_tokens([str(t) for t in answer], instance.data["numbers"], instance.data["target"])
        return Verdict.wrong(why) if why else Verdict.ok()

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: number multiset (any order), whitelist, balance and `isclose(rel 1e-9)`; unary signs allowed."""
        if not isinstance(answer, list) or not answer:
            return Verdict.wrong("no answer expression")
        why = check_tokens([str(t) for t in answer], instance.data["numbers"], instance.data["target"], paper=True)
        return Verdict.wrong(why) if why else Verdict.ok()

    def gold_answer(self, instance: Instance) -> str:
        return "<<<[" + ", ".join(str(t) for t in instance.data["solution"]) + "]>>>"
