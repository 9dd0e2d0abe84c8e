"""Frozen, seeded test selections, so every run and every method sees the same questions (codesteer.md §14.1).

The original took "the first 50 after an unseeded shuffle", so no two runs compared the same subset. Here a
selection depends only on the task, the seed, the data and the limit: instances are ordered by a hash of
(seed, task, id) and the first n are kept. Generated instances come from a seed derived from the split
name, so test and training pools never share a generator seed (issue #6 also checks instance hashes).

Example:
    >>> [i.id for i in select(get_task("pooling"), instances, n=2, seed=0)]  # doctest: +SKIP
    ['sample_113', 'sample_7']
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nsllm_cli.symbench.base import Instance, Task
from nsllm_cli.symbench.gold import GoldProblem, split_by_gold

PAPER_N: dict[str, int] = {"S1": 28, "S2": 140, "S3": 20, "S4": 30, "S5": 48, "S10": 53, "U1": 75, "U3": 60}
PAPER_N |= {code: 63 for code in ("S6", "S7", "S8", "S9")}
"""Instances the paper tested per task where it was not 50 (symbench.md, column n)."""

COMPLEXITIES: tuple[int, ...] = (1, 2, 3, 4, 5)
"""Generated test sets cycle through these complexities, so every level is represented."""


def paper_n(task: Task) -> int:
    """How many instances the paper tested for this task."""
    return PAPER_N.get(task.code, 50)


def split_seed(split: str, task: str, seed: int) -> int:
    """A generator seed for (split, task, seed): a 30-bit hash, so test and training seeds practically never meet."""
    digest = hashlib.sha256(f"{split}:{task}:{seed}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 2


def instance_hash(inst: Instance) -> str:
    """A content hash of one instance (question and data), to check disjointness and frozen manifests."""
    body = json.dumps({"q": inst.question, "d": inst.data}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _order_key(seed: int, task: str, inst_id: str) -> str:
    return hashlib.sha256(f"{seed}:{task}:{inst_id}".encode()).hexdigest()


def select(task: Task, instances: Sequence[Instance], n: int, seed: int) -> list[Instance]:
    """The first `n` instances in seeded hash order (a stable subset: a larger n keeps the smaller n's picks)."""
    ordered = sorted(instances, key=lambda i: _order_key(seed, task.name, i.id))
    return ordered[:n]


def generate_test(task: Task, n: int, seed: int) -> list[Instance]:
    """`n` generated test instances, spread over COMPLEXITIES, from the task's test seed."""
    base = split_seed("test", task.name, seed)
    per_level = math.ceil(n / len(COMPLEXITIES))
    out: list[Instance] = []
    for level in COMPLEXITIES:
        out += task.generate(per_level, seed=base + level, complexity=level)
    # interleave the levels so a small n still mixes them: 1, 2, 3, 4, 5, 1, 2, ...
    by_level = [out[k * per_level : (k + 1) * per_level] for k in range(len(COMPLEXITIES))]
    mixed = [inst for group in zip(*by_level, strict=False) for inst in group]
    return mixed[:n]


@dataclass(frozen=True)
class Selection:
    """One task's test instances and where they came from ("data" or "generated"), or why there are none."""

    task: str
    source: str
    instances: list[Instance]
    note: str = ""
    excluded: tuple[GoldProblem, ...] = ()
    """Stored instances left out before selecting because their gold fails its own validator (see `gold`)."""

    def manifest(self) -> dict[str, Any]:
        """What `manifest.json` stores: the ids and content hashes, enough to detect changed data on resume."""
        return {
            "source": self.source,
            "ids": [i.id for i in self.instances],
            "hashes": [instance_hash(i) for i in self.instances],
            "note": self.note,
        }


def test_set(task: Task, *, data_dir: Path | None, limit: int | None, seed: int, gold_check: bool = True) -> Selection:
    """The frozen test set of one task: from the data folder when it has the task, else generated when possible.

    Broken stored samples (unreadable files) are left out and named in the note; they never abort a run. Stored
    samples listed in errata.json are left out (counted in the note). With `gold_check` (off only for the paper's
    scoring), every other stored sample whose gold answer fails its own fixed validator is left out too, before
    the selection, and listed in `Selection.excluded`; generated instances are not checked.
    """
    from nsllm_cli.symbench.base import NeedsExternalData

    n = min(paper_n(task), limit) if limit is not None else paper_n(task)
    if data_dir is not None and (data_dir / task.folder).exists():
        loaded = task.load(data_dir)
        broken = [i for i in loaded if i.error]
        usable = [i for i in loaded if not i.error and not _excused(i)]
        note = ""
        if broken:
            note = f"{len(broken)} unreadable sample(s) skipped: " + "; ".join(str(i.error) for i in broken[:3])
        excused = len(loaded) - len(broken) - len(usable)
        if excused:
            note = (note + "; " if note else "") + f"{excused} sample(s) with a known-bad stored answer left out"
        problems: list[GoldProblem] = []
        if gold_check:
            usable, problems = split_by_gold(task, usable)
        return Selection(task.name, "data", select(task, usable, n, seed), note, tuple(problems))
    try:
        generated = generate_test(task, n, seed)
    except NeedsExternalData as exc:
        where = f"no {task.folder} in {data_dir}" if data_dir is not None else "no --data-dir"
        return Selection(task.name, "none", [], f"{where}: {exc}")
    note = f"generated (no {task.folder} in {data_dir})" if data_dir is not None else "generated"
    return Selection(task.name, "generated", generated, note)


test_set.__test__ = False  # type: ignore[attr-defined]  # a library function, not a pytest test


def _excused(inst: Instance) -> bool:
    """Whether the errata list this instance's stored answer as wrong (then it cannot be scored fairly)."""
    from nsllm_cli.symbench.errata import erratum_for

    return erratum_for(inst) is not None
