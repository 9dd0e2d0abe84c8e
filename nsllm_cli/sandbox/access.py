"""What the sandboxed code may read and execute: the Python it runs and the system's libraries, no user data.

Why a list and not "everything but secrets": a model-written program once walked the file system and printed a
world-readable `.env` holding an API key (issue 13). With Landlock the code reads only the paths named here
(`landlock_read_paths`) and the devices in `DEVICES`, and writes only its temp folder. The same paths tell a run
as root whether the unused uid it switches to can still read the interpreter (`needs_read_capability`).

Example:
    >>> any(path.endswith("pyvenv.cfg") or "python" in path for path in python_paths())  # doctest: +SKIP
    True
"""

from __future__ import annotations

import os
import stat
import sys
from functools import lru_cache
from pathlib import Path

SYSTEM_READ = (
    *("/lib", "/lib32", "/lib64", "/libx32", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32", "/usr/local/lib"),
    *("/bin", "/usr/bin", "/usr/local/bin", "/etc/ld.so.cache", "/etc/localtime", "/usr/share/zoneinfo"),
    *("/usr/share/locale", "/sys/devices/system/cpu"),
)
"""Landlock, read and execute (besides the Python installation, `python_paths`): shared libraries and the dynamic
loader's cache, programs a snippet may start, time zones, locales, the CPU count (glibc, OpenBLAS). No user data."""
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
"""Landlock: read and write."""


@lru_cache(maxsize=1)
def site_paths() -> tuple[str, ...]:
    """The parent's site-packages: the child runs with -S (faster) and gets them without executing .pth files."""
    import site

    try:
        paths = site.getsitepackages()
    except AttributeError:  # pragma: no cover - some embedded interpreters
        paths = []
    return tuple(p for p in paths if os.path.isdir(p))


@lru_cache(maxsize=1)
def python_paths() -> tuple[str, ...]:
    """The interpreter's own files, symlinks resolved: its binary's folder, stdlib, lib-dynload, site-packages,
    the shared libpython's folder and a venv's pyvenv.cfg. Not the parent's sys.path at large (cwd, editable
    installs)."""
    import sysconfig

    real = os.path.realpath
    prefixes = {real(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    layout = sysconfig.get_paths()
    found = [os.path.dirname(real(sys.executable)), *site_paths()]
    found += [layout[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in layout]
    if sysconfig.get_config_var("Py_ENABLE_SHARED") and sysconfig.get_config_var("LIBDIR"):
        found.append(str(sysconfig.get_config_var("LIBDIR")))
    found += [p for p in sys.path if p and any(real(p).startswith(pre + os.sep) for pre in prefixes)]
    found.append(os.path.join(sys.prefix, "pyvenv.cfg"))  # a python started by the code reads it
    paths = dict.fromkeys(real(p) for p in found if os.path.exists(p))
    return tuple(p for p in paths if os.pathsep not in p)


def landlock_read_paths() -> tuple[str, ...]:
    """What Landlock lets the code read and execute: `python_paths` and `SYSTEM_READ`, never a folder that holds
    the user's home or the current folder (a Python installed at / or in $HOME itself)."""
    keep = []
    try:
        guarded = [os.path.realpath(p) for p in (os.path.expanduser("~"), os.getcwd())]
    except OSError:  # the current folder was deleted
        guarded = [os.path.realpath(os.path.expanduser("~"))]
    for path in (*python_paths(), *SYSTEM_READ):
        if not any(g == path or g.startswith(path.rstrip(os.sep) + os.sep) for g in guarded):
            keep.append(path)
    return tuple(keep)


@lru_cache(maxsize=1)
def needs_read_capability() -> bool:
    """True when another uid could not read the interpreter or its libraries (e.g. a Python under a 0700 /root)."""
    targets = [os.path.realpath(sys.executable), os.path.dirname(os.__file__), *site_paths()]
    return not all(_world_readable(Path(t)) for t in targets)


def _world_readable(path: Path) -> bool:
    try:
        if not path.stat().st_mode & stat.S_IROTH:
            return False
        return all(p.stat().st_mode & stat.S_IXOTH for p in path.resolve().parents)
    except OSError:
        return False
