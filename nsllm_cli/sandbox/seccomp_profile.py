"""The sandbox's seccomp profile: the system calls the code may not make, one table with the reason for each.

Why: Landlock, rlimits and namespaces leave the kernel's whole system-call surface open. A sandboxed program that
creates a user namespace reaches code paths that unprivileged processes otherwise never reach, and most of the
kernel's privilege-escalation bugs go through them. Docker's default profile, nsjail and bubblewrap refuse these
calls; this table does the same in the same spirit (a deny-list: everything else stays allowed).

How: the parent compiles the table once per process with libseccomp (through the `pyseccomp` binding, never
hand-assembled BPF) and exports the BPF program (`compiled`). The code process loads that program with one prctl
right before the code runs (`code_process.load_seccomp`), so the round trip pays no import and no compile.
Where libseccomp or its binding is missing, `compiled` says why and the run reports the syscalls as unfiltered.

Example:
    >>> any(rule.syscall == "unshare" for rule in PROFILE)
    True
"""

from __future__ import annotations

import errno
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache

NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)
"""CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET (CLONE_NEWTIME is a clone3/unshare flag only)."""
UNSAFE_PERSONA = (0x0040000, 0x0100000, 0x0200000, 0x0400000)
"""ADDR_NO_RANDOMIZE, MMAP_PAGE_ZERO, ADDR_COMPAT_LAYOUT, READ_IMPLIES_EXEC: the kernel's PER_CLEAR_ON_SETID."""
MASKED_EQ = 7
"""libseccomp's SCMP_CMP_MASKED_EQ: (argument & datum a) == datum b."""

Condition = tuple[int, int, int, int]
"""(argument index, libseccomp operator, datum a, datum b): all conditions of one alternative must hold."""


@dataclass(frozen=True)
class Deny:
    """One system call the code may not make, the errno it gets instead, and why."""

    syscall: str
    why: str
    errno: int = errno.EPERM
    when: tuple[tuple[Condition, ...], ...] = ()
    """Deny only when one of these alternatives holds (each a tuple of conditions); empty: always."""


def _flag_set(arg: int, flags: tuple[int, ...]) -> tuple[tuple[Condition, ...], ...]:
    """One alternative per flag: the call is denied when any of `flags` is set in argument `arg`.

    (libseccomp compares an argument once per rule, so "set, but not the query value" cannot be one rule: the
    persona query `personality(0xffffffff)`, which has every bit set, is refused too.)
    """
    return tuple(((arg, MASKED_EQ, flag, flag),) for flag in flags)


_NS = "namespaces open most of the kernel's privilege-escalation surface to an unprivileged process"
_MOUNT = "changes the file system tree that Landlock and the disk budget rely on"
_PEEK = "reads or writes another process's memory or file descriptors"
_KERNEL = "loads code or state into the kernel"
_KEYS = "the kernel keyring is not namespaced: keys of other sandboxes and of the user"
_ADMIN = "changes the whole machine, not the process"

