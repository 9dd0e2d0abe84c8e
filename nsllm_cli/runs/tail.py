"""Follow an append-only JSONL file by byte offset: new records only, a half-written last line is left for later.

Pure file reading (no Textual), so the dashboard's polling logic is unit-tested on plain files.

Example:
    >>> tail = JsonlTail(run / "metrics.jsonl")
    >>> update = tail.poll()  # every record so far
    >>> update = tail.poll()  # only what was appended since
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHUNK = 4 << 20
"""At most this many bytes are read per poll, so a huge file is caught up over several polls, not one long freeze."""


@dataclass
class TailUpdate:
    """What one poll found."""

    records: list[dict[str, Any]] = field(default_factory=list)
    """New whole, valid JSON objects, in file order."""
    reset: bool = False
    """The file was truncated or replaced: drop what was read before; `records` start from its beginning."""
    new_corrupt: int = 0
    """Lines skipped in this poll because they were not a JSON object."""


class JsonlTail:
    """Incremental reader of one JSONL file; tolerant of partial, corrupt and vanishing files."""

    def __init__(self, path: Path) -> None:
        """Follow `path` from its beginning.

        Args:
            path: The JSONL file; it need not exist yet.
        """
        self.path = path
        self.offset = 0
        """Bytes consumed: everything before it ended in a newline."""
        self.lines = 0
        """Whole lines consumed."""
        self.corrupt = 0
        """Lines skipped since the last reset because they were not JSON objects."""
        self.last_error: str | None = None
        """Where the last corrupt line was, e.g. "metrics.jsonl line 7: not JSON"."""
        self.partial = False
        """A last line without its newline is waiting (the writer is mid-line, or died there)."""
        self.missing = True
        """The file does not exist (yet, or any more)."""
        self._inode: int | None = None

    def reset(self) -> None:
        """Forget everything read; the next poll starts from the beginning of the file."""
        self.offset = self.lines = self.corrupt = 0
        self.last_error, self.partial, self._inode = None, False, None

    def poll(self) -> TailUpdate:
        """Read what was appended since the last poll; never raises for file-system races.

        Returns:
            The new records, whether the file was truncated/replaced, and how many lines were skipped.
        """
        try:
            st = os.stat(self.path)
        except OSError:
            self.missing, self.partial = True, False
            return TailUpdate()
        self.missing = False
        update = TailUpdate()
        if (self._inode is not None and st.st_ino != self._inode) or st.st_size < self.offset:
            self.reset()
            update.reset = True
        self._inode = st.st_ino
        if st.st_size == self.offset:
            return update
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                data = fh.read(CHUNK)
        except OSError:
            return update
        end = data.rfind(b"\n")
        if end < 0:
            if len(data) < CHUNK:
                self.partial = True
                return update
            end = len(data) - 1  # one line longer than a chunk: give up on it rather than stall forever
        self.partial = end + 1 < len(data) and self.offset + len(data) >= st.st_size
        self.offset += end + 1
        for raw in data[: end + 1].split(b"\n")[:-1]:
            self.lines += 1
            record = self._parse(raw)
            if record is not None:
                update.records.append(record)
            elif raw.strip():
                update.new_corrupt += 1
        self.corrupt += update.new_corrupt
        return update

    def _parse(self, raw: bytes) -> dict[str, Any] | None:
        text = raw.decode("utf-8", errors="replace").strip()
        if not text:
            return None
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            self.last_error = f"{self.path.name} line {self.lines}: not JSON"
            return None
        if not isinstance(obj, dict):
            self.last_error = f"{self.path.name} line {self.lines}: not a JSON object"
            return None
        return obj
