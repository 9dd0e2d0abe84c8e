"""The chat transcript without Textual: last answers, the Markdown export, and where an export goes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nsllm_cli.tui.transcript import Transcript, export_path


def test_last_answer_is_plain_for_one_column_and_labelled_for_several() -> None:
    one = Transcript(["m"])
    assert one.last_answer() == ""
    one.ask("q").answers["m"] = "a"
    assert one.last_answer() == "a"
    two = Transcript(["plain", "ns"])
    two.ask("q").answers.update({"plain": "45", "ns": "47"})
    assert two.last_answer() == "plain:\n45\n\nns:\n47"
    two.clear()
    assert two.exchanges == [] and two.last_answer() == ""


def test_markdown_shows_every_column_and_notes_errors_unless_they_are_in_the_answers() -> None:
    transcript = Transcript(["plain", "ns"], description="plain vs ns")
    first = transcript.ask("  What is 12 + 35?  ")
    first.answers["plain"] = "45"
    first.notes.update({"plain": "stopped", "ns": "RuntimeError: boom"})
    md = transcript.to_markdown()
    assert md.startswith("# nsllm chat · ") and md.endswith("\n") and "\nplain vs ns\n" in md
    assert "## 1. You\n\nWhat is 12 + 35?\n\n### plain\n\n45\n\n*(stopped)*\n\n### ns\n\n*(no answer)*" in md
    assert "> **error:** RuntimeError: boom" in md
    steer = Transcript(["CodeSteer"], errors_in_answers=True)
    steer.ask("q").notes["CodeSteer"] = "boom"
    assert "error" not in steer.to_markdown()


def test_an_export_goes_to_the_file_or_into_the_folder(tmp_path: Path) -> None:
    assert export_path(tmp_path / "a.md") == tmp_path / "a.md"
    assert export_path(tmp_path / "notes").parent == tmp_path / "notes"  # no suffix: a folder to create
    assert export_path(tmp_path).parent == tmp_path
    inside = export_path(export_dir=tmp_path)
    assert inside.parent == tmp_path and inside.name.startswith("chat-") and inside.suffix == ".md"


def test_the_transcript_does_not_import_textual() -> None:
    code = "import sys, nsllm_cli.tui.transcript; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
