"""The chat app driven by Pilot: streaming, export, copy, stop, new chat, provider errors and CodeSteer rounds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from nsllm_cli.errors import ProviderError
from nsllm_cli.providers.base import GenParams, Message
from nsllm_cli.providers.common import StreamSink
from nsllm_cli.providers.fake import FakeProvider
from nsllm_cli.providers.local import LocalProvider
from nsllm_cli.providers.scripted import ScriptedProvider
from nsllm_cli.tui.chat import ChatApp, make_chat
from nsllm_cli.tui.lanes import SteerSetup
from nsllm_cli.tui.widgets.chat_column import ChatColumn
from nsllm_cli.tui.widgets.chat_message import ChatMessage
from nsllm_cli.tui.widgets.steer_rounds import SteerRounds

pytestmark = pytest.mark.tui
SIZE = (120, 30)


class FailingProvider(FakeProvider):
    """Streams one chunk, then fails like an overloaded API."""

    def _stream(self, messages: list[Message], params: GenParams, sink: StreamSink) -> Iterator[str]:
        yield "partial "
        raise ProviderError("fake: HTTP 503: overloaded", status=503)


class SlowProvider(FakeProvider):
    """Streams a word every 20 ms for a long time; `closed` tells whether the stream was closed early."""

    closed = False

    def _stream(self, messages: list[Message], params: GenParams, sink: StreamSink) -> Iterator[str]:
        try:
            for i in range(500):
                time.sleep(0.02)
                yield f"word{i} "
        finally:
            SlowProvider.closed = True


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until `condition` holds (fails the test after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


async def submit(pilot: Pilot[None], text: str) -> None:
    """Type `text` into the prompt and press Enter."""
    pilot.app.query_one("#prompt", Input).value = text
    await pilot.press("enter")


async def settle(pilot: Pilot[None]) -> None:
    """Wait for every answer worker, then for the UI to catch up."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def answers(app: ChatApp) -> list[ChatMessage]:
    return [m for column in app.query(ChatColumn) for m in column.answers]


