"""Build a folder exactly once, even when several processes ask for it at the same moment.

The builder writes into a temporary sibling; the finished folder is renamed onto the target
under a file lock, so a reader sees either nothing or a complete folder, never half of one.

Example:
    >>> build_once(cache / "models" / "x", lambda tmp: save_model(tmp), marker="model.safetensors")
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

log = logging.getLogger(__name__)


def build_once(target: Path, build: Callable[[Path], None], *, marker: str, timeout_s: float = 1800) -> Path:
    """Return `target`, calling `build(tmp_dir)` first if `target/marker` does not exist yet.

    Args:
        target: the folder to produce.
        build: writes the folder's content into the temporary directory it is given.
        marker: a file whose presence means the folder is complete.
        timeout_s: how long to wait for another process that holds the lock.
    """
    if (target / marker).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock", timeout=timeout_s):
        if (target / marker).exists():  # another process finished while we waited
            return target
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            build(tmp)
            if not (tmp / marker).exists():
                raise RuntimeError(f"building {target.name} did not produce {marker}")
            if target.exists():  # an incomplete leftover from a killed build
                shutil.rmtree(target)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("built %s", target)
    return target
