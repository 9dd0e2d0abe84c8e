"""A chat column: one model's conversation, prompts and streamed answers, kept scrolled to the newest."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Static

from nsllm_cli.providers.base import Message
from nsllm_cli.tui.widgets.chat_message import ChatMessage


class ChatColumn(VerticalScroll):
    """The conversation with one model; it keeps the message history that model is sent."""

    DEFAULT_CSS = """
    ChatColumn {
        border: round $primary;
        width: 1fr;
        height: 1fr;
        padding: 0 1;
    }
    ChatColumn > .hint { color: $text-muted; }
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
        """An empty conversation.

        Args:
            title: Shown in the border: who answers in this column.
            hint: A line shown while the conversation is empty.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.border_title = title
        self.hint = hint
        self.history: list[Message] = []
        """The finished turns sent with the next prompt (a failed or stopped answer is left out)."""

    def on_mount(self) -> None:
        if self.hint:
            self.mount(Static(self.hint, classes="hint", markup=False))
        self.anchor()

    @property
    def answers(self) -> list[ChatMessage]:
        """The answer widgets, oldest first."""
        return [m for m in self.query(ChatMessage) if m.role == "assistant"]

    async def add_exchange(self, prompt: str) -> ChatMessage:
        """Show `prompt` and an empty answer below it; returns the answer (mounted, waiting for chunks)."""
        await self.query(".hint").remove()
        answer = ChatMessage(role="assistant")
        await self.mount_all([ChatMessage(prompt, role="user"), answer])
        self.anchor()
        return answer

    def remember(self, prompt: str, answer: str) -> None:
        """Add a finished turn to the history the model is sent next time."""
        self.history += [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]

    async def clear_conversation(self) -> None:
        """Stop open streams, forget the history and remove every message."""
        for message in self.query(ChatMessage):
            if message.state in ("waiting", "streaming"):
                await message.finish(stopped=True)
        self.history = []
        await self.remove_children()
        if self.hint:
            await self.mount(Static(self.hint, classes="hint", markup=False))
