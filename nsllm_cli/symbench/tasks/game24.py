"""S1 Game 24: combine the given numbers once each with + - * / and parentheses to reach the target.

Data: `game24_dataset/24/24.csv` (the 4nums.com list: Rank, Puzzles, ...; no stored solutions, so the gold answer
comes from a small solver) and the scaling variants `game24_dataset/{T}/{T}_{N}_number.csv` (Rank, Puzzles,
Solutions) with target T and N numbers.

Fix over the original: it checked the number multiset with a regex and then called `eval()` on the left side with
float arithmetic (so `8/(3-8/3)` evaluated to 23.999... and failed). nsllm parses the expression with `ast` and
evaluates it over `fractions.Fraction`, allowing only integer literals and binary + - * /; LaTeX and Unicode
operators are mapped first. The puzzle list is external (4nums.com via Tree-of-Thoughts): no generator.
"""

from __future__ import annotations

import ast
import csv
import itertools
import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_each, register

_EXAMPLES = (
    "Input: 9 10 11 13, Answer: ((10-9)*(11+13)) = 24 Input: 4 10 10 11, Answer: ((4*11)-(10+10)) = 24 "
    "Input: 5 6 13 13, Answer: ((5-(13/13))*6)Input: 2 6 6 7, Answer: ((6+(6*7))/2) Input: 2 6 10 18, "
    "Answer: (2-(6-(10+18)))"
)
_REPLACE = [
    ("\\times", "*"), ("\\cdot", "*"), ("\\div", "/"), ("×", "*"), ("·", "*"), ("÷", "/"), ("−", "-"), ("–", "-"),
    ("\\left", ""), ("\\right", ""), ("[", "("), ("]", ")"), ("$", ""), ("`", ""),
]  # fmt: skip
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_OPS: dict[type, Any] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


class ExpressionError(ValueError):
    """An expression that is not integers joined by binary + - * / and parentheses."""


def normalise(text: str) -> str:
    """Map LaTeX/Unicode operators to Python ones and strip quotes, so the AST parser sees plain arithmetic."""
    for old, new in _REPLACE:
        text = text.replace(old, new)
    while _FRAC.search(text):
        text = _FRAC.sub(r"((\1)/(\2))", text)
    text = text.replace("{", "(").replace("}", ")")
    return " ".join(text.strip().strip("'\"").split())


