r"""S11 MATH Geometry: competition geometry; the target is the last `\boxed{}` of the stored solution.

Fix over the original: a GPT-4o judge compared answers; nsllm decides equivalence deterministically: the
normalised strings match (Hendrycks-style normalisation: `\dfrac`, `\left`, `^\circ`, `\$`, units text, thousands
separators, `x=` prefixes), or both sides evaluate to the same value (a small LaTeX-to-AST evaluator over
`fractions.Fraction`, exact where possible, floats for `\sqrt`/`\pi`, free variables sampled at fixed points;
tuples compared element-wise). No sympy and no `eval()`, so the result never depends on what is installed.

This module also holds the MATH helpers shared with S12 (MATH Counting & Probability).
"""

from __future__ import annotations

import ast
import math
import operator
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_each, read_json, register

MATH_FORMAT = (
    "Give the final answer in simplest exact form (LaTeX allowed, e.g. \\frac{3}{4} or 2\\sqrt{3}) "
    "in the form <<<answer>>>."
)
_FUNCS = {"sqrt": math.sqrt, "sin": math.sin, "cos": math.cos, "tan": math.tan, "ln": math.log, "log": math.log10}
_CONSTS = {"pi": math.pi}
_COMMANDS = {"cdot": "*", "times": "*", "div": "/", "pi": "pi", "sin": "sin", "cos": "cos", "tan": "tan",
             "ln": "ln", "log": "log"}  # fmt: skip
_POINTS: tuple[dict[str, float], ...] = ({}, {"shift": 0.731})


def last_boxed(text: str) -> str | None:
    r"""Content of the last `\boxed{...}` / `\fbox{...}` (brace-matched), or of `\boxed x`; None if absent."""
    starts = [m for m in re.finditer(r"\\(?:boxed|fbox)", text)]
    if not starts:
        return None
    i = starts[-1].end()
    rest = text[i:]
    if not rest.lstrip().startswith("{"):
        m = re.match(r"\s+([^\s$]+)", rest)
        return m.group(1) if m else None
    i += rest.index("{")
    depth = 0
    for k in range(i, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 : k]
    return None


