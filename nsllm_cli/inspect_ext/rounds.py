"""Every round of a method in the sample's Inspect transcript, as a short markdown InfoEvent beside the model calls.

The steering loop reports its steps through `on_event` (`steer.loop.EVENTS`) from its worker thread; `RoundEvents`
renders the ones a reader needs between the ModelEvents (the steerer's decision, the program's run in the sandbox,
the symbolic and self-answer checks) and adds them on the event loop, so they land in order. A single-answer
baseline reports nothing while it runs: `round_events` renders its one round afterwards. The whole result, every
round with every field, is in the sample's store as well (`solvers.RESULT_KEY`).
"""

from __future__ import annotations

import functools
from typing import Any

import anyio.from_thread
from inspect_ai.log import transcript

CAP = 2000
"""Characters of a program's output shown in the transcript (the store keeps it whole)."""


def fenced(text: str, lang: str = "") -> str:
    """`text` in a markdown code block, cut at CAP characters."""
    body = text if len(text) <= CAP else text[:CAP] + f"\n... ({len(text) - CAP} more characters)"
    return f"```{lang}\n{body.rstrip()}\n```"


def steer_md(p: dict[str, Any]) -> str:
    """The steerer's decision: a route (Code, Text), a stop (Return Answer, Terminate) or free guidance."""
    if p.get("control"):
        return f"**Steerer**: `<<<{p['control']}>>>`"
    if p.get("guidance"):
        return "**Steerer's guidance**\n\n" + fenced(str(p["guidance"]))
    return "**Steerer** chose neither code nor text:\n\n" + fenced(str(p.get("raw", "")))


def exec_md(p: dict[str, Any]) -> str:
    """One run of the task model's program in nsllm's sandbox: exit status, output, which barriers held."""
    status = "timed out" if p.get("timed_out") else f"exit code {p.get('returncode')}"
    parts = [f"**Program run in nsllm's sandbox**: {status}, {p.get('duration_s', 0):.2f} s"]
    if p.get("stdout"):
        parts.append("stdout\n\n" + fenced(str(p["stdout"])))
    if p.get("stderr"):
        parts.append("stderr\n\n" + fenced(str(p["stderr"])))
    iso = p.get("isolation") or {}
    if iso:
        parts.append("isolation: " + "; ".join(f"{k} {v}" for k, v in iso.items() if v))
    return "\n\n".join(parts)


def symbolic_md(p: dict[str, Any]) -> str:
    return f"**Symbolic checker**: {p.get('summary') or 'no summary'}"


def self_check_md(p: dict[str, Any]) -> str:
    if p.get("skipped"):
        return f"**Self-answer checker**: {p.get('feedback')}"
    return "**Self-answer checker**\n\n" + str(p.get("feedback", ""))


RENDER = {"steer": steer_md, "exec_result": exec_md, "symbolic": symbolic_md, "self_check": self_check_md}
"""The loop's event kinds shown in the transcript (a task answer is its ModelEvent already)."""


class RoundEvents:
    """An `on_event(kind, payload)` listener for the steering loop's worker thread: each shown kind becomes an
    InfoEvent of the sample's transcript, with the source `<solver> round <n>`."""

    def __init__(self, solver: str) -> None:
        self.solver = solver

    def __call__(self, kind: str, payload: dict[str, Any]) -> None:
        render = RENDER.get(kind)
        if render is None:
            return
        source = f"{self.solver} round {payload.get('round', 0)}"
        anyio.from_thread.run_sync(functools.partial(transcript().info, render(payload), source=source))


def round_events(solver: str, rounds: list[dict[str, Any]]) -> None:
    """A finished single-answer run's rounds into the transcript (called on the event loop, after the run)."""
    for rnd in rounds:
        text = f"**{solver}**: one answer" + (", with a program" if rnd.get("code") else "")
        if rnd.get("execution"):
            text += "\n\n" + exec_md(rnd["execution"])
        transcript().info(text, source=f"{solver} round {rnd['index']}")