def evaluate(expr: str, *, unary: bool = False) -> tuple[Fraction, list[int]]:
    """Exact value and the integer literals used; only binary + - * / (and unary minus when `unary`)."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"not an arithmetic expression: {expr!r}") from exc
    numbers: list[int] = []

    def walk(node: ast.AST) -> Fraction:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Div) and right == 0:
                raise ExpressionError("division by zero")
            return Fraction(_OPS[type(node.op)](left, right))
        if isinstance(node, ast.Constant) and type(node.value) is int:
            numbers.append(node.value)
            return Fraction(node.value)
        if unary and isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        raise ExpressionError(f"not allowed: {ast.dump(node)[:60]}")

    try:
        return walk(tree), numbers
    except RecursionError as exc:
        raise ExpressionError("expression nested too deeply") from exc


def solve(numbers: list[int], target: int) -> str | None:
    """One expression over `numbers` reaching `target`: a fast float search whose hits are confirmed exactly."""
    seen: set[tuple[float, ...]] = set()

    def search(items: list[tuple[float, str]]) -> Iterator[str]:
        if len(items) == 1:
            if abs(items[0][0] - target) < 1e-6:
                yield items[0][1]
            return
        key = tuple(sorted(round(v, 9) for v, _ in items))
        if key in seen:
            return
        seen.add(key)
        for i, j in itertools.combinations(range(len(items)), 2):
            (a, ea), (b, eb) = items[i], items[j]
            rest = [items[k] for k in range(len(items)) if k not in (i, j)]
            options = [(a + b, f"({ea}+{eb})"), (a * b, f"({ea}*{eb})"), (a - b, f"({ea}-{eb})"),
                       (b - a, f"({eb}-{ea})")]  # fmt: skip
            if b != 0:
                options.append((a / b, f"({ea}/{eb})"))
            if a != 0:
                options.append((b / a, f"({eb}/{ea})"))
            for value, text in options:
                yield from search([*rest, (value, text)])

    for expr in search([(float(n), str(n)) for n in numbers]):
        if evaluate(expr)[0] == target:
            return expr
    return None


def question_text(numbers: list[int], target: int) -> str:
    """The original prompt (its five worked examples), with the target made explicit for the scaling variants."""
    head = (
        f"Use numbers and basic arithmetic operations (+ - * /) to obtain {target}. Each number should be used only "
        f"once but each number has to be used in the equation. "
    )
    examples = _EXAMPLES if target == 24 else ""
    puzzle = " ".join(map(str, numbers))
    return f"{head}{examples}Input: {puzzle} Answer:\nOutput final answer with the format <<<answer>>>."


def _read_csv(path: Path, need: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read CSV ({exc})") from exc
    if rows and any(col not in rows[0] for col in need):
        raise DataError(f"{path}: expected columns {', '.join(need)}")
    return rows


def _numbers(path: Path, row: int, text: str) -> list[int]:
    try:
        out = [int(t) for t in text.split()]
    except ValueError as exc:
        raise DataError(f"{path}: row {row + 1}: bad puzzle {text!r}") from exc
    if not out:
        raise DataError(f"{path}: row {row + 1}: empty puzzle")
    return out


@register
class Game24(Task):
    name = "game24"
    title = "Game 24"
    code = "S1"
    seen = True
    folder = "game24_dataset"
    external = True

    def load(self, data_dir: Path) -> list[Instance]:
        """`24/24.csv` first (ids `24/<row index>`, as the original's df index), then every `{T}_{N}_number.csv`."""
        root = data_dir / self.folder
        main = root / "24" / "24.csv"
        if not main.is_file():
            raise DataError(f"{main}: no such file")

        def fill(inst: Instance, item: tuple[Path, int, dict[str, str]]) -> None:
            path, i, row = item
            numbers = _numbers(path, i, row["Puzzles"])
            if path == main:
                inst.data = {"numbers": numbers, "target": 24, "rank": row["Rank"],
                             "solved_rate": row.get("Solved rate", "")}  # fmt: skip
            else:
                target, inst.complexity = key(path)
                inst.data = {"numbers": numbers, "target": target, "rank": row["Rank"], "solution": row["Solutions"]}
            inst.question = question_text(numbers, inst.data["target"])

        def key(p: Path) -> tuple[int, int]:
            t, n, _ = p.stem.split("_", 2)
            return int(t), int(n)

        rows = [(f"24/{i}", str(main), (main, i, row)) for i, row in enumerate(_read_csv(main, ("Rank", "Puzzles")))]
        variants = [p for p in root.glob("*/*_number.csv") if re.fullmatch(r"\d+_\d+_number", p.stem)]
        for path in sorted(variants, key=key):
            target, count = key(path)
            for i, row in enumerate(_read_csv(path, ("Rank", "Puzzles", "Solutions"))):
                rows.append((f"{target}_{count}/{i}", str(path), (path, i, row)))
        return load_each(self, rows, fill)

    def parse(self, text: str) -> Any | None:
        block = last_answer(text)
        return None if block is None else normalise(block)

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, str) or not answer.strip():
            return Verdict.wrong("no expression")
        target = Fraction(instance.data["target"])
        parts = normalise(answer).split("=")
        try:
            value, used = evaluate(parts[0])
            for side in parts[1:]:
                if evaluate(side, unary=True)[0] != target:
                    return Verdict.wrong(f"right-hand side {side.strip()!r} is not {target}")
        except ExpressionError as exc:
            return Verdict.wrong(str(exc))
        if sorted(used) != sorted(instance.data["numbers"]):
            return Verdict.wrong(f"uses {sorted(used)}, expected {sorted(instance.data['numbers'])}")
        if value != target:
            return Verdict.wrong(f"evaluates to {value}, not {target}")
        return Verdict.ok()

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: regex `\\d+` multiset on the left side and float evaluation compared with `==` (no `eval` here)."""
        if not isinstance(answer, str):
            return Verdict.wrong("no expression")
        text = answer if "=" in answer else answer + " = " + str(instance.data["target"])
        parts = text.split("=")
        left, right = parts[0], parts[-1]
        try:
            if float(evaluate(normalise(right), unary=True)[0]) != instance.data["target"]:
                return Verdict.wrong("right-hand side differs")
        except ExpressionError as exc:
            return Verdict.wrong(str(exc))
        if sorted(int(x) for x in re.findall(r"\d+", left)) != sorted(instance.data["numbers"]):
            return Verdict.wrong("number multiset differs")
        try:
            value = _float_eval(normalise(left))
        except (ExpressionError, ZeroDivisionError) as exc:
            return Verdict.wrong(str(exc))
        return Verdict.ok() if value == instance.data["target"] else Verdict.wrong(f"evaluates to {value}")

    def gold_answer(self, instance: Instance) -> str:
        stored = instance.data.get("solution")
        expr = stored if stored else solve(list(instance.data["numbers"]), int(instance.data["target"]))
        if expr is None:
            raise DataError(f"{instance.source}: {instance.id}: no solution for {instance.data['numbers']}")
        return f"<<<{expr} = {instance.data['target']}>>>"


def _float_eval(expr: str) -> float:
    """Float evaluation as Python's `eval` would do it (the original's rule), over a whitelisted AST."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except (SyntaxError, ValueError) as exc:
        raise ExpressionError(f"not an arithmetic expression: {expr!r}") from exc

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = walk(node.left), walk(node.right)
            return float(left / right) if isinstance(node.op, ast.Div) else float(_OPS[type(node.op)](left, right))
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        raise ExpressionError("not allowed in the original either")

    try:
        return walk(tree)
    except RecursionError as exc:
        raise ExpressionError("expression nested too deeply") from exc
