"""The "start a run" modal: one command line, launched by the dashboard as `python -m nsllm_cli <args> --run-dir D`."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class StartRunScreen(ModalScreen[str | None]):
    """Ask for the arguments of an nsllm command; dismisses with the text, or None on Escape."""

    DEFAULT_CSS = """
    StartRunScreen { align: center middle; }
    StartRunScreen > Vertical {
        width: 80%;
        max-width: 100;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    StartRunScreen Label { width: 1fr; color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="start_run.cancel"),
    ]

    def __init__(self, runs_dir: str, *, value: str = "") -> None:
        """A modal asking for a command line.

        Args:
            runs_dir: Shown to the user: where the new run folder goes.
            value: Initial text of the input.
        """
        super().__init__()
        self.runs_dir, self.value = runs_dir, value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Start a run: nsllm <command> … (a new folder in {self.runs_dir} is added as --run-dir)")
            yield Input(value=self.value, placeholder="finetune --train-run runs/<train run> --steps 50", id="command")
            yield Label("Enter starts it, Escape cancels.")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
