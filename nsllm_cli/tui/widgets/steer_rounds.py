"""CodeSteer runs as they happen: per round the steerer's guidance, the task answer, program output and checks."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from nsllm_cli.tui.widgets.chat_message import ChatMessage

MAX_LINES = 40
"""Program output and guidance longer than this many lines is cut in the view (not in the export)."""


class SteerRounds(VerticalScroll):
    """One CodeSteer run per prompt, rendered from the loop's events (`steer.loop.EVENTS`)."""

    DEFAULT_CSS = """
    SteerRounds {
        border: round $primary;
        width: 1fr;
        height: 1fr;
        padding: 0 1;
    }
    SteerRounds > .hint { color: $text-muted; }
    SteerRounds > .round { color: $text-muted; text-style: bold; margin: 1 0 0 0; }
    SteerRounds > .line { margin: 0 0 1 0; }
    SteerRounds > .exec {
        border: round $success;
        padding: 0 1;
        margin: 0 0 1 0;
    }
    SteerRounds > .exec.-failed { border: round $error; }
    SteerRounds > .error { color: $error; text-style: bold; margin: 0 0 1 0; }
    SteerRounds > ChatMessage.final { border: double $success; }
    """

    def __init__(
        self,
        title: str,
        *,
        hint: str = "",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """An empty view.

        Args:
            title: Shown in the border: which models steer and answer.
            hint: A line shown while nothing was asked.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.border_title = title
        self.hint = hint
        self.kinds: list[str] = []
        """Every event kind shown, in order (for tests and the status)."""
        self.finals: list[str] = []
        """The final answer of each finished run."""

    def on_mount(self) -> None:
        if self.hint:
            self.mount(Static(self.hint, classes="hint", markup=False))
        self.anchor()

    async def begin(self, question: str) -> None:
        """Show the question of a new run."""
        await self.query(".hint").remove()
        await self.mount(ChatMessage(question, role="user"))
        self.anchor()

    async def event(self, kind: str, p: dict[str, Any]) -> str:
        """Show one loop event; returns the same as Markdown, for the export ("" for events not exported)."""
        self.kinds.append(kind)
        widget: Widget | None = None
        md = ""
        if kind == "round_start":
            n = p["round"]
            label = f"round {n}" + (" · code or text" if n == 0 else "")
            widget, md = Static(f"── {label} ──", classes="round", markup=False), f"\n#### Round {n}\n\n"
        elif kind == "steer":
            label = f"<<<{p['control']}>>>" if p["control"] else (p["guidance"] or p["raw"] or "").strip()
            widget = Static(Text.assemble(("steerer: ", "bold magenta"), (_clip(label), "magenta")), classes="line")
            md = f"**steerer:** {label}\n\n"
        elif kind == "task_answer":
            widget = ChatMessage(p["answer"], role="assistant")
            widget.border_title = f"task model · round {p['round']}"
            md = f"**task model:**\n\n{p['answer'].strip()}\n\n"
        elif kind == "symbolic":
            verdict = "symbolic enough" if p["symbolic_enough"] else "too simple"
            if not p["valid"]:
                verdict = f"invalid Python ({p['error'] or ''})"
            line = f"code check: {verdict} · score {p['score']:g}"
            widget, md = Static(line, classes="line", markup=False), f"*{line}*\n\n"
        elif kind == "exec_result":
            head = "timed out" if p["timed_out"] else f"exit {p['returncode']}"
            body = (p["stdout"] + ("\n" + p["stderr"] if p["stderr"].strip() else "")).rstrip() or "(no output)"
            widget = Static(_clip(body), classes="exec" + ("" if p["ok"] else " -failed"), markup=False)
            widget.border_title = f"execution · {head} · {p['duration_s']:.2f} s"
            md = f"**execution** ({head}):\n\n```text\n{body}\n```\n\n"
        elif kind == "self_check":
            first = (p["feedback"].strip().splitlines() or [""])[0]
            widget = Static(Text.assemble(("checker: ", "bold"), (first[:200], "dim" if p["skipped"] else "")))
            widget.add_class("line")
            md = f"**checker:** {first}\n\n"
        elif kind == "finish":
            transcript = p.get("transcript") or {}
            answer = p["answer"] if p["answer"] is not None else (transcript.get("final_response") or "").strip()
            if not answer and transcript.get("error"):
                return await self.fail(transcript["error"])
            self.finals.append(answer)
            widget = ChatMessage(answer or "*(no answer)*", role="assistant", classes="final")
            widget.border_title = f"final answer · {p['stop_reason']}"
            md = f"**Final answer** ({p['stop_reason']}): {answer}\n"
        elif kind == "error":
            return await self.fail(p["error"])
        if widget is not None:
            await self.mount(widget)
            self.anchor()
        return md

    async def fail(self, message: str) -> str:
        """Show the error that ended a run; returns it as Markdown."""
        await self.mount(Static(f"error: {message}", classes="error", markup=False))
        self.anchor()
        return f"> **error:** {message}\n"

    async def clear_runs(self) -> None:
        """Remove every run shown."""
        self.kinds, self.finals = [], []
        await self.remove_children()
        if self.hint:
            await self.mount(Static(self.hint, classes="hint", markup=False))


def _clip(text: str) -> str:
    lines = text.rstrip().splitlines()
    if len(lines) <= MAX_LINES:
        return "\n".join(lines)
    return "\n".join(lines[:MAX_LINES]) + f"\n… ({len(lines) - MAX_LINES} more lines)"
