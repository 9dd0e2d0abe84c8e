"""Known-bad stored data: instances whose stored gold answer breaks the task's own rules.

`errata.json` (packaged next to this module) lists each one as `{task, id, sha256, reason}`. The hash is over the
canonical JSON of the loaded `instance.data`, so an erratum excuses only that exact stored data: another copy of the
same id with different content is checked normally. `bench validate` counts a rejected gold answer with a matching
erratum as `excluded` instead of failed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance

ERRATA_FILE = "errata.json"


@dataclass(frozen=True)
class Erratum:
    """One known-bad stored instance and the one-line reason why its stored answer is wrong."""

    task: str
    id: str
    sha256: str
    reason: str


def data_sha256(data: Any) -> str:
    """SHA-256 of the canonical JSON of `data` (sorted keys, no spaces, UTF-8 kept)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def load_errata() -> dict[tuple[str, str], Erratum]:
    """The packaged errata by (task, id); a malformed file is a one-line DataError."""
    source = resources.files("nsllm_cli.symbench").joinpath(ERRATA_FILE)
    try:
        rows = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{ERRATA_FILE}: cannot read JSON ({exc})") from exc
    if not isinstance(rows, list):
        raise DataError(f"{ERRATA_FILE}: expected a list of errata")
    out: dict[tuple[str, str], Erratum] = {}
    for i, row in enumerate(rows):
        fields = ("task", "id", "sha256", "reason")
        if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in fields):
            raise DataError(f"{ERRATA_FILE}: entry {i} needs string {', '.join(fields)}")
        erratum = Erratum(*(row[k] for k in fields))
        if (erratum.task, erratum.id) in out:
            raise DataError(f"{ERRATA_FILE}: {erratum.task} {erratum.id} listed twice")
        out[(erratum.task, erratum.id)] = erratum
    return out


def erratum_for(instance: Instance) -> Erratum | None:
    """The erratum for this exact stored instance (same task, id and data hash), if any."""
    erratum = load_errata().get((instance.task, instance.id))
    if erratum is None or instance.error is not None or erratum.sha256 != data_sha256(instance.data):
        return None
    return erratum
