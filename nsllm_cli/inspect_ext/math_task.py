"""`nsllm/math`: the questions, prompts and wordings of `nsllm bench math` as an Inspect task.

The samples are the test questions of `bench math` (`ns.bench_questions.test_problems`, same seed, same types, no
question a trained run saw) in the chat `bench math` sends (`ns.bench.bench_prompt`: the paper's 2-shot prompt or
the question alone, in the paper's wording or a train or held-out paraphrase). The scorer is the bench's exact
match: `strict` (the whole answer is the integer, the paper's rule) and `lenient` (the first integer in it); with
`method=cot`, the 'Final Answer' line for both. `strict` is also reported per problem type.

The method of `bench math` is the model here: `--model nsllm/embedded` is `base`, `--model nsllm/ns:<run>` is `ns`.

Options (`-T`), as in the CLI: per_type, limit, data, complexity, shots, prompt, wording, slice, seed, ns_run (a
finetune run whose training questions are left out, as `--ns-run` does), method (base or cot),
cot_max_new_tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspect_ai import Task, task
from inspect_ai._util.error import PrerequisiteError  # private, but the one error Inspect prints as one line
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessage, GenerateConfig
from inspect_ai.scorer import Score, Scorer, Target, grouped, mean, scorer, stderr
from inspect_ai.solver import TaskState, generate

from nsllm_cli.inspect_ext.bridge import chat_messages
from nsllm_cli.inspect_ext.namespace import in_namespace

METHODS = ("base", "cot")
"""The prompting methods of `bench math` that need no trained artefact (ns is a model: nsllm/ns:<run>)."""


@task
@in_namespace
def math(
    per_type: int = 50,
    limit: int | None = None,
    data: str | None = None,
    complexity: int = 2,
    shots: int = 2,
    prompt: str = "two-shot",
    wording: str = "paper",
    slice: str | None = None,  # noqa: A002 - the CLI's option name (--slice)
    seed: int | None = None,
    ns_run: str | None = None,
    method: str = "base",
    cot_max_new_tokens: int = 256,
) -> Task:
    """The integer problems of `bench math`, scored by strict and lenient exact match.

    Args:
        per_type: generated questions per type (all 10 types).
        limit: keep at most N questions.
        data: a test CSV, or a split folder (its test file), instead of generated questions.
        complexity: digits of the operands (1-4).
        shots: same-type examples in the two-shot prompt.
        prompt: two-shot (the paper's) or chat (the question alone).
        wording: paper, train (paraphrases NS trains on) or heldout (families it never saw).
        slice: zero or one-digit questions only.
        seed: the seed of the questions, examples and paraphrases (default: nsllm's settings).
        ns_run: a finetune run whose training questions are never asked.
        method: base (answer only) or cot (step by step, then 'Final Answer: N').
        cot_max_new_tokens: the answer budget of cot.
    """
    from nsllm_cli.config import load_settings
    from nsllm_cli.ns.bench import PROMPTS, WORDINGS
    from nsllm_cli.ns.bench_questions import test_problems
    from nsllm_cli.ns.sampling import SLICES

    for name, value, allowed in (
        ("prompt", prompt, PROMPTS),
        ("wording", wording, WORDINGS),
        ("method", method, METHODS),
        ("slice", slice, (None, *SLICES)),
    ):
        if value not in allowed:
            raise PrerequisiteError(f"unknown -T {name}={value}: use {', '.join(str(a) for a in allowed if a)}")
    if slice is not None and data is not None:
        raise PrerequisiteError("-T slice draws its own questions; leave out -T data")
    runs = [Path(ns_run).expanduser()] if ns_run else []
    for run in runs:
        from nsllm_cli.providers.ns_run import read_ns_run

        read_ns_run(run)  # a wrong folder fails before any question is drawn
    s = load_settings(None)
    test_seed = s.seed if seed is None else int(seed)
    problems = test_problems(
        Path(data).expanduser() if data else None,
        per_type=per_type,
        seed=test_seed,
        complexity=complexity,
        runs=runs,
        slice_=slice,
        wording=wording,
    )[:limit]
    if not problems:
        raise PrerequisiteError(f"no test questions in {data}")
    options = {"prompt": prompt, "wording": wording, "seed": test_seed, "complexity": complexity, "shots": shots}
    samples = [_sample(i, p, method=method, **options) for i, p in enumerate(problems)]
    budget = cot_max_new_tokens if method == "cot" else complexity + 5
    return Task(
        dataset=MemoryDataset(samples, name="nsllm-math"),
        solver=generate(),
        scorer=math_scorer(method=method),
        config=GenerateConfig(temperature=0.0, max_tokens=budget),
        metadata={**options, "method": method, "questions": len(samples)},
    )


def _sample(index: int, problem: Any, *, method: str, **options: Any) -> Sample:
    """One question in the chat `bench math` sends, with the gold integer as the target."""
    from nsllm_cli.ns.bench import bench_prompt
    from nsllm_cli.ns.prompts import cot_messages

    if method == "cot":
        messages, question, family = cot_messages(problem), problem.question, f"{problem.problem_type}/paper"
    else:
        messages, question, family = bench_prompt(problem, **options)
    chat: list[ChatMessage] = chat_messages(messages)
    return Sample(
        id=index,
        input=chat,
        target=str(problem.solution),
        metadata={
            "problem_type": problem.problem_type,
            "x": problem.x,
            "y": problem.y,
            "question": question,
            "family": family,
        },
    )


@scorer(metrics={"strict": [mean(), stderr(), grouped(mean(), "problem_type")], "lenient": [mean(), stderr()]})
@in_namespace
def math_scorer(method: str = "base") -> Scorer:
    """`bench math`'s exact match: strict (the whole answer is the integer) and lenient (its first integer).

    Args:
        method: base, or cot (both read the 'Final Answer' line).
    """

    async def score(state: TaskState, target: Target) -> Score:
        from nsllm_cli.ns.prompts import parse_cot, parse_lenient, parse_strict

        text = state.output.completion
        gold = int(target.text)
        strict = parse_cot(text) if method == "cot" else parse_strict(text)
        lenient = strict if method == "cot" else parse_lenient(text)
        return Score(
            value={"strict": float(strict == gold), "lenient": float(lenient == gold)},
            answer=text.strip(),
            explanation=f"strict read {strict}, lenient read {lenient}, gold {gold}",
        )

    return score
