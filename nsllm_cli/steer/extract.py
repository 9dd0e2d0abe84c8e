"""Pull code and answers out of model text: fenced Python blocks and the `<<<...>>>` answer format.

The loop only ever runs the FIRST Python block of an answer (codesteer.md §2), so models that write a
sketch followed by a fix are judged by the sketch, as in the paper. Unterminated fences (answers cut
off by a token cap) still count: the block runs to the end of the text.

Example:
    >>> first_code_block("Reasoning...\\n```python\\nprint(6 * 7)\\n```")
    'print(6 * 7)'
    >>> last_answer("so the result is <<<42>>>")
    '42'
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

PYTHON_TAGS = frozenset({"python", "py", "python3", "py3"})
"""Fence info strings that mark a Python block (compared lower-case, first word only)."""

_ANSWER = re.compile(r"<<<(.*?)>>>", re.DOTALL)
_INFO_WORD = re.compile(r"[A-Za-z0-9_+\-.]*")


@dataclass(frozen=True)
class CodeBlock:
    """One fenced block: its language tag (lower-case, '' when bare), its text, and whether it was closed."""

    lang: str
    code: str
    closed: bool = True

    @property
    def is_python_tagged(self) -> bool:
        return self.lang in PYTHON_TAGS


def fenced_blocks(text: str) -> list[CodeBlock]:
    """Every ``` fenced block in order, with any language; an unterminated last fence runs to the end."""
    blocks: list[CodeBlock] = []
    lang: str | None = None
    fence = ""
    body: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if lang is None:
            if stripped.startswith("```"):
                fence = stripped[: len(stripped) - len(stripped.lstrip("`"))]
                info = stripped[len(fence) :].strip()
                if "`" in info:  # inline ```code``` on one line, not a block fence
                    continue
                match = _INFO_WORD.match(info)
                lang = (match.group(0) if match else "").lower()
                body = []
            continue
        if stripped.startswith(fence) and not stripped.lstrip("`"):
            blocks.append(CodeBlock(lang, textwrap.dedent("\n".join(body)).strip("\n")))
            lang = None
        else:
            body.append(line)
    if lang is not None:
        blocks.append(CodeBlock(lang, textwrap.dedent("\n".join(body)).strip("\n"), closed=False))
    return blocks


def _looks_like_program(code: str) -> bool:
    """A bare fence counts as Python only if it parses and does something (not just a literal or a name)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return any(not isinstance(stmt, ast.Expr) or isinstance(stmt.value, ast.Call) for stmt in tree.body)


def python_blocks(text: str) -> list[str]:
    """The Python blocks of an answer, in order.

    Blocks tagged python/py/python3 win; only when there are none do bare ``` blocks count, and then only
    those that parse as a program (so fenced output such as `[1, 2, 3]` or `<<<42>>>` is never run).
    Blocks in other languages (bash, json, text, output) never count.
    """
    blocks = fenced_blocks(text)
    tagged = [b.code for b in blocks if b.is_python_tagged and b.code.strip()]
    if tagged:
        return tagged
    return [b.code for b in blocks if b.lang == "" and b.code.strip() and _looks_like_program(b.code)]


def first_code_block(text: str) -> str | None:
    """The block the loop analyses and runs: the first Python block, or None when there is none."""
    blocks = python_blocks(text)
    return blocks[0] if blocks else None


def strip_code(text: str) -> str:
    """The answer with every fenced block removed, so `print("<<<x>>>")` in code is not read as the answer."""
    out: list[str] = []
    in_block = False
    fence = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not in_block and stripped.startswith("```") and "`" not in stripped.lstrip("`"):
            in_block = True
            fence = stripped[: len(stripped) - len(stripped.lstrip("`"))]
            continue
        if in_block:
            if stripped.startswith(fence) and not stripped.lstrip("`"):
                in_block = False
            continue
        out.append(line)
    return "\n".join(out)


def all_answers(text: str) -> list[str]:
    """Every `<<<...>>>` content in order, stripped."""
    return [m.strip() for m in _ANSWER.findall(text)]


def last_answer(text: str, *, outside_code: bool = True) -> str | None:
    """The content of the LAST `<<<...>>>` (as the original's extractor), or None.

    Args:
        text: a model answer or program output.
        outside_code: ignore `<<<...>>>` inside fenced blocks (a format string in code is not an answer).
    """
    found = all_answers(strip_code(text) if outside_code else text)
    return found[-1] if found else None
