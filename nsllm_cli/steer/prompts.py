"""Prompts of the steering loop (own wording; requirements in codesteer.md §3) and its control tokens.

Control tokens are matched exactly (see :func:`control_of`): a guidance that merely *mentions* stopping,
such as "do not terminate yet", never ends the loop (the original's substring test did, codesteer.md §14.4).

Example:
    >>> control_of("The answer checks out. <<<Return Answer>>>")
    'Return Answer'
    >>> control_of("Do not Terminate yet; <<<Try a search over all orders instead>>>") is None
    True
"""

from __future__ import annotations

import re
from typing import Final, Literal

from nsllm_cli.steer.extract import all_answers

CODE: Final = "Code"
TEXT: Final = "Text"
RETURN_ANSWER: Final = "Return Answer"
TERMINATE: Final = "Terminate"
Control = Literal["Code", "Text", "Return Answer", "Terminate"]
CONTROLS: tuple[Control, ...] = (CODE, TEXT, RETURN_ANSWER, TERMINATE)
STOPS: frozenset[str] = frozenset({RETURN_ANSWER, TERMINATE})
StopMatch = Literal["exact", "substring"]


def token(control: Control) -> str:
    """The control token as the steerer writes it: `<<<Code>>>`, `<<<Terminate>>>`, ..."""
    return f"<<<{control}>>>"


CHOICE_PROMPT = """\
You are the guide of another language model, the solver. You do not solve tasks yourself: you decide \
how the solver should work on them. The solver can take one of two routes:
- Text: reason in plain language, step by step, and state the answer at the end;
- Code: write a Python program whose output gives the answer (a program is run for it).
Pick the route most likely to give a correct answer for the task below. Code usually wins for search, \
counting, constraint satisfaction, planning and exact arithmetic; text usually wins for short questions \
of meaning, common sense or language.
Reply with your choice only, exactly <<<Code>>> or <<<Text>>>, and nothing else. Do not attempt the task.

Task:
"""

DECISION_PROMPT = """\
You are the guide of another language model, the solver, which is working on the task below over several \
turns. Each turn you receive the task, the solver's latest answer, the result of running its code (if it \
wrote any), a summary of how much real computation that code does, and a checker's verdict on the answer. \
Your earlier guidance and the solver's earlier answers are in this conversation.

Decide what the solver should do next. You may:
- switch it from code to text or from text to code (reply <<<Code>>> or <<<Text>>> for the standard \
instructions of that route);
- ask for a better answer, naming what is wrong or what to check;
- if its code only prints an answer it worked out by hand, or is otherwise trivial, ask for a program that \
really computes it, for instance by searching, enumerating, simulating or solving symbolically;
- if all earlier answers used the same route and failed, ask for the other route;
- reply <<<Return Answer>>> if the latest answer looks correct;
- reply <<<Terminate>>> if further guidance will not help.

Write your guidance for the solver inside one <<< >>> block, for example <<<Count the cases again, \
this time with a program that enumerates them>>>. Only the last <<< >>> block of your reply is passed on.

Task:
"""

CODE_GUIDE = """\
Solve the task with a Python program. First reason through the problem step by step in text and plan the \
computation; then write the complete program in ONE fenced ```python block. The program must do the actual \
work (search, enumerate, simulate or solve) rather than print an answer you computed in your head, and it \
must print its results, including every number that makes up the final answer, in the answer format the \
task asks for."""

TEXT_GUIDE = """\
Solve the task by reasoning in text only; do not write any code. Work through the problem step by step, \
note the pitfalls a careless solution would fall into and check that your reasoning avoids them, then give \
the final answer directly at the end, in the answer format the task asks for."""

CHECK_PROMPT = """\
Below are a task and a proposed answer to it (with the output of the answer's code, if it had any). Write a \
Python program, in one fenced ```python block, that checks the proposed answer against every constraint \
and requirement the task states. The program must print exactly `Correct` if the answer satisfies all of \
them, and otherwise print the reason it is wrong. Do not solve the task again from scratch unless that is \
the only way to check it; do check the answer's format as well.
"""