def _brace_arg(s: str, i: int) -> tuple[str, int] | None:
    """The argument starting at `s[i]`: a `{...}` group or one character; returns (arg, index after)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return None
    if s[i] != "{":
        return s[i], i + 1
    depth = 0
    for k in range(i, len(s)):
        depth += {"{": 1, "}": -1}.get(s[k], 0)
        if depth == 0:
            return s[i + 1 : k], k + 1
    return None


def _fix_fracs(s: str) -> str:
    r"""`\frac12` / `\frac1{2}` -> `\frac{1}{2}`, `\sqrt3` -> `\sqrt{3}`."""
    s = re.sub(r"\\sqrt\s*(\w)", r"\\sqrt{\1}", s)
    out, i = [], 0
    while True:
        j = s.find("\\frac", i)
        if j < 0:
            out.append(s[i:])
            return "".join(out)
        out.append(s[i:j])
        a = _brace_arg(s, j + 5)
        b = _brace_arg(s, a[1]) if a else None
        if not a or not b:
            out.append(s[j:])
            return "".join(out)
        out.append("\\frac{" + _fix_fracs(a[0]) + "}{" + _fix_fracs(b[0]) + "}")
        i = b[1]


def normalise(answer: str) -> str:
    """Hendrycks-style string normalisation of a MATH answer."""
    s = answer.strip().strip("$").strip()
    s = re.sub(r"(?<=\d),\\!(?=\d{3})", "", s)
    s = s.replace("\n", "").replace("\\!", "").replace("\\,", "").replace("\\;", "").replace("\\ ", "")
    s = s.replace("\\\\", "\\").replace("tfrac", "frac").replace("dfrac", "frac")
    s = s.replace("\\left", "").replace("\\right", "").replace("\\displaystyle", "")
    s = re.sub(r"\^\s*\{?\\circ\}?", "", s).replace("°", "")
    s = s.replace("\\$", "").replace("$", "").replace("\\%", "").replace("%", "")
    s = re.sub(r"\\(?:text|textbf|mbox|mathrm)\{\s*(?:square\s+)?(?:units?|inches|inch|feet|foot|cm|m|meters?|"
               r"degrees?|sq\.?\s*units|centimeters?|miles?|dollars?|cents?)\s*\^?\s*\d?\}", "", s)  # fmt: skip
    s = re.sub(r"\\(?:text|textbf|mbox|mathrm)\{([^{}]*)\}", r"\1", s)
    s = _fix_fracs(s)
    s = s.replace(" ", "").rstrip(".")
    if re.fullmatch(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?", s):
        s = s.replace(",", "")
    m = re.fullmatch(r"[A-Za-z]\w*(?:\([^()]*\))?=(.+)", s)
    if m and "=" not in m.group(1):
        s = m.group(1)
    s = re.sub(r"(?<![\d.])\.(\d)", r"0.\1", s)
    return s


def _to_python(s: str) -> str | None:
    """A normalised LaTeX answer as a Python expression string (only + - * / ** calls and names), or None."""
    out, i = [], 0
    while i < len(s):
        if s.startswith("\\frac", i):
            a = _brace_arg(s, i + 5)
            b = _brace_arg(s, a[1]) if a else None
            if not a or not b:
                return None
            num, den = _to_python(a[0]), _to_python(b[0])
            if num is None or den is None:
                return None
            out.append(f"(({num})/({den}))")
            i = b[1]
        elif s.startswith("\\sqrt", i):
            k = i + 5
            root = "2"
            if k < len(s) and s[k] == "[":
                end = s.find("]", k)
                if end < 0:
                    return None
                root, k = s[k + 1 : end], end + 1
            a = _brace_arg(s, k)
            inner = _to_python(a[0]) if a else None
            if a is None or inner is None:
                return None
            out.append(f"sqrt({inner})" if root == "2" else f"(({inner})**(1/({root})))")
            i = a[1]
        elif s[i] == "\\":
            # spaces are gone after normalisation, so `\pi a` reads `\pia`: match known commands by prefix
            cmd = next((c for c in _COMMANDS if s.startswith(c, i + 1)), None)
            if cmd is None:
                return None
            word = _COMMANDS[cmd]
            i += len(cmd) + 1
            out.append(f" {word} ")
        else:
            ch = {"{": "(", "}": ")", "^": "**", "[": "(", "]": ")"}.get(s[i], s[i])
            out.append(ch)
            i += 1
    return _implicit_mul(re.sub(r"(?<![\d.])0+(?=\d)", "", "".join(out)))


_TOKEN = re.compile(r"\s*(\d+\.\d*|\.\d+|\d+|[A-Za-z]+|\*\*|[-+*/()]|.)")


def _implicit_mul(expr: str) -> str | None:
    """Insert `*` where LaTeX multiplies by juxtaposition (`2x`, `3(x+1)`, `)(`, `2 pi`); split `bx` into `b*x`."""
    tokens: list[str] = []
    for tok in _TOKEN.findall(expr):
        if tok.isalpha() and tok not in _FUNCS and tok not in _CONSTS:
            tokens.extend(tok)
        elif tok.strip():
            tokens.append(tok)
    out: list[str] = []
    for tok in tokens:
        if out:
            prev = out[-1]
            left = prev == ")" or prev[0].isdigit() or prev[0] == "." or (prev.isalpha() and prev not in _FUNCS)
            right = tok == "(" or tok[0].isdigit() or tok[0] == "." or tok.isalpha()
            if left and right:
                out.append("*")
        out.append(tok)
    return "".join(out)


_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _eval(node: ast.AST, env: dict[str, float]) -> Fraction | float:
    """Fraction arithmetic where exact, floats otherwise; anything outside the small grammar raises ValueError."""
    if isinstance(node, ast.Expression):
        return _eval(node.body, env)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return Fraction(str(node.value))
    if isinstance(node, ast.Name):
        if node.id in _CONSTS:
            return _CONSTS[node.id]
        if node.id in env:
            return env[node.id]
        raise ValueError(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _eval(node.operand, env)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, env), _eval(node.right, env)
        if isinstance(node.op, ast.Pow):
            if isinstance(right, Fraction) and right.denominator == 1 and abs(right) <= 4096:
                if isinstance(left, Fraction) and abs(left.numerator) > 10**9 and abs(right) > 64:
                    raise ValueError("too large")
                if left == 0 and right < 0:
                    raise ValueError("division by zero")
                powered: Fraction | float = left ** int(right)
                return powered
            result: Any = float(left) ** float(right)
            if not isinstance(result, float):
                raise ValueError("complex")
            return result
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise ValueError("operator")
        if isinstance(node.op, ast.Div) and right == 0:
            raise ValueError("division by zero")
        if isinstance(left, Fraction) and isinstance(right, Fraction):
            return op(left, right)  # type: ignore[no-any-return]
        return float(op(float(left), float(right)))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCS
        and len(node.args) == 1
    ):
        arg = float(_eval(node.args[0], env))
        if node.func.id == "sqrt" and arg >= 0:
            root = math.isqrt(int(arg)) if float(arg).is_integer() and arg < 2**52 else None
            if root is not None and root * root == int(arg):
                return Fraction(root)
        return float(_FUNCS[node.func.id](arg))
    raise ValueError(type(node).__name__)


def _values(s: str) -> list[Fraction | float] | None:
    """The expression's value at each sample point (free variables take fixed values), or None if not numeric."""
    expr = _to_python(s)
    if not expr or len(expr) > 500:
        return None
    try:
        tree = ast.parse(expr, mode="eval")
        names = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - set(_FUNCS) - set(_CONSTS))
        out = []
        for point in _POINTS:
            shift = point.get("shift", 0.0)
            env = {name: 1.3 + sum((j + 1) * ord(c) for j, c in enumerate(name)) % 89 / 31 + shift for name in names}
            out.append(_eval(tree, env))
        return out
    except (SyntaxError, ValueError, TypeError, OverflowError, ZeroDivisionError, RecursionError):
        return None


