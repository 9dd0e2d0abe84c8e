"""Landlock: the sandboxed code may read only the Python it runs and write only its own temp folder (issue 13).

Why: rlimits, namespaces and a scrubbed environment do not stop reads. A model-written program walked the file
system and printed a world-readable `.env` (with `OPENAI_API_KEY=sk-...`) from the folder nsllm was started in.
Landlock (Linux 5.13+) lets an unprivileged process restrict itself, irreversibly and for every process it starts
later, to a list of file hierarchies with given rights. No root, no dependency: three syscalls through ctypes.

How the sandbox uses it: its supervisor calls `landlock_abi`, `create_ruleset` and `allow_path` for the Python
installation, the system libraries and the temp folder; the code process adds its own /proc/<pid> and calls
`enforce` (PR_SET_NO_NEW_PRIVS, then landlock_restrict_self) right before it runs the code. Only the access rights
that the running kernel's ABI knows are handled (`handled_access`); an access the ABI does not know stays allowed.

The sandbox's supervisor (`supervisor.py`) imports this module from its own folder in an isolated interpreter
that must start fast: keep its imports to `os`, `stat` and `sys` (no `typing`, no `ctypes` at import time), and
take the syscall entry points from the caller (`Kernel`).

Example:
    >>> kernel = Kernel.from_ctypes()  # doctest: +SKIP
    >>> landlock_abi(kernel)  # doctest: +SKIP
    7
"""

from __future__ import annotations

import os
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

SYS_LANDLOCK_CREATE_RULESET = 444  # the same numbers on x86_64 and aarch64 (and every arch since 5.13)
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

ACCESS_EXECUTE = 1 << 0
ACCESS_WRITE_FILE = 1 << 1
ACCESS_READ_FILE = 1 << 2
ACCESS_READ_DIR = 1 << 3
ACCESS_REMOVE_DIR = 1 << 4
ACCESS_REMOVE_FILE = 1 << 5
ACCESS_MAKE_CHAR = 1 << 6
ACCESS_MAKE_DIR = 1 << 7
ACCESS_MAKE_REG = 1 << 8
ACCESS_MAKE_SOCK = 1 << 9
ACCESS_MAKE_FIFO = 1 << 10
ACCESS_MAKE_BLOCK = 1 << 11
ACCESS_MAKE_SYM = 1 << 12
ACCESS_REFER = 1 << 13  # ABI 2
ACCESS_TRUNCATE = 1 << 14  # ABI 3
ACCESS_IOCTL_DEV = 1 << 15  # ABI 5

READ = ACCESS_EXECUTE | ACCESS_READ_FILE | ACCESS_READ_DIR
"""Read and execute: the Python installation, system libraries and programs."""
FILE_ONLY = ACCESS_EXECUTE | ACCESS_WRITE_FILE | ACCESS_READ_FILE | ACCESS_TRUNCATE | ACCESS_IOCTL_DEV
"""The rights a rule on a file (not a directory) may carry; the kernel refuses the others there."""
ALL = (1 << 16) - 1
"""Everything, for the code's own temp folder."""


class LandlockUnavailableError(OSError):
    """This kernel (or system) gives no Landlock; the message says why, for the isolation report."""


class Kernel:
    """The libc entry points Landlock needs, raising OSError with errno on failure.

    Args:
        syscall: libc's `syscall(number, ...)`; arguments are ints, bytes (pointers) or None (NULL).
        prctl: libc's `prctl(option, arg2, arg3, arg4, arg5)`.
        get_errno: the errno of the last call of either (ctypes' `use_errno` copy).
    """

    def __init__(self, syscall: Callable[..., int], prctl: Callable[..., int], get_errno: Callable[[], int]) -> None:
        self._syscall, self._prctl, self._errno = syscall, prctl, get_errno

    @classmethod
    def from_ctypes(cls) -> Kernel:
        """The entry points through `ctypes` (the parent process; the supervisor passes bare `_ctypes` ones)."""
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        return cls(libc.syscall, libc.prctl, ctypes.get_errno)

    def syscall(self, *args: int | bytes | None) -> int:
        """Call `syscall(*args)`; raise OSError on -1."""
        return self._check(self._syscall(*args))

    def prctl(self, *args: int) -> int:
        """Call `prctl(*args)`; raise OSError on -1."""
        return self._check(self._prctl(*args))

    def _check(self, result: int) -> int:
        if result < 0:
            err = self._errno()
            raise OSError(err, os.strerror(err))
        return int(result)


