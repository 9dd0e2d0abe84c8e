"""Append-only JSONL that never leaves a broken line, and a reader that tolerates one.

Each record is written with a single `os.write` on an `O_APPEND` descriptor, so a crash can
cut a run short but cannot interleave or half-write a line that a reader would then trust.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append one record as one whole line, flushed to the OS before returning."""
    line = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, line)
        while written < len(line):  # pragma: no cover - only on full disks / signals
            written += os.write(fd, line[written:])
    finally:
        os.close(fd)


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the complete, valid JSON objects of a file; skip a partial or corrupt line with a warning."""
    if not path.exists():
        return
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.endswith(b"\n"):
                log.warning("%s:%d: ignoring a partial last line", path, lineno)
                return
            text = raw.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError:
                log.warning("%s:%d: ignoring a line that is not JSON", path, lineno)
                continue
            if isinstance(obj, dict):
                yield obj
            else:
                log.warning("%s:%d: ignoring a line that is not a JSON object", path, lineno)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON through a temporary sibling and rename, so readers never see half a file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