def _same_value(a: Fraction | float, b: Fraction | float) -> bool:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    fa, fb = float(a), float(b)
    return math.isfinite(fa) and math.isfinite(fb) and math.isclose(fa, fb, rel_tol=1e-9, abs_tol=1e-12)


def _split_top(s: str) -> list[str] | None:
    """Elements of a bracketed tuple/interval `(a,b)` split at top-level commas; None if `s` is not one."""
    if len(s) < 2 or s[0] not in "([" or s[-1] not in ")]":
        return None
    parts, depth, cur = [], 0, ""
    for ch in s[1:-1]:
        depth += 1 if ch in "([{" else -1 if ch in ")]}" else 0
        if depth < 0:
            return None
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts if len(parts) > 1 and depth == 0 else None


def _set_items(s: str) -> list[str] | None:
    r"""Elements of a set `\{a,b\}` (order does not matter), or None."""
    if s.startswith("\\{") and s.endswith("\\}"):
        inner = _split_top("(" + s[2:-2] + ")")
        return inner if inner is not None else [s[2:-2]]
    return None


def equivalent(answer: str, target: str) -> bool:
    """Normalised strings match, or tuples match element-wise, or both sides have the same value."""
    a, b = normalise(answer), normalise(target)
    if not a:
        return False
    if a == b:
        return True
    sa, sb = _set_items(a), _set_items(b)
    if sa is not None or sb is not None:
        if sa is None or sb is None or len(sa) != len(sb):
            return False
        rest = list(sb)
        for x in sa:
            hit = next((k for k, y in enumerate(rest) if equivalent(x, y)), None)
            if hit is None:
                return False
            rest.pop(hit)
        return True
    ta, tb = _split_top(a), _split_top(b)
    if ta is not None or tb is not None:
        if ta is None or tb is None or len(ta) != len(tb) or (a[0], a[-1]) != (b[0], b[-1]):
            return False
        return all(equivalent(x, y) for x, y in zip(ta, tb, strict=True))
    va, vb = _values(a), _values(b)
    if va is None or vb is None:
        return False
    return all(_same_value(x, y) for x, y in zip(va, vb, strict=True))


def parse_math(text: str) -> str | None:
    r"""The last `<<<...>>>` block (a `\boxed{}` inside it is unwrapped); else the last `\boxed{}` of the text."""
    block = last_answer(text)
    if block is None:
        return last_boxed(text or "")
    inner = last_boxed(block)
    block = inner if inner is not None else block
    return block.strip().strip("\"'`").strip() or None


def load_math(task: Task, data_dir: Path) -> list[Instance]:
    """`MATH/train/<subject>/{id}.json` `{problem, level, type, solution}` in numeric id order; id = file stem."""
    folder = data_dir / task.folder
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder")
    files = sorted(folder.glob("*.json"), key=lambda p: (int(p.stem) if p.stem.isdigit() else 10**12, p.stem))

    def fill(inst: Instance, path: Path) -> None:
        row = read_json(path)
        if (
            not isinstance(row, dict)
            or not isinstance(row.get("problem"), str)
            or not isinstance(row.get("solution"), str)
        ):
            raise DataError(f"{path}: expected an object with 'problem' and 'solution' strings")
        target = last_boxed(row["solution"])
        if target is None:
            raise DataError(f"{path}: the solution has no \\boxed{{}} answer")
        level = re.search(r"\d+", str(row.get("level", "")))
        inst.question, inst.data = f"{row['problem']}\n\n{MATH_FORMAT}", {**row, "target": target}
        inst.complexity = int(level.group()) if level else None

    return load_each(task, ((path.stem, str(path), path) for path in files), fill)


class MathTask(Task):
    """Shared behaviour of the two MATH subjects."""

    seen = True
    external = True

    def load(self, data_dir: Path) -> list[Instance]:
        return load_math(self, data_dir)

    def parse(self, text: str) -> Any | None:
        return parse_math(text)

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, str) or not answer.strip():
            return Verdict.wrong("no answer")
        target = instance.data["target"]
        return Verdict.ok() if equivalent(answer, target) else Verdict.wrong(f"{answer!r} is not {target!r}")

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: a GPT-4o judge; offline, the closest reproduction is the same equivalence check."""
        return self.verify(instance, answer)

    def gold_answer(self, instance: Instance) -> str:
        return f"<<<{instance.data['target']}>>>"


@register
class MathGeometry(MathTask):
    name = "math_geometry"
    title = "MATH Geometry"
    code = "S11"
    folder = "MATH/train/geometry"
