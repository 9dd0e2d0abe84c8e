"""A provider that replays scripted answers: for tests, demos, and replaying a recorded `nsllm steer` run.

`nsllm steer --task-llm replay:answers.json` (any model option: the provider registry resolves `replay:`) builds
one from a JSON file holding a list of answers (each a string or
`{"text": ..., "usage": {"prompt_tokens": N, "completion_tokens": M}}`), or `{"answers": [...]}`.
`replay:runs/steer-.../transcript.json#task` replays the answers one role (task, steer, checker) gave in a
recorded transcript, so a run can be re-driven without any API.

Example:
    >>> p = ScriptedProvider(["<<<Text>>>", "It is <<<4>>>."])
    >>> p.complete([{"role": "user", "content": "2+2?"}]).text
    '<<<Text>>>'
    >>> len(p.requests)
    1
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from nsllm_cli.errors import ConfigError, NsllmError
from nsllm_cli.providers.base import Completion, GenParams, Message, Usage

Answer = str | Completion | Callable[[list[Message]], str | Completion]
"""A scripted answer: fixed text, a full Completion, or a function of the messages."""

PREFIX = "replay:"
ROLES = ("task", "steer", "checker")


class ScriptedProvider:
    """Replays queued answers in order and records every request it gets (implements the Provider protocol)."""

    def __init__(self, answers: Iterable[Answer] = (), *, name: str = "scripted") -> None:
        """Args:
        answers: the answers to give, in order.
        name: the provider name shown in transcripts.
        """
        self.name = name
        self.last_usage = Usage()
        self.requests: list[list[Message]] = []
        """Every message list sent, in order (copies)."""
        self.params: list[GenParams | None] = []
        self._queue: deque[Answer] = deque(answers)
        self._given = 0
        self._lock = threading.Lock()

    def enqueue(self, answers: Iterable[Answer]) -> ScriptedProvider:
        """Add answers to the end of the queue."""
        with self._lock:
            self._queue.extend(answers)
        return self

    @property
    def remaining(self) -> int:
        """Answers not given yet."""
        return len(self._queue)

    def complete(self, messages: list[Message], params: GenParams | None = None) -> Completion:
        """The next scripted answer; a one-line error when the script has run out."""
        with self._lock:
            self.requests.append([dict(m) for m in messages])
            self.params.append(params)
            if not self._queue:
                raise NsllmError(f"{self.name}: the script has no answer left (it gave {self._given})")
            item = self._queue.popleft()
            self._given += 1
        value = item(messages) if callable(item) else item
        completion = value if isinstance(value, Completion) else Completion(text=value, model=self.name)
        self.last_usage = completion.usage
        return completion

    async def acomplete(self, messages: list[Message], params: GenParams | None = None) -> Completion:
        """Same as :meth:`complete` (instant)."""
        return self.complete(messages, params)

    def stream(self, messages: list[Message], params: GenParams | None = None) -> Iterator[str]:
        """The next answer as one chunk."""
        yield self.complete(messages, params).text

    async def astream(self, messages: list[Message], params: GenParams | None = None) -> AsyncIterator[str]:
        """The next answer as one chunk."""
        yield self.complete(messages, params).text

    @classmethod
    def from_file(cls, path: Path, *, role: str | None = None, name: str | None = None) -> ScriptedProvider:
        """Load answers from a JSON list, `{"answers": [...]}`, or a steer transcript (then `role` is required).

        Raises:
            ConfigError: the file cannot be read or has no answers in a known shape.
        """
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read replay file {path}: {exc.strerror or exc}") from exc
        except json.JSONDecodeError as exc:
            raise ConfigError(f"replay file {path} is not JSON (line {exc.lineno}: {exc.msg})") from exc
        label = name or f"{PREFIX}{path.name}" + (f"#{role}" if role else "")
        if isinstance(data, dict) and "rounds" in data:
            if role not in ROLES:
                raise ConfigError(f"replaying transcript {path} needs a role: {PREFIX}{path}#task|steer|checker")
            calls = [c for r in data["rounds"] for c in r.get("calls", []) if c.get("role") == role]
            return cls([_completion(c, label) for c in calls], name=label)
        items = data.get("answers") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise ConfigError(f"replay file {path} must hold a JSON list of answers or {{'answers': [...]}}")
        return cls([_completion(item, label) for item in items], name=label)

    @classmethod
    def from_spec(cls, spec: str) -> ScriptedProvider:
        """Build one from `replay:PATH` or `replay:PATH#ROLE`."""
        target = spec.removeprefix(PREFIX)
        path, _, role = target.rpartition("#")
        if not path or role not in ROLES:
            path, role = target, ""
        return cls.from_file(Path(path).expanduser(), role=role or None)


def is_replay(spec: str) -> bool:
    """Whether a model spec names a replay file."""
    return spec.startswith(PREFIX)


def _completion(item: Any, name: str) -> Completion:
    """One scripted answer from its JSON form."""
    if isinstance(item, str):
        return Completion(text=item, model=name)
    if isinstance(item, dict) and isinstance(item.get("text"), str):
        usage = item.get("usage") or {}
        return Completion(
            text=item["text"],
            usage=Usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))),
            model=item.get("model") or name,
        )
    raise ConfigError(f"a replayed answer must be a string or {{'text': ...}}, got {str(item)[:60]!r}")
