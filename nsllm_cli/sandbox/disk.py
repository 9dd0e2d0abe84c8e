"""The code's disk budget (`Limits.disk_bytes`): a size-limited tmpfs where a mount namespace exists, else a watch.

Why: `RLIMIT_FSIZE` caps each file, not their sum. A program writing 1 MB files in a loop filled 2.1 GB in under
five seconds, and a full disk breaks every other process of the user. Two barriers, the first that holds:

- tmpfs (`mount_budget`): in the supervisor's private mount namespace, the temp folder becomes a tmpfs with
  `size=` and `nr_inodes=`, and /dev/shm (which `multiprocessing` needs for its semaphores) a private folder of
  the same tmpfs; the kernel refuses the write past the budget (ENOSPC). The tmpfs is freed with the namespace.
- watched (`usage`, `held_open`): without a mount namespace, the supervisor measures the folder's blocks and files,
  and the files of the folder that the code deleted but still holds open, every 50 ms while the code runs, and
  stops the run (reason "disk") once either passes the budget; it measures the folder once more when the code
  ends. A fast writer can pass the budget by what it writes in those 50 ms. Not seen: a file deleted and closed
  between two looks, or deleted while only mapped in memory (each is still capped by RLIMIT_FSIZE).

Like `supervisor.py`, this module runs in the sandbox's isolated interpreter: it imports `os` only.

Example:
    >>> max_files(256_000_000)
    15625
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

BYTES_PER_FILE = 16_384
"""One file (inode) of budget per this many bytes: bounds many-small-files writers and the kernel memory of a tmpfs."""
MIN_FILES = 64
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x1000, 0x4000, 0x40000
SHM = "/dev/shm"


def max_files(budget: int) -> int:
    """Files and folders the code may keep for a budget of `budget` bytes."""
    return max(budget // BYTES_PER_FILE, MIN_FILES)


def describe(budget: int) -> str:
    """A budget as people read it: "256 MB" (decimal megabytes, as `Limits.disk_bytes` defaults to)."""
    return f"{budget / 1e6:g} MB"


def mount_budget(libc: Any, root: str, budget: int, uid: int, *, reserve: int = 0) -> str:
    """Mount a tmpfs of `budget` bytes over `root` and a private /dev/shm from it; "" when it held, else why not.

    Call it in a fresh mount namespace, before the code's Landlock ruleset is built (its rules then name the
    tmpfs). Afterwards `root` shows only the tmpfs's `work` folder and /dev/shm its `shm` folder, both owned by
    `uid` (the code's uid; -1: the caller's), so neither shows the other and both count against one budget.
    `reserve` bytes and four files more are the run's own (the code's file, the two folders): not the code's budget.
    """

    def call(source: bytes | None, target: str, fstype: bytes | None, flags: int, data: bytes | None) -> None:
        if libc.mount(source, target.encode(), fstype, flags, data) != 0:
            err = libc.get_errno()
            raise OSError(err, f"mount {target}: {os.strerror(err)}")

    try:
        call(None, "/", None, MS_REC | MS_PRIVATE, None)  # nothing below propagates back to the host
        owner = f",uid={uid},gid={uid}" if uid >= 0 else ""
        options = f"size={budget + reserve},nr_inodes={max_files(budget) + 4},mode=0700{owner}".encode()
        call(b"tmpfs", root, b"tmpfs", MS_NOSUID | MS_NODEV, options)
        work, shm = os.path.join(root, "work"), os.path.join(root, "shm")
        for folder in (work, shm):
            os.mkdir(folder, 0o700)
            if uid >= 0:
                os.chown(folder, uid, uid)
        if os.path.isdir(SHM):
            call(shm.encode(), SHM, None, MS_BIND, None)
        call(work.encode(), root, None, MS_BIND, None)  # stacked on the tmpfs: `root` now shows `work`
        os.chdir(root)  # the cwd still named the folder under the mounts
    except OSError as e:
        return e.strerror or str(e)
    return ""


def private_shm(root: str) -> bool:
    """True when /dev/shm is the run's own folder (`mount_budget` held): Landlock may then let the code write it."""
    try:
        return os.stat(SHM).st_dev == os.stat(root).st_dev
    except OSError:
        return False


def full(root: str) -> bool:
    """True when the tmpfs at `root` has no room left for one more page or one more file."""
    try:
        st = os.statvfs(root)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 65536 or st.f_favail < 2


OVER = 1 << 62
"""What a folder that cannot be measured counts as: over any budget (fail closed)."""


def usage(root: str, seen: set[int] | None = None) -> tuple[int, int]:
    """Bytes allocated (blocks, hard links once) and files under `root`, not following symbolic links.

    A folder the code made unreadable is made readable again (the supervisor runs as its owner or as root). One
    that stays unreadable, or a path too long to measure, counts as `OVER` any budget.

    Args:
        root: the folder.
        seen: inodes already counted (filled in here, for `held_open`).
    """
    seen = set() if seen is None else seen
    size = files = 0
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:  # deleted while measured
            continue
        except PermissionError:
            try:
                os.chmod(folder, 0o700)
                entries = list(os.scandir(folder))
            except OSError:
                return OVER, OVER
        except OSError:
            return OVER, OVER
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            except OSError:
                return OVER, OVER
            files += 1
            if st.st_ino not in seen:
                seen.add(st.st_ino)
                size += st.st_blocks * 512
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
    return size, files


def held_open(pids: list[int], root: str, seen: set[int]) -> int:
    """Bytes of files under `root` that were deleted but are still open in one of `pids` (the folder lists them no
    more, yet they take disk space until the last descriptor closes); inodes in `seen` are not counted again."""
    prefix, size = root + os.sep, 0
    for pid in pids:
        fds = f"/proc/{pid}/fd/"
        try:
            names = os.listdir(fds)
        except OSError:  # gone
            continue
        for name in names:
            try:
                target = os.readlink(fds + name)
                if not (target.startswith(prefix) and target.endswith(" (deleted)")):
                    continue
                st = os.stat(fds + name)
            except OSError:
                continue
            if st.st_ino not in seen:
                seen.add(st.st_ino)
                size += st.st_blocks * 512
    return size