def notes(app: ChatApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_one_column_streams_the_tiny_model(tiny_local: LocalProvider) -> None:
    app = make_chat(tiny_local, max_tokens=12, temperature=1.0, seed=0)
    async with app.run_test(size=SIZE) as pilot:
        assert app.sub_title == "local:tiny" and len(app.query(ChatColumn)) == 1
        await submit(pilot, "Hello there")
        assert app.query_one("#prompt", Input).value == ""
        await settle(pilot)
        (answer,) = answers(app)
        assert answer.state == "done" and answer.chunks > 1 and answer.source.strip()
        assert "tokens" in str(answer.border_subtitle)
        column = app.query_one(ChatColumn)
        assert [m["role"] for m in column.history] == ["user", "assistant"]
        assert column.history[1]["content"] == answer.text
        await submit(pilot, "And again")  # the second turn is sent with the first
        await settle(pilot)
        assert len(answers(app)) == 2 and len(column.history) == 4


async def test_export_writes_markdown_with_both_columns(tmp_path: Path) -> None:
    plain, ns = FakeProvider("plain-model", ["The answer is 47."]), FakeProvider("ns-model", ["It is **47**."])
    app = make_chat(plain, ns_provider=ns, ns_run=Path("runs/finetune-x"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        assert "nothing to export yet" in notes(app)
        await submit(pilot, "What is 12 + 35?")
        await settle(pilot)
        assert [a.text for a in answers(app)] == ["The answer is 47.", "It is **47**."]
        assert all(a.chunks > 1 for a in answers(app))
        await pilot.press("ctrl+s")
        (written,) = list(tmp_path.glob("chat-*.md"))  # the current directory
        assert any(str(written.absolute()) in n for n in notes(app))
        text = written.read_text(encoding="utf-8")
        assert "## 1. You\n\nWhat is 12 + 35?" in text
        assert "### plain · plain-model\n\nThe answer is 47." in text
        assert "### neurosymbolic · ns-model\n\nIt is **47**." in text
        assert "runs/finetune-x" in text
        await submit(pilot, "/export notes/chat.md")
        assert (tmp_path / "notes" / "chat.md").read_text(encoding="utf-8") == app.to_markdown()
        await submit(pilot, "/export notes")
        assert len(list((tmp_path / "notes").glob("chat-*.md"))) == 1


async def test_provider_error_is_shown_in_its_column_and_the_app_carries_on() -> None:
    good, bad = FakeProvider("good", ["fine, thanks", "still fine"]), FailingProvider("bad", ["never used"])
    app = make_chat(good, ns_provider=bad)
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "how are you?")
        await settle(pilot)
        ok, failed = answers(app)
        assert ok.state == "done" and ok.text == "fine, thanks"
        assert failed.state == "error" and failed.error is not None and "HTTP 503: overloaded" in failed.error
        assert "partial" in failed.source and "**error:**" in failed.source and "overloaded" in failed.source
        assert any("overloaded" in n for n in notes(app))
        assert not app.busy and app.is_running
        columns = list(app.query(ChatColumn))
        assert len(columns[0].history) == 2 and columns[1].history == []  # the failed turn is not resent
        await submit(pilot, "and now?")
        await settle(pilot)
        assert [a.state for a in answers(app)] == ["done", "done", "error", "error"]  # column by column
        assert "overloaded" in app.to_markdown()


async def test_escape_stops_the_answer_and_ctrl_n_starts_over() -> None:
    SlowProvider.closed = False
    app = make_chat(SlowProvider("slow"))
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "tell me everything")
        (answer,) = answers(app)
        await wait_for(pilot, lambda: answer.chunks >= 2)
        await submit(pilot, "another question")  # refused while answering
        assert len(app.exchanges) == 1 and any("still answering" in n for n in notes(app))
        await pilot.press("escape")
        await settle(pilot)
        assert answer.state == "stopped" and SlowProvider.closed and answer.chunks < 500
        assert app.query_one(ChatColumn).history == [] and not app.busy
        assert "*(stopped)*" in app.to_markdown()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert answers(app) == [] and app.exchanges == [] and app.last_answer() == ""


async def test_ctrl_y_copies_the_last_answer_and_the_palette_lists_the_actions() -> None:
    app = make_chat(FakeProvider("fake", ["first", "second answer"]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+y")
        assert "no answer to copy yet" in notes(app)
        for prompt in ("one", "two"):
            await submit(pilot, prompt)
            await settle(pilot)
        await pilot.press("ctrl+y")
        assert app.clipboard == "second answer"
        await submit(pilot, "/copy")
        assert app.clipboard == "second answer"
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Export conversation", "Copy last answer", "New conversation", "Stop answering"):
            assert title in titles
        bindings = {b.id for _, b, _, _ in app.active_bindings.values()}
        assert {"chat.export", "chat.copy_last", "chat.new", "chat.stop"} <= bindings


async def test_steer_mode_shows_every_round_and_the_final_answer() -> None:
    task = ScriptedProvider(["Twelve plus thirty-five is <<<47>>>."], name="task")
    steerer = ScriptedProvider(["<<<Text>>>", "<<<Return Answer>>>"], name="steerer")
    app = make_chat(steer=SteerSetup(task, steerer))
    async with app.run_test(size=SIZE) as pilot:
        assert app.query_one(SteerRounds).border_title == "CodeSteer · task task · steerer steerer"
        await submit(pilot, "What is 12 + 35? Answer as <<<N>>>.")
        await settle(pilot)
        view = app.query_one(SteerRounds)
        assert view.kinds == [
            "start",
            "round_start",
            "steer",
            "task_answer",
            "round_start",
            "self_check",
            "steer",
            "finish",
        ]
        assert view.finals == ["47"] and app.last_answer() == "47"
        final = view.query("ChatMessage.final").last(ChatMessage)
        assert "47" in final.source and "return_answer" in str(final.border_title)
        exported = app.to_markdown()
        for part in ("#### Round 0", "**steerer:** <<<Text>>>", "Twelve plus thirty-five", "#### Round 1"):
            assert part in exported
        assert "**Final answer** (return_answer): 47" in exported


async def test_steer_mode_runs_code_and_shows_its_output() -> None:
    code = "Here is a program:\n```python\nprint(12 + 35)\n```"
    task = ScriptedProvider([code], name="task")
    steerer = ScriptedProvider(["<<<Code>>>", "<<<Return Answer>>>"], name="steerer")
    app = make_chat(steer=SteerSetup(task, steerer, allow_code=True, self_check=False))
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "What is 12 + 35?")
        await settle(pilot)
        view = app.query_one(SteerRounds)
        assert "exec_result" in view.kinds and view.finals == ["47"]
        (output,) = view.query(".exec")
        assert "47" in str(output.render()) and "exit 0" in str(output.border_title)
        assert "```text\n47\n```" in app.to_markdown()


async def test_steer_error_is_shown_not_raised() -> None:
    task = ScriptedProvider(["unused"], name="task")
    steerer = ScriptedProvider(["<<<Code>>>"], name="steerer")  # code, but running code is off
    app = make_chat(steer=SteerSetup(task, steerer))
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "Sort 3 1 2.")
        await settle(pilot)
        view = app.query_one(SteerRounds)
        assert view.kinds[-1] == "error" and view.finals == []
        (error,) = view.query(".error")
        assert "--allow-code-execution" in str(error.render())
        assert app.is_running and not app.busy
        assert "--allow-code-execution" in app.to_markdown()


async def test_quitting_while_an_answer_streams_stops_it() -> None:
    SlowProvider.closed = False
    app = make_chat(SlowProvider("slow"))
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "tell me everything")
        (answer,) = answers(app)
        await wait_for(pilot, lambda: answer.chunks >= 1, timeout=60)
    deadline = time.monotonic() + 60  # generous: a loaded CI machine, not a speed claim
    while not SlowProvider.closed and time.monotonic() < deadline:
        time.sleep(0.02)
    assert SlowProvider.closed and answer.chunks < 500


async def test_a_prompt_given_on_the_command_line_is_asked_at_start() -> None:
    app = make_chat(FakeProvider("fake", ["right away"]), prompt="first question")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.exchanges) == 1)
        await settle(pilot)
        assert [a.text for a in answers(app)] == ["right away"]
        assert app.exchanges[0].prompt == "first question"


async def test_angle_brackets_are_shown_as_typed_not_taken_for_html() -> None:
    """CodeSteer prompts and answers are full of `<<<answer>>>`: the `<x>` inside must not vanish as an HTML tag."""
    from textual.widgets._markdown import MarkdownParagraph

    app = make_chat(FakeProvider("m", ["It is <<<42>>>, since 3 < 5 > 4."]))
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "Answer as <<<x>>> please")
        await settle(pilot)
        shown = [str(p._content) for p in app.query(MarkdownParagraph)]
        assert shown == ["Answer as <<<x>>> please", "It is <<<42>>>, since 3 < 5 > 4."]
