"""The code process: what the sandboxed code's own process does to itself before and after the code runs.

Why a module of its own: these steps are the last line between model-written code and the machine, in an order
that matters. Forked by the supervisor (`supervisor.py`), the process takes its own process group, narrows the
Landlock ruleset to its own /proc/<pid>, drops root for an unused uid, sets the rlimits, dies with its parent
(PR_SET_PDEATHSIG), enforces Landlock and loads the seccomp filter (or refuses to run the code), installs the
audit-hook guard and only then executes the code as `__main__` (a module of its own, so that `multiprocessing`
finds the code's functions). It never returns: it exits as a normal interpreter would, minus the slow teardown.

It runs in the supervisor's isolated interpreter, so, like the supervisor, it imports only cheap builtins and its
siblings (the supervisor puts their folder on sys.path while it imports them).

Example:
    >>> exit_code(None), exit_code(3)
    (0, 3)
"""

from __future__ import annotations

import _signal
import os
import resource
import sys

TYPE_CHECKING = False  # typing costs milliseconds at startup: type-only names live under this
if TYPE_CHECKING or __package__:
    from nsllm_cli.sandbox import landlock
else:  # imported by the supervisor run as a script, with this folder first on sys.path
    import landlock

if TYPE_CHECKING:
    from typing import Any, NoReturn

    from nsllm_cli.sandbox.supervisor import Config, Ruleset

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
PATH_EVENTS = {  # audit event -> ((index of a path argument, index of its dir_fd argument or -1), ...)
    "os.remove": ((0, 1),), "os.rmdir": ((0, 1),), "os.mkdir": ((0, 2),), "os.rename": ((0, 2), (1, 3)),
    "os.replace": ((0, 2), (1, 3)), "os.link": ((0, 2), (1, 3)), "os.symlink": ((1, 2),), "os.chmod": ((0, 2),),
    "os.chown": ((0, 3),), "os.truncate": ((0, -1),), "os.utime": ((0, 3),), "os.mkfifo": ((0, 2),),
    "os.mknod": ((0, 3),), "shutil.rmtree": ((0, 1),), "shutil.move": ((0, -1), (1, -1)),
}  # fmt: skip
NET_EVENTS = {
    "socket.connect", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo", "socket.gethostbyname",
    "socket.gethostbyaddr", "socket.getnameinfo",
}  # fmt: skip