PROFILE: tuple[Deny, ...] = (
    Deny("unshare", _NS),
    Deny("setns", _NS),
    Deny("clone", _NS + " (clone with a CLONE_NEW* flag)", when=_flag_set(0, NAMESPACE_FLAGS)),
    Deny(
        "clone3",
        "its flags are in a struct that seccomp cannot read; ENOSYS makes libc fall back to clone (as Docker does)",
        errno=errno.ENOSYS,
    ),
    Deny("mount", _MOUNT),
    Deny("umount2", _MOUNT),
    Deny("umount", _MOUNT),
    Deny("pivot_root", _MOUNT),
    Deny("chroot", _MOUNT),
    Deny("fsopen", _MOUNT + " (new mount API)"),
    Deny("fsconfig", _MOUNT + " (new mount API)"),
    Deny("fsmount", _MOUNT + " (new mount API)"),
    Deny("fspick", _MOUNT + " (new mount API)"),
    Deny("move_mount", _MOUNT + " (new mount API)"),
    Deny("open_tree", _MOUNT + " (new mount API)"),
    Deny("mount_setattr", _MOUNT + " (new mount API)"),
    Deny("ptrace", _PEEK),
    Deny("process_vm_readv", _PEEK),
    Deny("process_vm_writev", _PEEK),
    Deny("pidfd_getfd", _PEEK),
    Deny("kcmp", _PEEK + " (compares kernel objects of other processes)"),
    Deny("bpf", "eBPF programs run in the kernel: a large attack surface"),
    Deny("perf_event_open", "kernel profiling: side channels and a history of exploits"),
    Deny("userfaultfd", "lets a program pause the kernel inside a page fault: the usual tool of race exploits"),
    Deny("keyctl", _KEYS),
    Deny("add_key", _KEYS),
    Deny("request_key", _KEYS),
    Deny("kexec_load", _KERNEL),
    Deny("kexec_file_load", _KERNEL),
    Deny("init_module", _KERNEL),
    Deny("finit_module", _KERNEL),
    Deny("delete_module", _KERNEL),
    Deny("io_uring_setup", "io_uring bypasses seccomp for the calls it makes and has had many exploits"),
    Deny("io_uring_enter", "io_uring bypasses seccomp for the calls it makes and has had many exploits"),
    Deny("io_uring_register", "io_uring bypasses seccomp for the calls it makes and has had many exploits"),
    Deny("open_by_handle_at", "opens files by handle, around path-based checks (the 'shocker' container escape)"),
    Deny(
        "personality",
        "unsafe personas switch off address-space randomisation or make data executable",
        when=_flag_set(0, UNSAFE_PERSONA),
    ),
    Deny("acct", _ADMIN),
    Deny("quotactl", _ADMIN),
    Deny("reboot", _ADMIN),
    Deny("swapon", _ADMIN),
    Deny("swapoff", _ADMIN),
    Deny("settimeofday", _ADMIN),
    Deny("clock_settime", _ADMIN),
    Deny("syslog", "reads the kernel log (addresses that defeat KASLR)"),
    Deny("iopl", "raw I/O port access"),
    Deny("ioperm", "raw I/O port access"),
    Deny("uselib", "an obsolete loader call with its own exploit history; nothing modern uses it"),
    Deny("vhangup", "hangs up the controlling terminal of other processes"),
)
"""Everything the code may not do besides what Landlock and the rlimits already stop; every other call is allowed."""


@dataclass(frozen=True)
class Compiled:
    """The profile as a BPF program for this machine's architecture, or why there is none."""

    program: bytes
    """struct sock_filter[] as libseccomp exported it; empty: no filter."""
    denied: int
    """System calls of `PROFILE` that exist on this architecture (and are denied, always or by argument)."""
    why: str = ""
    """Why there is no program ("" when there is one)."""


@lru_cache(maxsize=1)
def compiled() -> Compiled:
    """`PROFILE` compiled by libseccomp for the native architecture (once per process).

    Calls this architecture does not have are skipped; calls from another ABI of the same machine (i386 on x86_64)
    hit libseccomp's bad-architecture action, which kills the process.
    """
    try:
        import pyseccomp as sc
    except (ImportError, OSError, RuntimeError) as e:  # the binding or the system's libseccomp is missing
        return Compiled(b"", 0, f"libseccomp unavailable: {e}")
    try:
        f = sc.SyscallFilter(sc.ALLOW)
        denied = 0
        for rule in PROFILE:
            try:
                nr = sc.resolve_syscall(sc.Arch.NATIVE, rule.syscall)
            except (ValueError, OSError):
                continue
            if nr < 0:  # libseccomp's pseudo-number: no such call on this architecture
                continue
            for alternative in rule.when or ((),):
                f.add_rule(sc.ERRNO(rule.errno), nr, *(sc.Arg(*c) for c in alternative))
            denied += 1
        with tempfile.TemporaryFile() as out:
            f.export_bpf(out)
            out.seek(0)
            program = out.read()
    except OSError as e:
        return Compiled(b"", 0, f"libseccomp could not compile the profile: {os.strerror(e.errno or 0) or e}")
    return Compiled(program, denied)
