"""What every SymBench task provides, so that the runner, `bench validate` and the generators never special-case.

A task is one module in `nsllm_cli/symbench/tasks/` defining a `Task` subclass and registering it:

    @register
    class Pooling(Task):
        name = "pooling"; title = "Pooling"; seen = True; folder = "pooling_dataset"
        def load(self, data_dir): ...
        def generate(self, n, seed, complexity): ...
        def parse(self, text): ...
        def verify(self, instance, answer): ...
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from nsllm_cli.errors import DataError, NsllmError


@dataclass(frozen=True)
class Verdict:
    """A validator's judgement: `score` is 1.0/0.0, or a partial ratio (BoxLift, BoxNet); `reason` says why."""

    correct: bool
    score: float
    reason: str = ""

    @classmethod
    def ok(cls, reason: str = "") -> Verdict:
        return cls(True, 1.0, reason)

    @classmethod
    def wrong(cls, reason: str, score: float = 0.0) -> Verdict:
        return cls(False, score, reason)


@dataclass
class Instance:
    """One question: its id (e.g. the sample folder name), the full prompt, the native gold data and extras."""

    task: str
    id: str
    question: str
    data: dict[str, Any] = field(default_factory=dict)
    """Everything the validator needs (the solution.json content for logic games, or the task's own fields)."""
    complexity: int | None = None
    source: str = ""
    """Where it came from: a path for loaded instances, "generated:seed=S" for generated ones."""
    error: str | None = None
    """Why a stored sample could not be read (naming the file); such an instance is never verified."""

    @classmethod
    def generated(
        cls, task: str, seed: int, index: int, question: str, data: dict[str, Any], complexity: int | None
    ) -> Instance:
        """The `index`-th instance `generate` made from `seed`: id `gen_<seed>_<index>`, source `generated:seed=<seed>`.

        Example:
            >>> Instance.generated("pooling", 7, 2, "Q?", {}, 3).id
            'gen_7_2'
        """
        return cls(task, f"gen_{seed}_{index}", question, data, complexity, f"generated:seed={seed}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "id": self.id,
            "question": self.question,
            "data": self.data,
            "complexity": self.complexity,
            "source": self.source,
            "error": self.error,
        }


class NeedsExternalData(NsllmError):
    """A task whose instances come from an external dataset (BBH, GSM-Hard, MATH, the Game 24 list)."""


class Task:
    """Base class of the 37 tasks; subclasses set the class attributes and override the methods they support."""

    name: ClassVar[str]
    """Registry key, lower-case with underscores (e.g. "game24", "eight_queens")."""
    title: ClassVar[str]
    """The paper's name (e.g. "Game 24")."""
    seen: ClassVar[bool]
    """True for the 28 seen tasks (training data may be generated), False for the 9 unseen ones."""
    folder: ClassVar[str]
    """Folder (or file) under the original `dataset_gather/` layout."""
    code: ClassVar[str] = ""
    """The spec's row id, e.g. "S15" or "U2"."""
    external: ClassVar[bool] = False
    """True when instances need external data and cannot be generated."""

    def load(self, data_dir: Path) -> list[Instance]:
        """Every instance present under `data_dir / self.folder`, in a stable order (never assume counts)."""
        raise NotImplementedError

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """`n` fresh instances from an explicit seed; each must be accepted by `verify` with its own solution."""
        raise NeedsExternalData(f"{self.title} needs its original data (--data-dir or NSLLM_SYMBENCH_DIR)")

    def prompt(self, instance: Instance) -> str:
        """The question as sent to the model (by default the stored prompt)."""
        return instance.question

    def parse(self, text: str) -> Any | None:
        """The model's answer from its text: the last `<<<...>>>` block, normalised; None if there is none."""
        return last_answer(text)

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        """Check a parsed answer against the task's constraints (fixed validators)."""
        raise NotImplementedError

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """The original's rule where it differs from `verify` (`--paper-scoring`); by default the same."""
        return self.verify(instance, answer)

    def gold_answer(self, instance: Instance) -> str:
        """The stored reference answer rendered as model text (`<<<...>>>`), used by `bench validate`."""
        raise NotImplementedError


