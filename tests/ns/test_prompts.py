"""The seeded 2-shot prompt, the CoT prompt and the answer parsers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nsllm_cli.ns.problems import PROBLEM_TYPES, TEMPLATES, make_problem, solve
from nsllm_cli.ns.prompts import (
    COT_SYSTEM_PROMPT,
    SYSTEM_PROMPT,
    answer_text,
    cot_messages,
    few_shot_examples,
    ns_messages,
    parse_cot,
    parse_lenient,
    parse_strict,
    render_prompt,
)


def operands(problem_type: str, question: str) -> tuple[int, int]:
    """Read x, y back out of an original-wording question."""
    pattern = re.escape(TEMPLATES[problem_type][0]).replace(r"\{x\}", r"(\d+)").replace(r"\{y\}", r"(\d+)")
    match = re.fullmatch(pattern.replace(r"\{m\}", r"\d+"), question)
    assert match, question
    return int(match.group(1)), int(match.group(2))


@pytest.mark.parametrize("problem_type", PROBLEM_TYPES)
def test_few_shot_examples_are_same_type_sorted_and_solved(problem_type: str) -> None:
    p = make_problem(problem_type, 866, 47, row=3)
    shots = few_shot_examples(p, seed=0, k=4)
    assert len(shots) == 4 and len({q for q, _ in shots}) == 4
    for question, answer in shots:
        x, y = operands(problem_type, question)
        assert 999 >= x >= y >= 1 and (x, y) != (866, 47)
        assert answer == solve(problem_type, x, y)


def test_few_shot_examples_are_seeded_per_question() -> None:
    p = make_problem("gcd", 866, 47, row=3)
    a = few_shot_examples(p, seed=0)
    assert a == few_shot_examples(make_problem("gcd", 866, 47, row=3), seed=0)
    assert a != few_shot_examples(p, seed=1)
    assert a != few_shot_examples(make_problem("gcd", 866, 47, row=4), seed=0)
    assert a != few_shot_examples(make_problem("gcd", 866, 48, row=3), seed=0)
    assert [q.split(" of ")[0] for q, _ in few_shot_examples(make_problem("lcm", 866, 47, row=3), seed=0)] == [
        "What is the LCM"
    ] * 2


def test_few_shot_examples_never_repeat_the_query() -> None:
    """With one-digit operands the draw often hits the query; it must be skipped, in either order."""
    for row in range(200):
        for p in (
            make_problem("gcd", 3, 7, complexity=0, row=row),
            make_problem("modulo", 7, 3, complexity=0, row=row),
        ):
            for question, _ in few_shot_examples(p, seed=0, complexity=0, k=3):
                assert operands(p.problem_type, question) not in {(3, 7), (7, 3)}


def test_few_shot_operands_follow_complexity() -> None:
    shots = few_shot_examples(make_problem("bitwise_or", 5000, 20, complexity=3), seed=0, complexity=3, k=20)
    xs = [operands("bitwise_or", q)[0] for q, _ in shots]
    assert max(xs) > 999 and all(x < 10_000 for x in xs)


def test_ns_messages_shape() -> None:
    p = make_problem("bitwise_or", 500, 20, paraphrase=2)
    msgs = ns_messages(p, seed=0)
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert msgs[0]["content"] == SYSTEM_PROMPT and msgs[-1]["content"] == p.question == "500 | 20 = ?"
    assert all(m["content"].isdigit() for m in msgs if m["role"] == "assistant")
    assert [m["role"] for m in ns_messages(p, seed=0, shots=0)] == ["system", "user"]
    assert answer_text(866) == "866"


def test_system_prompts_say_what_the_spec_asks() -> None:
    assert "without commas" in SYSTEM_PROMPT and "same format" in SYSTEM_PROMPT
    assert "step by step" in COT_SYSTEM_PROMPT and "Final Answer: <integer>" in COT_SYSTEM_PROMPT


def test_cot_messages() -> None:
    system, user = cot_messages(make_problem("bitwise_or", 500, 20))
    assert system == {"role": "system", "content": COT_SYSTEM_PROMPT}
    assert user["content"] == "Solve step by step: What is 500 OR 20? Give the final answer in decimal."
    assert "decimal" not in cot_messages(make_problem("gcd", 500, 20))[1]["content"]


def test_render_with_the_real_template(tiny_dir: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_dir))
    p = make_problem("gcd", 10, 4)
    text = render_prompt(tok, ns_messages(p, seed=0))
    assert text.endswith("<|im_start|>assistant\n") and text.count("<|im_start|>assistant\n") == 3
    assert SYSTEM_PROMPT in text and "SmolLM" not in text and p.question in text
    assert render_prompt(tok, cot_messages(p)).endswith("<|im_start|>assistant\n")


@pytest.mark.parametrize(
    ("text", "strict", "lenient"),
    [
        ("47", 47, 47),
        (" 47\n", 47, 47),
        ("47.", None, 47),
        ("The answer is 47", None, 47),
        ("-3", -3, -3),
        ("1,000", None, 1),
        ("", None, None),
        ("none", None, None),
        ("12 and 13", None, 12),
    ],
)
def test_parsers(text: str, strict: int | None, lenient: int | None) -> None:
    assert parse_strict(text) == strict and parse_lenient(text) == lenient


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("so...\nFinal Answer: **123**\nFinal Answer: 5", 123),
        ("Final Answer: 42", 42),
        ("Final Answer:-7", -7),
        ("**Final Answer:** 9", 9),  # bold markers around the label
        ("Final answer 5", None),
        ("no answer", None),
    ],
)
def test_parse_cot(text: str, value: int | None) -> None:
    assert parse_cot(text) == value