def run(
    config: Config,
    source: bytes,
    *,
    libc: Any,
    ruleset: Ruleset,
    guard_network: bool,
    seccomp: bytes,
    writable: list[str],
) -> NoReturn:
    """Become the code process: own group, no privileges, limits, Landlock, seccomp, guard; then run the code.

    Args:
        config: the supervisor's configuration (limits, uid, the temp folder, the code's file).
        source: the code, read by the supervisor before any privilege drop.
        libc: the supervisor's libc (`libc.load_libc`), or None where there is none.
        ruleset: the Landlock ruleset to narrow and enforce (`fd` -1: Landlock does not hold).
        guard_network: refuse network access in the audit hook (no network namespace could be made).
        seccomp: the seccomp program to load (`seccomp_profile.compiled`); empty: none.
        writable: the folders the audit-hook guard lets the code write (Landlock's rules say the same).
    """
    for fd in (config["ctl_fd"], config["status_fd"]):
        try:
            os.close(fd)
        except OSError:
            pass
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    if ruleset.fd >= 0 and ruleset.kernel is not None:
        own = landlock.ACCESS_READ_FILE | landlock.ACCESS_READ_DIR
        try:
            landlock.allow_paths(ruleset.kernel, ruleset.fd, ["/proc/self"], own, ruleset.abi)  # its own pid only
        except OSError:
            pass
    uid = config["uid"]
    if uid >= 0:
        drop_privileges(uid, keep_read_capability=config["read_capability"], libc=libc)
        nproc = config["max_processes"]
    else:
        try:
            nproc = user_tasks(os.getuid()) + config["max_processes"] if sys.platform.startswith("linux") else 0
        except OSError:
            nproc = 0
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    limit("RLIMIT_CPU", config["cpu_s"], config["cpu_s"] + 1)
    limit("RLIMIT_AS", config["memory_bytes"])
    limit("RLIMIT_FSIZE", config["file_size_bytes"])
    limit("RLIMIT_NOFILE", config["open_files"])
    limit("RLIMIT_NPROC", nproc)
    if libc is not None:
        libc.prctl(1, _signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the supervisor (or the namespace init)
    if ruleset.fd >= 0 and ruleset.kernel is not None:
        try:
            landlock.enforce(ruleset.kernel, ruleset.fd)
        except OSError as e:  # the supervisor reported Landlock as holding: fail closed, do not run the code
            os.write(2, f"sandbox: Landlock could not restrict file access ({e}); the code was not run\n".encode())
            os._exit(126)
    if seccomp:
        try:
            load_seccomp(libc, seccomp)
        except OSError as e:  # the supervisor reported the filter as holding: fail closed
            os.write(2, f"sandbox: seccomp could not filter system calls ({e}); the code was not run\n".encode())
            os._exit(126)
    install_guard(writable, block_network=guard_network)
    import builtins

    def _quit(code: object = None) -> NoReturn:
        raise SystemExit(code)

    builtins.exit = builtins.quit = _quit  # type: ignore[assignment]
    main = config["main"]
    sys.argv = [main]
    sys.path[:] = [p for p in sys.path if p] + config["site_paths"]
    module = type(sys)("__main__")  # a real __main__ module: multiprocessing pickles the code's functions by it
    g = module.__dict__
    g.update({"__file__": main, "__builtins__": builtins, "__spec__": None})
    sys.modules["__main__"] = module
    rc = 0
    try:
        exec(compile(source, main, "exec"), g)
    except SystemExit as e:
        rc = exit_code(e.code)
    except BaseException as e:
        tb = e.__traceback__.tb_next if e.__traceback__ is not None else None
        sys.excepthook(type(e), e.with_traceback(tb), tb)
        rc = 1
    finish(rc)


def drop_privileges(uid: int, *, keep_read_capability: bool, libc: Any) -> None:
    """Root: become the unused `uid`, keeping only CAP_DAC_READ_SEARCH when the interpreter is not world-readable."""
    caps = keep_read_capability and libc is not None
    if caps:
        libc.prctl(8, 1, 0, 0, 0)  # PR_SET_KEEPCAPS
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if caps:
        hdr = libc.u32(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
        data = libc.u32(4, 4, 4, 0, 0, 0)  # effective, permitted, inheritable = CAP_DAC_READ_SEARCH only
        if libc.capset(hdr, data) == 0:
            libc.prctl(47, 2, 2, 0, 0)  # PR_CAP_AMBIENT_RAISE: survives exec of the interpreter by the code


def load_seccomp(libc: Any, program: bytes) -> None:
    """Filter the system calls of this process and of all it starts with `program` (BPF exported by libseccomp).

    Raises:
        OSError: the kernel refused the filter (the caller must then not run the code).
    """
    copy, address = libc.buffer(program)
    size = (sys.maxsize.bit_length() + 1) // 8  # a pointer
    # struct sock_fprog: unsigned short len (instructions of 8 bytes), padding, struct sock_filter *filter
    fprog = (len(program) // 8).to_bytes(2, sys.byteorder) + bytes(size - 2) + address.to_bytes(size, sys.byteorder)
    # PR_SET_NO_NEW_PRIVS (an unprivileged filter needs it; Landlock set it already), PR_SET_SECCOMP, MODE_FILTER
    if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, fprog, 0, 0) != 0:
        err = libc.get_errno()
        raise OSError(err, os.strerror(err))
    del copy  # the kernel copied the program


def user_tasks(uid: int) -> int:
    """Tasks (threads) of `uid`: RLIMIT_NPROC counts them all, so the limit is set relative to this."""
    n = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat("/proc/" + name).st_uid == uid:
                    n += len(os.listdir("/proc/" + name + "/task"))
            except OSError:
                pass
    return n


def limit(name: str, soft: int, hard: int | None = None) -> None:
    """Set one rlimit when this system has it and `soft` is positive; a refusal leaves it as it was."""
    res = getattr(resource, name, None)
    if res is not None and soft > 0:
        try:
            resource.setrlimit(res, (soft, soft if hard is None else hard))
        except (ValueError, OSError):
            pass


def install_guard(roots: list[str], *, block_network: bool) -> None:
    """Audit hook: a Python-level guard (ctypes or a child program can bypass it), not an OS barrier.

    Args:
        roots: the only folders the code may write (besides /dev/null): its temp folder, and its private /dev/shm.
        block_network: refuse socket connects and name lookups (no network namespace could be made).
    """
    realpath, fsdecode = os.path.realpath, os.fsdecode
    real = tuple(realpath(root) for root in roots)
    prefixes = tuple(root + os.sep for root in real)

    def inside(path: object, dir_fd: int | None = None) -> bool:
        if isinstance(path, int):
            return True
        try:
            p = fsdecode(path)  # type: ignore[arg-type]
            if dir_fd is not None and not os.path.isabs(p):
                p = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), p)
            p = realpath(p)
        except Exception:
            return False
        return p in real or p.startswith(prefixes) or p == "/dev/null"

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(flags, int) and flags & WRITE_FLAGS) or (
                isinstance(mode, str) and any(c in mode for c in "wax+")
            )
            if writing and not inside(path):
                raise PermissionError(f"sandbox: writing outside the sandbox folder is not allowed: {path!r}")
        elif event in PATH_EVENTS:
            for i, j in PATH_EVENTS[event]:
                dir_fd = args[j] if 0 <= j < len(args) and isinstance(args[j], int) and args[j] >= 0 else None
                if i < len(args) and not inside(args[i], dir_fd):
                    raise PermissionError(f"sandbox: {event} outside the sandbox folder is not allowed: {args[i]!r}")
        elif block_network and event in NET_EVENTS:
            raise PermissionError(f"sandbox: network access is disabled ({event})")

    sys.addaudithook(hook)


def exit_code(code: object) -> int:
    """The exit status of `SystemExit(code)`, printing a non-integer code as the interpreter does."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    try:
        print(code, file=sys.stderr)
    except Exception:
        pass
    return 1


def finish(rc: int) -> NoReturn:
    """What interpreter shutdown does that the code can see (threads, atexit, flush), minus the slow teardown."""
    try:
        if "threading" in sys.modules:
            sys.modules["threading"]._shutdown()
        import atexit

        atexit._run_exitfuncs()
    except SystemExit as e:
        rc = exit_code(e.code)
    except BaseException:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            rc = rc or 120
    os._exit(rc & 0xFF)
