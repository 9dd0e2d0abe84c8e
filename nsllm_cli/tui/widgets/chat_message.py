"""One turn of a chat: the user's prompt, or a model's answer streamed into a Markdown widget."""

from __future__ import annotations

from typing import Literal

from markdown_it import MarkdownIt
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream

Role = Literal["user", "assistant"]
State = Literal["waiting", "streaming", "done", "stopped", "error"]


def _no_html_parser() -> MarkdownIt:
    """Markdown without raw HTML: prompts and answers are full of `<<<answer>>>` and `a < b > c`, which an HTML-aware
    parser takes for tags and silently drops."""
    return MarkdownIt("gfm-like", options_update={"html": False})


class ChatMessage(Markdown):
    """A prompt or an answer; answers grow chunk by chunk through a `MarkdownStream`."""

    DEFAULT_CSS = """
    ChatMessage {
        margin: 0 0 1 0;
        padding: 0 1;
    }
    ChatMessage.-user {
        background: $boost;
        border-left: wide $primary;
    }
    ChatMessage.-assistant {
        border: round $accent 60%;
        border-subtitle-color: $text-muted;
        min-height: 3;
    }
    ChatMessage.-assistant.-done { border: round $accent; }
    ChatMessage.-error { border: round $error; }
    ChatMessage.-stopped { border: round $warning; }
    """

    def __init__(
        self,
        text: str = "",
        *,
        role: Role = "assistant",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """A message; an empty answer waits for `start` and `add`.

        Args:
            text: The Markdown shown from the start (the prompt, or a finished answer).
            role: "user" for a prompt, "assistant" for an answer.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
        """
        super().__init__(text, name=name, id=id, classes=classes, parser_factory=_no_html_parser)
        self.add_class(f"-{role}")
        self.role: Role = role
        self.text = text
        """The Markdown received so far (without any error note)."""
        self.chunks = 0
        """How many streamed chunks were added."""
        self.state: State = "done" if text or role == "user" else "waiting"
        self.error: str | None = None
        """The error that ended the answer, if any."""
        self._stream: MarkdownStream | None = None
        if self.state == "waiting":
            self.border_subtitle = "waiting for the model …"

    def start(self) -> None:
        """Open the stream (on the app's thread); chunks can then be added."""
        if self._stream is None:
            self._stream = Markdown.get_stream(self)
        self.state = "streaming"
        self.border_subtitle = "answering …"

    async def add(self, chunk: str) -> None:
        """Append one streamed chunk."""
        if not chunk:
            return
        if self._stream is None:
            self.start()
        assert self._stream is not None
        self.text += chunk
        self.chunks += 1
        await self._stream.write(chunk)

    async def _close(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()

    async def finish(self, *, stopped: bool = False, note: str = "") -> None:
        """End the answer: "done" (or "stopped" by the user), with `note` (e.g. token count) under it."""
        await self._close()
        self.state = "stopped" if stopped else "done"
        self.add_class(f"-{self.state}")
        if not self.text:
            await self.update("*(no text)*")
        self.border_subtitle = " · ".join(p for p in ("stopped" if stopped else "", note) if p)

    async def fail(self, message: str) -> None:
        """End the answer with a visible error (the text received so far stays)."""
        await self._close()
        self.state, self.error = "error", message
        self.add_class("-error")
        await self.append(("\n\n" if self.text else "") + f"> **error:** {message}\n")
        self.border_subtitle = "error"