def landlock_abi(kernel: Kernel | None) -> int:
    """The Landlock ABI version of the running kernel (1 or more).

    Raises:
        LandlockUnavailableError: not Linux, no libc, a kernel without Landlock, or Landlock off or blocked; the
            message is a short reason for the isolation report.
    """
    if not sys.platform.startswith("linux"):
        raise LandlockUnavailableError(f"Landlock is Linux only (this is {sys.platform})")
    if kernel is None:
        raise LandlockUnavailableError("libc could not be loaded")
    try:
        return kernel.syscall(SYS_LANDLOCK_CREATE_RULESET, None, 0, LANDLOCK_CREATE_RULESET_VERSION)
    except OSError as e:
        why = {
            38: "kernel without Landlock (ENOSYS; Linux 5.13+ needed)",
            95: "Landlock is not enabled at boot (EOPNOTSUPP; add it to the lsm= kernel parameter)",
            1: "Landlock syscalls are blocked here (EPERM, e.g. a container's seccomp profile)",
        }.get(e.errno or 0, f"landlock_create_ruleset failed: {e}")
        raise LandlockUnavailableError(why) from None


def handled_access(abi: int) -> int:
    """The file-system rights that ABI `abi` knows (and that a ruleset of that ABI then denies by default)."""
    if abi >= 5:
        return ALL
    if abi >= 3:
        return ACCESS_TRUNCATE | (ACCESS_TRUNCATE - 1)
    if abi == 2:
        return ACCESS_REFER | (ACCESS_REFER - 1)
    return ACCESS_REFER - 1


def create_ruleset(kernel: Kernel, abi: int) -> int:
    """A new ruleset that handles every file-system right of `abi`; returns its file descriptor (close-on-exec)."""
    attr = handled_access(abi).to_bytes(8, sys.byteorder)  # struct landlock_ruleset_attr, .handled_access_fs only
    return kernel.syscall(SYS_LANDLOCK_CREATE_RULESET, attr, len(attr), 0)


def allow_path(kernel: Kernel, ruleset: int, path: str, access: int, abi: int) -> bool:
    """Allow `access` (masked to what `abi` knows) on `path` and everything below it; False when it is missing.

    Symbolic links are followed: the rule holds for the real file or folder. On a file only `FILE_ONLY` rights
    are kept.
    """
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        access &= handled_access(abi)
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            access &= FILE_ONLY
        if not access:
            return False
        # struct landlock_path_beneath_attr (packed): __u64 allowed_access; __s32 parent_fd
        attr = access.to_bytes(8, sys.byteorder) + fd.to_bytes(4, sys.byteorder, signed=True)
        kernel.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, attr, 0)
        return True
    finally:
        os.close(fd)


def allow_paths(kernel: Kernel, ruleset: int, paths: Iterable[str], access: int, abi: int) -> int:
    """`allow_path` for each of `paths`; returns how many rules were added."""
    return sum(allow_path(kernel, ruleset, p, access, abi) for p in paths)


def enforce(kernel: Kernel, ruleset: int) -> None:
    """Restrict this process and all it starts later to the ruleset (irreversible); closes the ruleset fd.

    Raises:
        OSError: when the kernel refuses (the caller must then not run the untrusted code).
    """
    try:
        kernel.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  # required for an unprivileged landlock_restrict_self
        kernel.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0)
    finally:
        os.close(ruleset)