_ANSWER = re.compile(r"<<<(.*?)>>>", re.S)


def last_answer(text: str) -> str | None:
    """The content of the last `<<<...>>>` block, stripped; None when there is none."""
    found = _ANSWER.findall(text or "")
    return found[-1].strip() if found else None


def read_json(path: Path) -> Any:
    """JSON from `path`; a malformed file is a one-line DataError naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: cannot read JSON ({exc})") from exc


def sample_dirs(folder: Path) -> list[Path]:
    """`sample_*` subfolders in numeric order of their last number (`sample_2` before `sample_10`)."""
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder")

    def key(p: Path) -> tuple[int, str]:
        digits = re.findall(r"\d+", p.name)
        return (int(digits[-1]) if digits else -1, p.name)

    return sorted((p for p in folder.iterdir() if p.is_dir() and p.name.startswith("sample")), key=key)


def numbers_in(name: str) -> tuple[int, ...]:
    """Every integer in a folder name, in order: `BoxLift_10_3` -> (10, 3)."""
    return tuple(int(x) for x in re.findall(r"\d+", name))


def numbered_dirs(folder: Path, prefix: str = "") -> list[Path]:
    """Subfolders of `folder` (starting with `prefix`) ordered by the numbers in their names, so `x_2` < `x_10`."""
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder")
    found = (p for p in folder.iterdir() if p.is_dir() and p.name.startswith(prefix))
    return sorted(found, key=lambda p: (numbers_in(p.name), p.name))


S = TypeVar("S")

_SAMPLE_ERRORS = (DataError, OSError, ValueError, LookupError, TypeError, ArithmeticError)
"""What reading one malformed sample may raise (UnicodeDecodeError and JSONDecodeError are ValueErrors)."""


def load_each(task: Task, samples: Iterable[tuple[str, str, S]], fill: Callable[[Instance, S], None]) -> list[Instance]:
    """One instance per `(id, source, item)`: `fill(instance, item)` sets its question, data and complexity.

    A sample that cannot be read never aborts the task: it becomes an instance with `error` set (one line naming the
    file: a DataError's message, or the exception prefixed with `source`) and empty question and data.
    """
    out = []
    for sample_id, source, item in samples:
        inst = Instance(task.name, sample_id, "", source=source)
        try:
            fill(inst, item)
        except _SAMPLE_ERRORS as exc:
            error = str(exc) if isinstance(exc, DataError) else f"{type(exc).__name__}: {exc}"
            error = " ".join(error.splitlines())
            inst = Instance(
                task.name, sample_id, "", source=source, error=error if source in error else f"{source}: {error}"
            )
        out.append(inst)
    return out


def load_logic_games(task: Task, folder: Path, check: Callable[[Instance], None] | None = None) -> list[Instance]:
    """The shared logic-game layout: `sample_<i>/question.txt` + `solution.json` (native JSON).

    `check(instance)` may complete or reject (DataError) each sample; a rejected or unreadable one is returned with
    `error` set, see `load_each`.
    """

    def fill(inst: Instance, sample: Path) -> None:
        qpath = sample / "question.txt"
        try:
            inst.question = qpath.read_text(encoding="utf-8") if qpath.exists() else ""
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"{qpath}: cannot read ({exc})") from exc
        data = read_json(sample / "solution.json")
        inst.data = data if isinstance(data, dict) else {"solution": data}
        complexity = inst.data.get("complexity")
        inst.complexity = int(complexity) if isinstance(complexity, int | float) else None
        if check is not None:
            check(inst)

    return load_each(task, ((s.name, str(s), s) for s in sample_dirs(folder)), fill)


TASKS: dict[str, Task] = {}


def register(cls: type[Task]) -> type[Task]:
    """Class decorator: add one instance of the task to the registry."""
    if cls.name in TASKS:
        raise ValueError(f"task {cls.name!r} registered twice")
    TASKS[cls.name] = cls()
    return cls


Checker = Callable[[Instance, Any], Verdict]
