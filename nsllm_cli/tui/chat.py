"""`nsllm chat`: stream a model's answers, compare the plain and the neurosymbolic model, or watch CodeSteer rounds.

Three layouts, chosen by what `make_chat` is given:
- one provider: one chat column;
- a provider and an NS provider: two columns answering the same prompt side by side (the same local
  model with the NS hook off and on; `providers.ns_local` serialises their generations);
- a `SteerSetup`: each prompt runs the CodeSteer loop, and every round is shown as it happens.

Answers stream from `@work(thread=True)` workers that touch the UI only through `call_from_thread`,
into `MarkdownStream`s (Textual's examples/mother.py pattern). A provider error ends that answer with
a visible message; the app carries on.

Example:
    >>> app = make_chat(get_provider("local:tiny"))
    >>> app.run()
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Input
from textual.worker import get_current_worker

from nsllm_cli.providers.base import GenParams, Message, Provider
from nsllm_cli.tui.lanes import Lane, SteerSetup
from nsllm_cli.tui.transcript import Exchange, Transcript, export_path
from nsllm_cli.tui.widgets.chat_column import ChatColumn
from nsllm_cli.tui.widgets.chat_message import ChatMessage
from nsllm_cli.tui.widgets.steer_rounds import SteerRounds

HINT = "Type below and press Enter. ctrl+s exports Markdown, ctrl+y copies the last answer, ctrl+n starts over."
STEER_LABEL = "CodeSteer"


class ChatApp(App[None]):
    """A streamed chat with one model, two models side by side, or CodeSteer rounds."""

    CSS_PATH = "chat.tcss"
    TITLE = "nsllm chat"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "export", "Export .md", id="chat.export", priority=True),
        Binding("ctrl+y", "copy_last", "Copy answer", id="chat.copy_last", priority=True),
        Binding("ctrl+n", "new_chat", "New chat", id="chat.new", priority=True),
        Binding("escape", "stop", "Stop", id="chat.stop"),
    ]

    def __init__(
        self,
        lanes: Iterable[tuple[str, Provider]] = (),
        *,
        steer: SteerSetup | None = None,
        params: GenParams | None = None,
        export_dir: Path | None = None,
        description: str = "",
        prompt: str | None = None,
    ) -> None:
        """Args:
        lanes: (column title, provider) per column; ignored in steer mode.
        steer: run CodeSteer on every prompt instead of chatting.
        params: decoding of chat answers and steer-mode task answers (default: greedy, 512 tokens).
        export_dir: where exports go when no path is given (default: the current directory).
        description: the sub-title (what is being compared).
        prompt: asked as soon as the app starts.
        """
        super().__init__()
        self.steer_setup = steer
        self.params = params or GenParams(temperature=0.0, max_tokens=512)
        self.export_dir = export_dir
        self.description = description
        self.initial_prompt = prompt
        self.lanes = [
            Lane(label, p, ChatColumn(label, hint=HINT, id=f"column-{i}")) for i, (label, p) in enumerate(lanes)
        ]
        self.steer_view: SteerRounds | None = None
        if steer is not None:
            self.lanes = []
            title = f"{STEER_LABEL} · task {steer.task.name} · steerer {steer.steer.name}"
            self.steer_view = SteerRounds(title, hint=HINT, id="steer")
        titles = [STEER_LABEL] if steer is not None else [lane.label for lane in self.lanes]
        self.transcript = Transcript(titles, description=description, errors_in_answers=steer is not None)
        """The conversation so far, for export and copy."""
        self.pending = 0
        """Answers (or steer runs) still in progress."""
        self.conversation = 0
        """Bumped by a new chat: late results of the old one are dropped."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="columns"):
            if self.steer_view is not None:
                yield self.steer_view
            for lane in self.lanes:
                yield lane.column
        yield Input(placeholder="Ask something …  (/export [PATH], /copy, /new)", id="prompt")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.description
        self.query_one("#prompt", Input).focus()
        if self.initial_prompt:
            self.call_after_refresh(self.ask, self.initial_prompt)

    @property
    def exchanges(self) -> list[Exchange]:
        """The conversation so far (the transcript's exchanges)."""
        return self.transcript.exchanges

    @property
    def busy(self) -> bool:
        """Whether an answer is still being produced."""
        return self.pending > 0

    # -- asking ----------------------------------------------------------------------------------------------------

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        if text.startswith("/"):
            event.input.clear()
            await self.command(text)
            return
        if self.busy:
            self.notify("still answering: wait, or press Esc to stop", severity="warning")
            return
        event.input.clear()
        await self.ask(text)

    async def command(self, text: str) -> None:
        """A slash command typed in the prompt: /export [PATH], /copy, /new."""
        name, _, arg = text.partition(" ")
        if name == "/export":
            self.export_markdown(Path(arg.strip()).expanduser() if arg.strip() else None)
        elif name == "/copy":
            self.action_copy_last()
        elif name in ("/new", "/clear"):
            await self.action_new_chat()
        else:
            self.notify(f"unknown command {name}: use /export [PATH], /copy or /new", severity="warning")

    async def ask(self, prompt: str) -> None:
        """Send `prompt` to every column (or to the CodeSteer loop); answers stream in from workers."""
        exchange = self.transcript.ask(prompt)
        if self.steer_view is not None:
            await self.steer_view.begin(prompt)
            self.pending += 1
            self._run_steer(prompt, exchange, self.conversation)
            return
        for lane in self.lanes:
            messages: list[Message] = [*lane.column.history, {"role": "user", "content": prompt}]
            answer = await lane.column.add_exchange(prompt)
            exchange.answers[lane.label] = ""
            self.pending += 1
            self._stream_answer(lane, answer, messages, exchange, self.conversation)

    def _ui(self, callback: Callable[..., Any], *args: Any) -> bool:
        """Run `callback` on the app's thread (from a worker); False once the app has gone."""
        try:
            self.call_from_thread(callback, *args)
        except RuntimeError:
            return False
        return True

    @work(thread=True, group="answers", exit_on_error=False)
    def _stream_answer(
        self, lane: Lane, answer: ChatMessage, messages: list[Message], exchange: Exchange, conversation: int
    ) -> None:
        """Stream one column's answer (a worker thread; the UI is touched only through `call_from_thread`)."""
        worker = get_current_worker()
        start = time.perf_counter()
        stopped = False
        try:
            chunks = lane.provider.stream(messages, self.params)
            try:
                for chunk in chunks:
                    if worker.is_cancelled:
                        stopped = True
                        break
                    if not self._ui(self._add_chunk, answer, exchange, lane.label, chunk, conversation):
                        return
            finally:
                close = getattr(chunks, "close", None)
                if callable(close):
                    close()  # stops a local generation at its next token
        except Exception as exc:  # noqa: BLE001 - any provider failure is shown in the column, never raised
            self._ui(self._answer_failed, lane, answer, exchange, f"{type(exc).__name__}: {exc}", conversation)
            return
        usage = getattr(lane.provider, "last_usage", None)
        tokens = usage.completion_tokens if usage is not None and not stopped else 0
        note = (f"{tokens} tokens · " if tokens else "") + f"{time.perf_counter() - start:.1f} s"
        self._ui(self._answer_done, lane, answer, exchange, stopped, note, conversation)

    async def _add_chunk(
        self, answer: ChatMessage, exchange: Exchange, label: str, chunk: str, conversation: int
    ) -> None:
        if conversation != self.conversation:
            return
        exchange.answers[label] = exchange.answers.get(label, "") + chunk
        await answer.add(chunk)

    async def _answer_done(
        self, lane: Lane, answer: ChatMessage, exchange: Exchange, stopped: bool, note: str, conversation: int
    ) -> None:
        if conversation != self.conversation:
            return
        self.pending -= 1
        if stopped:
            exchange.notes[lane.label] = "stopped"
        elif answer.text:
            lane.column.remember(exchange.prompt, answer.text)
        await answer.finish(stopped=stopped, note=note)

    async def _answer_failed(
        self, lane: Lane, answer: ChatMessage, exchange: Exchange, message: str, conversation: int
    ) -> None:
        if conversation != self.conversation:
            return
        self.pending -= 1
        exchange.notes[lane.label] = message
        await answer.fail(message)
        self.notify(f"{lane.label}: {message}", severity="error", markup=False)

    @work(thread=True, group="answers", exit_on_error=False)
    def _run_steer(self, prompt: str, exchange: Exchange, conversation: int) -> None:
        """Run the CodeSteer loop on `prompt`, showing each event as it comes (a worker thread)."""
        from nsllm_cli.steer.loop import steer

        setup = self.steer_setup
        assert setup is not None
        worker = get_current_worker()
        shown: list[str] = []

        def on_event(kind: str, payload: dict[str, Any]) -> None:
            shown.append(kind)
            self._ui(self._steer_event, exchange, kind, payload, conversation)

        try:
            steer(
                prompt,
                task=setup.task,
                steer=setup.steer,
                checker_llm=setup.checker,
                max_rounds=setup.max_rounds,
                allow_code=setup.allow_code,
                steer_mode="local" if setup.steer_mode == "local" else "api",
                self_check_enabled=setup.self_check,
                task_params=self.params,
                on_event=on_event,
                should_stop=lambda: worker.is_cancelled,
            )
        except Exception as exc:  # noqa: BLE001 - shown in the view, never raised
            if "error" not in shown:
                self._ui(self._steer_event, exchange, "error", {"error": f"{type(exc).__name__}: {exc}"}, conversation)
        self._ui(self._steer_done, conversation)

    async def _steer_event(self, exchange: Exchange, kind: str, payload: dict[str, Any], conversation: int) -> None:
        if conversation != self.conversation or self.steer_view is None:
            return
        md = await self.steer_view.event(kind, payload)
        exchange.answers[STEER_LABEL] = exchange.answers.get(STEER_LABEL, "") + md
        if kind == "error":
            exchange.notes[STEER_LABEL] = str(payload.get("error", ""))
            self.notify(f"CodeSteer: {payload.get('error', '')}", severity="error", markup=False)

    def _steer_done(self, conversation: int) -> None:
        if conversation == self.conversation:
            self.pending -= 1

    # -- actions ---------------------------------------------------------------------------------------------------

    def action_stop(self) -> None:
        """Stop the answers in progress (a local generation stops at its next token)."""
        if self.busy:
            self.workers.cancel_group(self, "answers")
            self.notify("stopping …")

    async def action_new_chat(self) -> None:
        """Stop what is running and start an empty conversation."""
        self.workers.cancel_group(self, "answers")
        self.conversation += 1
        self.pending = 0
        self.transcript.clear()
        for lane in self.lanes:
            await lane.column.clear_conversation()
        if self.steer_view is not None:
            await self.steer_view.clear_runs()
        self.notify("new conversation")

    def last_answer(self) -> str:
        """The last exchange's answer(s) as text: one column plain, several labelled."""
        if not self.exchanges or self.steer_view is None:
            return self.transcript.last_answer()
        return self.steer_view.finals[-1] if len(self.steer_view.finals) >= len(self.exchanges) else ""

    def action_copy_last(self) -> None:
        """Copy the last answer to the clipboard (OSC 52: works in most terminals)."""
        text = self.last_answer()
        if not text:
            self.notify("no answer to copy yet", severity="warning")
            return
        self.copy_to_clipboard(text)
        self.notify(f"copied the last answer ({len(text)} characters)")

    def action_export(self) -> None:
        """Write the conversation to chat-<time>.md in the export folder (default: the current directory)."""
        self.export_markdown()

    def to_markdown(self) -> str:
        """The conversation as a Markdown document: each prompt, then every column's answer under its title."""
        return self.transcript.to_markdown()

    def export_markdown(self, path: Path | None = None) -> Path | None:
        """Write `to_markdown()` to `path` (a file, or a folder for chat-<time>.md); notifies where it went.

        Returns:
            The file written, or None when there is nothing to export or it could not be written.
        """
        if not self.exchanges:
            self.notify("nothing to export yet", severity="warning")
            return None
        target = export_path(path, export_dir=self.export_dir)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(self.to_markdown(), encoding="utf-8")
        except OSError as exc:
            self.notify(f"export failed: {exc.strerror or exc}: {target}", severity="error", markup=False)
            return None
        self.notify(f"exported to {target.absolute()}", markup=False)
        return target

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Export conversation", "Write it as Markdown to chat-<time>.md (ctrl+s)", self.action_export
        )
        yield SystemCommand("Copy last answer", "Copy the last answer to the clipboard (ctrl+y)", self.action_copy_last)
        yield SystemCommand("New conversation", "Stop and clear everything (ctrl+n)", self.action_new_chat)
        yield SystemCommand("Stop answering", "Stop the answers in progress (Esc)", self.action_stop)


