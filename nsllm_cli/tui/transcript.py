"""The conversation of `nsllm chat`: each prompt and what every column answered, and its Markdown export.

Kept apart from the app (no Textual here) so that what is exported, copied or cleared is plain data: the
app appends an `Exchange` per prompt, its workers add streamed text and notes ("stopped", an error) per
column title, and the transcript renders the Markdown document and picks the export file.

Example:
    >>> transcript = Transcript(["plain", "neurosymbolic"], description="plain vs neurosymbolic")
    >>> exchange = transcript.ask("What is 12 + 35?")
    >>> exchange.answers.update({"plain": "45", "neurosymbolic": "47"})
    >>> transcript.last_answer()
    'plain:\\n45\\n\\nneurosymbolic:\\n47'
    >>> transcript.to_markdown().splitlines()[4]
    '## 1. You'
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Exchange", "Transcript", "export_path"]


@dataclass
class Exchange:
    """One prompt and what each column answered (Markdown), for the export."""

    prompt: str
    answers: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    """Per column: "stopped" or an error message."""


@dataclass
class Transcript:
    """The exchanges of one conversation, under the titles of the columns that answer."""

    titles: list[str]
    """Column titles, in the order their answers are exported."""
    description: str = ""
    """What is being compared; the export's first paragraph."""
    errors_in_answers: bool = False
    """Errors are already part of the answers' Markdown (CodeSteer rounds): the export does not repeat them."""
    exchanges: list[Exchange] = field(default_factory=list)
    """The conversation so far."""

    def ask(self, prompt: str) -> Exchange:
        """Start the exchange of a new prompt."""
        exchange = Exchange(prompt)
        self.exchanges.append(exchange)
        return exchange

    def clear(self) -> None:
        """Forget every exchange (a new conversation)."""
        self.exchanges = []

    def last_answer(self) -> str:
        """The last exchange's answer(s) as text: one column plain, several labelled."""
        if not self.exchanges:
            return ""
        last = self.exchanges[-1]
        if len(self.titles) == 1:
            return last.answers.get(self.titles[0], "")
        return "\n\n".join(f"{title}:\n{last.answers.get(title, '')}" for title in self.titles)

    def to_markdown(self) -> str:
        """The conversation as a Markdown document: each prompt, then every column's answer under its title."""
        head = [f"# nsllm chat · {time.strftime('%Y-%m-%d %H:%M')}", ""]
        if self.description:
            head += [self.description, ""]
        parts = ["\n".join(head)]
        for i, ex in enumerate(self.exchanges, 1):
            block = [f"## {i}. You", "", ex.prompt.strip(), ""]
            for title in self.titles:
                block += [f"### {title}", "", ex.answers.get(title, "").strip() or "*(no answer)*", ""]
                note = ex.notes.get(title)
                if note == "stopped":
                    block += ["*(stopped)*", ""]
                elif note and not self.errors_in_answers:
                    block += [f"> **error:** {note}", ""]
            parts.append("\n".join(block))
        return "\n".join(parts).rstrip() + "\n"


def export_path(path: Path | None = None, *, export_dir: Path | None = None) -> Path:
    """The file an export goes to: `path` itself, or chat-<time>.md inside it when it is a folder.

    Args:
        path: A file, or a folder (an existing one, or a name without a suffix).
        export_dir: The folder used when no `path` is given (default: the current directory).
    """
    name = f"chat-{time.strftime('%Y%m%d-%H%M%S')}.md"
    target = path if path is not None else (export_dir or Path.cwd())
    if target.is_dir() or (path is not None and not target.suffix):
        target = target / name
    return target
