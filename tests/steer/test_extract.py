"""Code and answer extraction from model text."""

from __future__ import annotations

from nsllm_cli.steer.extract import fenced_blocks, first_code_block, last_answer, python_blocks, strip_code


def test_first_python_block_is_the_one_taken() -> None:
    text = "Plan.\n```python\nprint(1)\n```\nA fix:\n```python\nprint(2)\n```"
    assert python_blocks(text) == ["print(1)", "print(2)"]
    assert first_code_block(text) == "print(1)"


def test_tags_py_python3_and_capitals_count() -> None:
    for tag in ("py", "python3", "Python", "python title='x.py'"):
        assert first_code_block(f"```{tag}\nx = 1\nprint(x)\n```") == "x = 1\nprint(x)", tag


def test_other_languages_are_ignored() -> None:
    text = "```bash\nls -la\n```\n```json\n{\"a\": 1}\n```\n```text\nprint('not python')\n```"
    assert first_code_block(text) is None


def test_unterminated_fence_runs_to_the_end() -> None:
    blocks = fenced_blocks("Intro\n```python\nfor i in range(3):\n    print(i)")
    assert len(blocks) == 1 and not blocks[0].closed
    assert first_code_block("Intro\n```python\nfor i in range(3):\n    print(i)") == "for i in range(3):\n    print(i)"


def test_bare_fence_counts_only_when_it_is_a_program_and_nothing_is_tagged() -> None:
    assert first_code_block("```\nimport math\nprint(math.pi)\n```") == "import math\nprint(math.pi)"
    assert first_code_block("Output:\n```\n[1, 2, 3]\n```") is None
    assert first_code_block("```\n<<<42>>>\n```") is None
    tagged_later = "```\nprint('bare')\n```\n```python\nprint('tagged')\n```"
    assert first_code_block(tagged_later) == "print('tagged')"


def test_indented_fences_are_dedented() -> None:
    text = "1. Run this:\n   ```python\n   x = 2\n   print(x * 3)\n   ```\n"
    assert first_code_block(text) == "x = 2\nprint(x * 3)"


def test_inline_triple_backticks_are_not_fences() -> None:
    assert fenced_blocks("use ```print(1)``` inline") == []


def test_last_answer_ignores_code_and_takes_the_last() -> None:
    text = "```python\nprint(f'<<<{x}>>>')\n```\nFirst <<<1>>>, finally <<< 2, 3 >>>."
    assert last_answer(text) == "2, 3"
    assert last_answer("```python\nprint('<<<7>>>')\n```") is None
    assert last_answer("<<<7>>>\n", outside_code=False) == "7"
    assert last_answer("no answer here") is None
    assert last_answer("<<<a\nb>>>") == "a\nb"


def test_strip_code_keeps_the_text() -> None:
    assert strip_code("a\n```python\nb\n```\nc") == "a\nc"
