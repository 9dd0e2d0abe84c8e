"""The seeded 2-shot prompt, the CoT prompt and the answer parsers."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.ns.problems import make_problem
from nsllm_cli.ns.prompts import (
    SYSTEM_PROMPT,
    cot_messages,
    few_shot_examples,
    ns_messages,
    parse_cot,
    parse_lenient,
    parse_strict,
    render_prompt,
)


def test_few_shot_examples_are_seeded_same_type_and_sorted() -> None:
    p = make_problem("gcd", 866, 47, row=3)
    a = few_shot_examples(p, seed=0)
    assert a == few_shot_examples(p, seed=0)
    assert a != few_shot_examples(p, seed=1)
    assert a != few_shot_examples(make_problem("gcd", 866, 47, row=4), seed=0)
    for question, _answer in a:
        assert question.startswith("What is the GCD of")
        x, y = (int(w) for w in question.removeprefix("What is the GCD of ").rstrip("?").split(" and "))
        assert x >= y and (x, y) != (866, 47)


def test_ns_messages_shape() -> None:
    p = make_problem("bitwise_or", 500, 20)
    msgs = ns_messages(p, seed=0)
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert msgs[-1]["content"] == p.question
    assert all(m["content"].isdigit() for m in msgs if m["role"] == "assistant")
    assert "Final Answer" in cot_messages(p)[0]["content"] and "decimal" in cot_messages(p)[1]["content"]


def test_render_with_the_real_template(tiny_dir: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_dir))
    text = render_prompt(tok, ns_messages(make_problem("gcd", 10, 4), seed=0))
    assert text.endswith("<|im_start|>assistant\n")
    assert SYSTEM_PROMPT in text and "named SmolLM" not in text


def test_parsers() -> None:
    assert parse_strict(" 47\n") == 47 and parse_strict("47.") is None and parse_strict("1,000") is None
    assert parse_strict("-3") == -3 and parse_strict("The answer is 47") is None
    assert parse_lenient("The answer is 47.") == 47 and parse_lenient("none") is None
    assert parse_cot("so...\nFinal Answer: **123**\nFinal Answer: 5") == 123
    assert parse_cot("Final answer 5") is None
