"""Prompts of the neurosymbolic pipeline: the seeded 2-shot chat, the CoT prompt, and answer parsers."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from nsllm_cli.ns.problems import PROBLEM_TYPES, Problem, make_problem

SYSTEM_PROMPT = (
    "You are a precise math assistant. Answer with the final integer only, written without commas, "
    "in exactly the same format as your earlier answers."
)
COT_SYSTEM_PROMPT = (
    "You are a careful math assistant. Reason step by step, then finish with one line of the form "
    "'Final Answer: <integer>'."
)
COT_RE = re.compile(r"Final Answer:\s*\**\s*(-?\d+)")
INT_RE = re.compile(r"-?\d+")


def few_shot_examples(problem: Problem, *, seed: int, complexity: int = 2, k: int = 2) -> list[tuple[str, int]]:
    """`k` (question, answer) pairs of the query's type, seeded per question, never the query itself."""
    key = [seed, PROBLEM_TYPES.index(problem.problem_type), problem.x, problem.y, max(problem.row, 0)]
    rng = np.random.default_rng(np.random.SeedSequence(key))
    high = 10 ** (complexity + 1)
    shots: list[tuple[str, int]] = []
    while len(shots) < k:
        x, y = sorted((int(v) for v in rng.integers(1, high, size=2)), reverse=True)
        if (x, y) == (problem.x, problem.y):
            continue
        p = make_problem(problem.problem_type, x, y, complexity=complexity)
        shots.append((p.question, p.solution))
    return shots


def ns_messages(problem: Problem, *, seed: int, complexity: int = 2, shots: int = 2) -> list[dict[str, str]]:
    """System + same-type examples + the query (the CSV question)."""
    messages = [{"role": "system", "content": SYSTEM_PROMPT}]
    for question, answer in few_shot_examples(problem, seed=seed, complexity=complexity, k=shots):
        messages += [{"role": "user", "content": question}, {"role": "assistant", "content": answer_text(answer)}]
    return [*messages, {"role": "user", "content": problem.question}]


def cot_messages(problem: Problem) -> list[dict[str, str]]:
    """No examples: reason step by step, end with 'Final Answer: N' (bitwise answers asked in decimal)."""
    extra = " Give the final answer in decimal." if problem.problem_type.startswith("bitwise") else ""
    return [
        {"role": "system", "content": COT_SYSTEM_PROMPT},
        {"role": "user", "content": f"Solve step by step: {problem.question}{extra}"},
    ]


def render_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The chat template with the generation prompt; its last token is where NS reads and writes."""
    return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))


def answer_text(solution: int) -> str:
    """The gold assistant turn."""
    return str(int(solution))


def parse_strict(text: str) -> int | None:
    """The paper's rule: the whole stripped text is one integer."""
    try:
        return int(text.strip())
    except ValueError:
        return None


def parse_lenient(text: str) -> int | None:
    """The first integer in the text."""
    match = INT_RE.search(text)
    return int(match.group()) if match else None


def parse_cot(text: str) -> int | None:
    """The first 'Final Answer: N'."""
    match = COT_RE.search(text)
    return int(match.group(1)) if match else None
