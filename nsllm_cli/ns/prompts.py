"""Prompts of the neurosymbolic pipeline (spec §4, §9, §10): the seeded 2-shot chat, CoT, answer parsers.

Gather, NS fine-tuning and every non-CoT baseline must see byte-identical prompts, so the few-shot
examples are a pure function of (run seed, question) instead of the original's unseeded draw.

Example:
    >>> p = make_problem("gcd", 866, 47, row=3)
    >>> text = render_prompt(tokenizer, ns_messages(p, seed=0))
    >>> parse_strict(" 1\\n"), parse_lenient("It is 1."), parse_cot("Final Answer: **1**")
    (1, 1, 1)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from nsllm_cli.ns.problems import COMMUTATIVE, Problem, make_problem

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
    """`k` solved examples of the query's type, seeded per question (spec §14 item 12).

    The seed mixes the run seed with the question's type, operands and row, so examples differ
    between questions yet are identical in gather, finetune and bench.

    Args:
        problem: The query; its type picks the examples' type.
        seed: The run seed (>= 0).
        complexity: Operands drawn in ``[1, 10**(c+1))``.
        k: Number of examples.

    Returns:
        ``(question, answer)`` pairs with operands sorted descending, all different from each other
        and from the query (in either operand order), in the original wording.
    """
    key = [seed, problem.type_index, problem.x, problem.y, max(problem.row, 0)]
    rng = np.random.default_rng(np.random.SeedSequence(key))
    high = 10 ** (complexity + 1)
    banned = {(problem.x, problem.y)}
    if problem.problem_type in COMMUTATIVE:
        banned.add((problem.y, problem.x))
    shots: list[tuple[str, int]] = []
    while len(shots) < k:
        x, y = sorted((int(v) for v in rng.integers(1, high, size=2)), reverse=True)
        if (x, y) in banned:
            continue
        banned.add((x, y))
        example = make_problem(
            problem.problem_type, x, y, complexity=complexity, exact=problem.modulus is None, modulus=problem.modulus
        )
        shots.append((example.question, example.solution))
    return shots


def ns_messages(problem: Problem, *, seed: int, complexity: int = 2, shots: int = 2) -> list[dict[str, str]]:
    """The non-CoT chat: system, `shots` (user, assistant) example pairs, then the query's own question."""
    messages = [{"role": "system", "content": SYSTEM_PROMPT}]
    for question, answer in few_shot_examples(problem, seed=seed, complexity=complexity, k=shots):
        messages += [{"role": "user", "content": question}, {"role": "assistant", "content": answer_text(answer)}]
    return [*messages, {"role": "user", "content": problem.question}]


def cot_messages(problem: Problem) -> list[dict[str, str]]:
    """The CoT baseline chat: no examples; bitwise questions also ask for a decimal answer.

    Without that request models often answer bitwise questions in binary, which `parse_cot` cannot
    score.
    """
    extra = " Give the final answer in decimal." if problem.problem_type.startswith("bitwise") else ""
    return [
        {"role": "system", "content": COT_SYSTEM_PROMPT},
        {"role": "user", "content": f"Solve step by step: {problem.question}{extra}"},
    ]


def render_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The chat template with the generation prompt; its last token is where NS reads and writes.

    Always passing a system message keeps templates such as SmolLM2's from inserting their own.
    """
    return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))


def answer_text(solution: int) -> str:
    """The gold assistant turn: the bare integer, as the few-shot answers show it."""
    return str(int(solution))


def parse_strict(text: str) -> int | None:
    """The paper's rule: the whole stripped text is one integer (``int()``), else None."""
    try:
        return int(text.strip())
    except ValueError:
        return None


def parse_lenient(text: str) -> int | None:
    """The first integer in the text (so "47." and "The answer is 47" score; "1,000" reads as 1)."""
    match = INT_RE.search(text)
    return int(match.group()) if match else None


def parse_cot(text: str) -> int | None:
    """The first ``Final Answer: N`` (bold markers allowed); None when the model never wrote one."""
    match = COT_RE.search(text)
    return int(match.group(1)) if match else None


def messages_for(
    question: str, fmt: str, *, shots: Sequence[tuple[str, int]] = (), system: str | None = None
) -> list[dict[str, str]]:
    """The chat for a question in format `fmt` (`shots` are the earlier exchanges of two-shot/multi)."""
    if fmt == "chat":
        return [{"role": "user", "content": question}]
    head = [{"role": "system", "content": system or SYSTEM_PROMPT}] if fmt == "two-shot" else []
    for q, a in shots:
        head += [{"role": "user", "content": q}, {"role": "assistant", "content": answer_text(a)}]
    return [*head, {"role": "user", "content": question}]
