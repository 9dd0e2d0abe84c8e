"""Where nsllm keeps its cache, converted models and runs.

Defaults come from platformdirs (the user cache dir); `NSLLM_HOME`, `NSLLM_CACHE` and
`NSLLM_RUNS_DIR` override them through :class:`nsllm_cli.config.Settings`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from nsllm_cli.errors import CacheNotWritableError


def default_home() -> Path:
    """The user cache dir for nsllm, e.g. ``~/.cache/nsllm`` on Linux."""
    from platformdirs import user_cache_path

    return user_cache_path("nsllm", appauthor=False)


def ensure_writable_dir(path: Path, *, what: str = "cache folder") -> Path:
    """Create `path` if needed and prove it is writable, or raise a one-line error.

    Checking with a real temporary file (not `os.access`) also catches read-only mounts and
    runs as root, where permission bits say nothing.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".nsllm-write-probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise CacheNotWritableError(
            f"{what} {path} is not writable ({reason}); set NSLLM_CACHE or NSLLM_HOME to a writable folder"
        ) from exc
    return path
