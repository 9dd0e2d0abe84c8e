"""`JsonlTail`: new records only, half-written and corrupt lines, truncation, a file that vanishes."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.jsonl import append_jsonl
from nsllm_cli.runs.tail import JsonlTail
from tests.tui._runs import append_raw


def test_reads_only_what_was_appended(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    tail = JsonlTail(path)
    assert tail.poll().records == [] and tail.missing
    append_jsonl(path, {"step": 1})
    append_jsonl(path, {"step": 2})
    assert [r["step"] for r in tail.poll().records] == [1, 2]
    assert tail.poll().records == []
    append_jsonl(path, {"step": 3})
    assert [r["step"] for r in tail.poll().records] == [3]
    assert not tail.missing and tail.lines == 3


def test_half_written_last_line_waits_for_its_newline(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    append_jsonl(path, {"step": 1})
    append_raw(path, b'{"step": 2, "lo')
    tail = JsonlTail(path)
    assert [r["step"] for r in tail.poll().records] == [1]
    assert tail.partial and tail.corrupt == 0
    append_raw(path, b'ss": 0.5}\n')
    update = tail.poll()
    assert update.records == [{"step": 2, "loss": 0.5}] and not tail.partial


def test_corrupt_lines_are_counted_and_located(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    append_jsonl(path, {"step": 1})
    append_raw(path, b"{not json\n[1, 2]\n\n\xff\xfe\n")
    append_jsonl(path, {"step": 2})
    tail = JsonlTail(path)
    update = tail.poll()
    assert [r["step"] for r in update.records] == [1, 2]
    assert update.new_corrupt == 3 and tail.corrupt == 3
    assert tail.last_error is not None and "metrics.jsonl line 5" in tail.last_error


def test_truncated_or_replaced_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "samples.jsonl"
    append_jsonl(path, {"id": 1})
    append_jsonl(path, {"id": 2})
    tail = JsonlTail(path)
    assert len(tail.poll().records) == 2
    path.unlink()
    append_jsonl(path, {"id": 3})
    update = tail.poll()
    assert update.reset and update.records == [{"id": 3}]


def test_file_deleted_while_followed(tmp_path: Path) -> None:
    path = tmp_path / "run" / "metrics.jsonl"
    path.parent.mkdir()
    append_jsonl(path, {"step": 1})
    tail = JsonlTail(path)
    tail.poll()
    path.unlink()
    path.parent.rmdir()
    update = tail.poll()
    assert update.records == [] and tail.missing