CHECK_RETRY_NO_CODE = (
    "Your reply had no ```python block. Reply with one fenced ```python program that checks the answer and "
    "prints `Correct` or the reason it is wrong."
)

CHECK_RETRY_ERROR = """\
Your checking program did not run cleanly. Fix it and reply with the whole corrected program in one \
fenced ```python block.

Its output was:
{stdout}
Its errors were:
{stderr}"""

PARAPHRASE_PROMPT = """\
Rewrite the instruction below in your own words. Keep its meaning, every requirement and its level of \
detail; change only the wording. Reply with the rewritten instruction only.

Instruction:
"""

REASK_CHOICE = "Reply with exactly <<<Code>>> or <<<Text>>> and nothing else."

TOO_SIMPLE_NOTE = "Note: this code is probably too simple to do real symbolic computation or search."
TOO_LONG_NOTE = "Execution output too long to show (over {limit} tokens)."
TIMEOUT_NOTE = "The program was stopped after {seconds:g} s (time limit)."


def choice_input(question: str) -> str:
    """Round 0 steerer input: the choice prompt followed by the task."""
    return CHOICE_PROMPT + question


def task_first_turn(guidance: str, question: str) -> str:
    """The TaskLLM's first user turn: the guidance, then the task."""
    return f"{guidance}\n{question}"


def feedback_text(response: str, check: str, summary: str | None) -> str:
    """The steerer's view of one answer, in fixed headed sections (codesteer.md §3 'feedback text')."""
    parts = [
        "## Solver's answer\n" + response.strip(),
        "## Checker's verdict\n" + check.strip(),
    ]
    if summary is not None:
        parts.append("## Code complexity summary\n" + summary.strip())
    parts.append(
        "## Your reply\nGive your guidance inside <<< >>>: <<<Code>>>, <<<Text>>>, <<<Return Answer>>>, "
        "<<<Terminate>>> or <<<your instructions>>>."
    )
    return "\n\n".join(parts)


def decision_input(question: str, feedback: str) -> str:
    """API steerer input for rounds >= 1: the decision prompt, the task again, and the feedback."""
    return f"{DECISION_PROMPT}{question}\n\n{feedback}"


def exec_note(stdout: str, stderr: str) -> str:
    """How an execution result is appended to an answer ("augmented answer")."""
    return f"\n\nExecution result:\noutput:\n{stdout.rstrip()}\nerrors:\n{stderr.rstrip()}"


def control_of(text: str, *, match: StopMatch = "exact") -> Control | None:
    """The control token a steerer reply carries, or None for ordinary guidance.

    Exact (default): the content of the LAST `<<<...>>>` block, or the whole reply when it has no block
    (local steerers may write a bare `Terminate`), must equal a control word exactly, case and spaces
    included. Substring (legacy, `--stop-match substring`): the original's tests, in its order:
    `<<<Code>>>`, `<<<Text>>>` anywhere, then the words `Terminate` / `Return Answer` anywhere.
    """
    if match == "substring":
        route: Control
        for route in (CODE, TEXT):
            if token(route) in text:
                return route
        stop: Control
        for stop in (TERMINATE, RETURN_ANSWER):
            if stop in text:
                return stop
        return None
    blocks = all_answers(text)
    candidate = blocks[-1] if blocks else text.strip()
    return next((c for c in CONTROLS if candidate == c), None)


def guidance_of(text: str) -> str:
    """An API steerer's guidance: the content of the last `<<<...>>>` block, else the whole reply."""
    blocks = all_answers(text)
    return blocks[-1] if blocks else text.strip()


_TOKEN_RE = re.compile(r"\w+|[^\w\s]")


def estimate_tokens(text: str) -> int:
    """A tokenizer-free token estimate (words and punctuation marks)."""
    return len(_TOKEN_RE.findall(text))


def over_token_limit(text: str, limit: int) -> bool:
    """Whether `text` has more than `limit` estimated tokens; stops counting at the limit (64 kB: ~0.5 ms, not 8)."""
    if len(text) <= limit:  # every token is at least one character
        return False
    for n, _ in enumerate(_TOKEN_RE.finditer(text), start=1):
        if n > limit:
            return True
    return False
