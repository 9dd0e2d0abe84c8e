"""Continuing a steering run from its first rounds: the cut (`prefix_of`) and the check that the loop can
continue it faithfully (`check_prefix`). DPO trees (`steer collect --trees`) grow sibling continuations of one
prefix this way.

Example:
    >>> cut = prefix_of(result, 2)  # doctest: +SKIP
    >>> steer(result.question, prefix=cut, ...)  # doctest: +SKIP
"""

from __future__ import annotations

import copy

from nsllm_cli.steer.records import SteerResult


def prefix_of(result: SteerResult, rounds: int) -> SteerResult:
    """The first `rounds` rounds of a run, as a `prefix` that `loop.steer` can continue from round `rounds`.

    The cut keeps the rounds' records (round `rounds - 1` with its answer and that answer's feedback, which
    the run computed at the start of round `rounds`) and the two steerer and two TaskLLM messages each round
    added. Continuing it asks the steerer afresh for round `rounds` with the very same input, so several
    continuations are siblings with one prefix.

    Raises:
        ValueError: the run has no round `rounds` (it ended earlier), so that round's input was never built.
    """
    if not 1 <= rounds < len(result.rounds):
        raise ValueError(f"cannot cut a run of {len(result.rounds)} round(s) after {rounds}: no round {rounds}")
    kept = result.rounds[:rounds]
    if kept[-1].answer is None or kept[-1].feedback is None:
        raise ValueError(f"round {rounds - 1} of the run has no answer with feedback to continue from")
    cut = SteerResult(result.question, rounds=copy.deepcopy(kept), settings=dict(result.settings))
    cut.steer_messages = copy.deepcopy(result.steer_messages[: 2 * rounds])
    cut.task_messages = copy.deepcopy(result.task_messages[: 2 * rounds])
    return cut


def check_prefix(prefix: SteerResult, question: str, max_rounds: int) -> None:
    """Refuse a prefix that the loop cannot continue faithfully."""
    n = len(prefix.rounds)
    if prefix.question != question:
        raise ValueError("the prefix is a run of another question")
    if n == 0 or prefix.rounds[-1].answer is None or prefix.rounds[-1].feedback is None:
        raise ValueError("a prefix must end with an answered round whose feedback was computed (see prefix_of)")
    if n > max_rounds or len(prefix.steer_messages) != 2 * n or len(prefix.task_messages) != 2 * n:
        raise ValueError(f"a prefix of {n} round(s) needs 2 messages per round and max_rounds >= {n}")