def make_chat(
    provider: Provider | None = None,
    *,
    ns_provider: Provider | None = None,
    steer: SteerSetup | None = None,
    max_tokens: int = 512,
    temperature: float = 0.0,
    seed: int | None = None,
    export_dir: Path | None = None,
    ns_run: Path | None = None,
    prompt: str | None = None,
) -> ChatApp:
    """The chat app, for the CLI and the tests.

    Args:
        provider: the model to chat with (default: `local:embedded`); the plain column with `ns_provider`.
        ns_provider: the neurosymbolic model, shown beside `provider` (see `providers.ns_local.ns_pair`).
        steer: CodeSteer mode instead (then `provider` and `ns_provider` must be None).
        max_tokens: most new tokens per answer.
        temperature: 0 is greedy decoding; above 0 samples (with `seed`, reproducibly).
        seed: the sampling seed.
        export_dir: where ctrl+s writes (default: the current directory).
        ns_run: the NS run folder, named in the sub-title and the export.
        prompt: a first prompt, asked as soon as the app starts.

    Example:
        >>> plain, ns = ns_pair("local:tiny", run)
        >>> async with make_chat(plain, ns_provider=ns).run_test() as pilot:
        ...     await pilot.app.ask("What is 12 + 35?")
    """
    params = GenParams(temperature=temperature, max_tokens=max_tokens, seed=seed)
    if steer is not None:
        if provider is not None or ns_provider is not None:
            raise ValueError("steer mode takes its models from the SteerSetup, not provider/ns_provider")
        desc = f"CodeSteer: task {steer.task.name}, steerer {steer.steer.name}"
        return ChatApp(steer=steer, params=params, export_dir=export_dir, description=desc, prompt=prompt)
    if provider is None:
        from nsllm_cli.providers.registry import get_provider

        provider = get_provider("local:embedded")
    if ns_provider is None:
        lanes = [(provider.name, provider)]
        return ChatApp(lanes, params=params, export_dir=export_dir, description=provider.name, prompt=prompt)
    lanes = [(f"plain · {provider.name}", provider), (f"neurosymbolic · {ns_provider.name}", ns_provider)]
    desc = f"plain vs neurosymbolic ({ns_run})" if ns_run else "plain vs neurosymbolic"
    return ChatApp(lanes, params=params, export_dir=export_dir, description=desc, prompt=prompt)
