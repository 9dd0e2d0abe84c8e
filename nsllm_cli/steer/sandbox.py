"""Run model-written Python in a separate, limited, killable process (issue #4; codesteer.md section 6).

Layers, strongest first (what is active is measured per run, see `ExecResult.isolation` and `isolation_report`):

- OS barriers (real): a new process in a fresh temp folder, `python -I`, a scrubbed environment (no API keys),
  `setrlimit` limits (CPU, address space, file size, open files, processes, no core dumps); on Linux with
  Landlock (5.13+, see `landlock.py`) the code reads only the Python installation it runs, system libraries and
  programs, a few device files and its own /proc/<pid>, and writes only its temp folder (and /dev/null); on Linux
  a PID namespace (every process dies with the namespace) and a network namespace with no interfaces but a down
  loopback, when `unshare` is allowed; as root, an unused uid (so RLIMIT_NPROC applies and the file system
  permissions hold).
- Fallbacks: without namespaces, a supervisor made child subreaper (`prctl`) kills every descendant found in /proc,
  setsid'd grandchildren included; elsewhere only the process group is killed.
- Guards (Python level only, bypassable with ctypes or a child program): an audit hook refuses writes outside the
  temp folder and, when no network namespace could be made, socket connects and name lookups.

Not covered: without Landlock (old kernel, macOS, Landlock off) reading files is not restricted (as root the code
runs with CAP_DAC_READ_SEARCH when the interpreter lives in a folder other users cannot read, e.g. under a 0700
/root) and, without root, same-uid processes' /proc/<pid>/environ stays readable; `Isolation.files` says which
held. In the no-namespace, non-root fallback the code can signal its supervisor (it then dies with it through
PR_SET_PDEATHSIG, but its own setsid'd children may be re-parented out of reach).

Example:
    >>> result = run_code("print(6 * 7)")  # doctest: +SKIP
    >>> result.stdout, result.ok  # doctest: +SKIP
    ('42\\n', True)
"""

from __future__ import annotations

import os
import secrets
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from nsllm_cli.errors import NsllmError

ALLOW_FLAG = "--allow-code-execution"
ALLOW_ENV = "NSLLM_ALLOW_CODE_EXECUTION"
_USE_NAMESPACES = True  # tests switch this off to exercise the fallbacks on a machine that has namespaces
_USE_LANDLOCK = True  # tests and the benchmark switch this off to see the no-Landlock fallback
_BACKSTOP_S = 5.0  # the supervisor enforces the timeout; the parent kills everything this much later
_EOF_GRACE_S = 0.5  # after the supervisor is gone, how long to wait for pipes that an escaped process holds open
_FLOOD_FACTOR = 16  # read and discard up to this many times `output_bytes` before killing a flood
_UID_BASE = 0x7000_0000  # a run as root switches to a random uid in [base, base + 2**24): no user or file has it
# Landlock, read and execute (besides the Python installation, `_python_paths`): shared libraries and the dynamic
# loader's cache, programs a snippet may start, time zones, locales, the CPU count (glibc, OpenBLAS). No user data.
_SYSTEM_READ = (
    *("/lib", "/lib32", "/lib64", "/libx32", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32", "/usr/local/lib"),
    *("/bin", "/usr/bin", "/usr/local/bin", "/etc/ld.so.cache", "/etc/localtime", "/usr/share/zoneinfo"),
    *("/usr/share/locale", "/sys/devices/system/cpu"),
)
_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")  # Landlock: read and write


class CodeExecutionNotAllowedError(NsllmError):
    """Model-written code would run, but the user did not opt in."""


def code_allowed(flag: bool) -> bool:
    """Whether the user opted in to running model code: the command's flag, or NSLLM_ALLOW_CODE_EXECUTION=1."""
    return flag or os.environ.get(ALLOW_ENV, "").strip().lower() in {"1", "true", "yes"}


def check_allowed(allowed: bool) -> None:
    """Refuse to run model code unless the user opted in (the original ran it with every API key visible).

    Raises:
        CodeExecutionNotAllowedError: when `allowed` is false; the message names the flag and the setting.
    """
    if not allowed:
        raise CodeExecutionNotAllowedError(
            f"running model-written code is off: pass {ALLOW_FLAG} or set {ALLOW_ENV}=1 (it runs in a sandbox)"
        )


@dataclass(frozen=True)
class Limits:
    """Resource limits for one execution (0 or less switches one limit off)."""

    timeout_s: float = 10.0
    cpu_s: int = 10
    memory_mb: int = 1024
    file_size_mb: int = 16
    max_processes: int = 64
    output_bytes: int = 64_000
    network: bool = False
    open_files: int = 256


@dataclass(frozen=True)
class Isolation:
    """Which mechanism was active for one run, so reports can say how much the sandbox really isolated."""

    network: str  # "netns" (OS barrier), "guard" (audit hook), "off" (Limits.network=True)
    processes: str  # "pidns", "subreaper" (tree kill via /proc), "pgroup" (process group only)
    files: str  # "landlock (ABI 7)", or "reads not restricted (landlock unavailable: why); writes: uid+guard"
    landlock_abi: int = 0  # the Landlock ABI that restricted reads and writes; 0: Landlock did not hold


@dataclass(frozen=True)
class ExecResult:
    """What happened: captured (capped) output, exit code, and why it stopped if it was stopped."""

    stdout: str
    stderr: str
    returncode: int | None
    timed_out: bool = False
    killed_reason: str | None = None  # "timeout", "memory", "cpu", "file_size", "output", "killed" or None
    duration_s: float = 0.0
    truncated: bool = False
    isolation: Isolation | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and self.killed_reason is None


class SandboxBackend(Protocol):
    """Anything that runs code under limits (a container backend can be added later, codesteer.md section 6)."""

    def run(self, code: str, limits: Limits | None = None) -> ExecResult: ...


class ProcessSandbox:
    """The default backend: `run_code` in a local supervised process."""

    def run(self, code: str, limits: Limits | None = None) -> ExecResult:
        return run_code(code, limits)


def run_code(code: str, limits: Limits | None = None) -> ExecResult:
    """Execute `code` with `python -I` in a fresh temp folder under `limits`; nothing it starts outlives the call.

    The code runs under a small supervisor that enforces the timeout (no threads), reports the exit status
    and kills every process the code started, also when the code exited early or the caller died. The temp
    folder is deleted afterwards. Output is read incrementally and capped at `limits.output_bytes` per stream.

    Args:
        code: Python source, run as the file `main.py` with `__name__ == "__main__"`.
        limits: resource limits; `Limits()` when omitted.

    Returns:
        The capped output, exit code (negative: killed by that signal), why it was stopped, and what isolated it.

    Raises:
        NsllmError: on a system without POSIX process control (Windows).
    """
    if os.name != "posix":
        raise NsllmError("the code sandbox needs a POSIX system (Linux or macOS)")
    limits = limits or Limits()
    root = Path(tempfile.mkdtemp(prefix="nsllm-sandbox-"))
    try:
        return _run_in(root, code, limits)
    finally:
        _rmtree(root)


@lru_cache(maxsize=1)
def isolation_report() -> Isolation | None:
    """Which isolation mechanisms this machine actually gives (one trivial run, cached): for `nsllm env`/reports."""
    return run_code("pass", Limits(timeout_s=10.0)).isolation


def _run_in(root: Path, code: str, limits: Limits) -> ExecResult:
    main = root / "main.py"
    main.write_text(code, encoding="utf-8")
    boot = root / "boot.pyc"  # precompiled: compiling the bootstrap source on every run costs several ms
    boot.write_bytes(_bootstrap_pyc())
    uid = -1
    if os.geteuid() == 0 and sys.platform.startswith("linux"):  # root ignores RLIMIT_NPROC and file permissions
        uid = _UID_BASE + secrets.randbelow(1 << 24)
        os.chown(root, uid, uid)
    mib = 1024 * 1024
    args = [
        f"{limits.timeout_s!r}",
        str(limits.cpu_s),
        str(max(limits.memory_mb, 0) * mib),
        str(max(limits.file_size_mb, 0) * mib),
        str(limits.max_processes),
        str(limits.open_files),
        "0" if limits.network else "1",
        str(uid),
        "1" if _USE_NAMESPACES else "0",
        "1" if uid >= 0 and _needs_read_capability() else "0",
        str(root),
        str(main),
        os.pathsep.join(_site_paths()),
        os.pathsep.join(_landlock_read_paths()) if _USE_LANDLOCK else "",
        os.pathsep.join(_DEVICES),
    ]
    ctl_r, ctl_w = os.pipe()
    st_r, st_w = os.pipe()
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-B", "-X", "utf8", str(boot), str(ctl_r), str(st_w), *args],
            cwd=root,
            env=_child_env(root),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(ctl_r, st_w),
            start_new_session=True,
        )
    except BaseException:
        for fd in (ctl_w, st_r):
            os.close(fd)
        raise
    finally:
        os.close(ctl_r)
        os.close(st_w)
    try:
        got = _collect(proc, ctl_w, st_r, limits, start)
        if b"why=" not in got.status:  # the supervisor died early (killed by the code?): kill what it started
            _kill_all(proc, ctl_w, got.status)
    finally:
        _close_quietly(ctl_w)  # EOF on the control pipe: the supervisor kills everything if it still runs
        os.close(st_r)
        _reap(proc)
    return _result(got, time.monotonic() - start)


@dataclass
class _Collected:
    stdout: bytearray
    stderr: bytearray
    status: bytearray
    truncated: bool = False
    stopped_for: str | None = None  # "output" or "timeout" when the parent had to intervene


def _collect(proc: subprocess.Popen[bytes], ctl_w: int, st_r: int, limits: Limits, start: float) -> _Collected:
    """Read stdout, stderr and the supervisor's status without threads until the supervisor is gone."""
    assert proc.stdout is not None and proc.stderr is not None
    got = _Collected(bytearray(), bytearray(), bytearray())
    bufs = {proc.stdout.fileno(): got.stdout, proc.stderr.fileno(): got.stderr, st_r: got.status}
    seen = dict.fromkeys(bufs, 0)
    cap = max(limits.output_bytes, 0)
    flood = max(cap * _FLOOD_FACTOR, 1 << 20)
    backstop = start + limits.timeout_s + _BACKSTOP_S
    eof_by: float | None = None
    with selectors.DefaultSelector() as sel:
        for fd in bufs:
            sel.register(fd, selectors.EVENT_READ)
        while sel.get_map():
            now = time.monotonic()
            if eof_by is None and proc.poll() is not None:
                eof_by = now + _EOF_GRACE_S  # an escaped process may hold the pipes open: do not wait for it
            if eof_by is not None and now >= eof_by:
                break
            if now >= backstop and got.stopped_for != "timeout":
                got.stopped_for = "timeout"
                _kill_all(proc, ctl_w, got.status)
                eof_by = now + _EOF_GRACE_S
            wait = min(0.1, backstop - now, (eof_by or now + 1) - now)
            for key, _ in sel.select(max(wait, 0.0)):
                fd = int(key.fd)
                data = os.read(fd, 1 << 16)
                if not data:
                    sel.unregister(fd)
                    continue
                buf = bufs[fd]
                if fd == st_r:
                    buf += data
                    continue
                seen[fd] += len(data)
                if len(buf) < cap:
                    buf += data[: cap - len(buf)]
                got.truncated = got.truncated or seen[fd] > cap
                if seen[fd] > flood and got.stopped_for is None:
                    got.stopped_for = "output"
                    _tell(ctl_w, b"o")
    return got


def _result(got: _Collected, duration: float) -> ExecResult:
    """Turn the raw capture and the supervisor's `key=value` status into an ExecResult."""
    status = dict(t.split("=", 1) for t in got.status.decode("ascii", "replace").split() if "=" in t)
    why = status.get("why", "")
    stderr = got.stderr.decode("utf-8", "replace")
    returncode: int | None = None
    if "code" in status:
        returncode = os.waitstatus_to_exitcode(int(status["code"]))
    elif why or got.stopped_for:
        returncode = -signal.SIGKILL
    timed_out = why in ("timeout", "parent") or got.stopped_for == "timeout"
    reason: str | None = None
    if got.stopped_for == "output" or why == "output":
        reason = "output"
    elif timed_out:
        reason = "timeout"
    elif returncode is None:
        reason = "killed"  # the supervisor itself died (killed by the code?) before it could report
    elif returncode != 0:
        reason = _reason_from_exit(returncode, stderr)
    isolation = None
    if {"net", "procs", "fs"} <= status.keys():
        isolation = _isolation(status)
    return ExecResult(
        stdout=got.stdout.decode("utf-8", "replace"),
        stderr=stderr,
        returncode=returncode,
        timed_out=timed_out,
        killed_reason=reason,
        duration_s=duration,
        truncated=got.truncated,
        isolation=isolation,
    )


def _isolation(status: dict[str, str]) -> Isolation:
    """The supervisor's `net= procs= fs= landlock=` words as an Isolation (landlock=ABI, or 0:why, %-escaped)."""
    from urllib.parse import unquote

    abi, _, why = status.get("landlock", "0:not reported").partition(":")
    landlock_abi = int(abi) if abi.isdigit() else 0
    if landlock_abi > 0:
        files = f"landlock (ABI {landlock_abi})"
    else:
        files = f"reads not restricted (landlock unavailable: {unquote(why)}); writes: {status['fs']}"
    return Isolation(network=status["net"], processes=status["procs"], files=files, landlock_abi=landlock_abi)


def _reason_from_exit(returncode: int, stderr: str) -> str | None:
    """Name the limit behind a failure: the signal the kernel sent, or the last line of the traceback."""
    by_signal = {-signal.SIGXCPU: "cpu", -signal.SIGXFSZ: "file_size", -signal.SIGKILL: "killed"}
    if returncode in by_signal:
        return by_signal[returncode]
    lines = stderr.rstrip().splitlines()
    last = lines[-1] if lines else ""
    if last.startswith("MemoryError"):
        return "memory"
    if "[Errno 27]" in last or "File too large" in last:
        return "file_size"
    return None


def _kill_all(proc: subprocess.Popen[bytes], ctl_w: int, status: bytearray) -> None:
    """Backstop when the supervisor itself is stuck: ask it, then kill its group and the code's top process."""
    _tell(ctl_w, b"p")
    targets = [proc.pid]
    for token in status.decode("ascii", "replace").split():
        if token.startswith("child="):
            targets.append(int(token[len("child=") :]))
    for pid in targets:
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except OSError:
                pass


def _tell(fd: int, word: bytes) -> None:
    try:
        os.write(fd, word)
    except OSError:
        pass


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _reap(proc: subprocess.Popen[bytes]) -> None:
    """Wait for the supervisor (it exits right after its status); kill its group if it does not."""
    try:
        proc.wait(timeout=_BACKSTOP_S)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def _child_env(root: Path) -> dict[str, str]:
    """A minimal environment: nothing from the parent's (API keys, tokens, proxies) reaches the code."""
    path = os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"])
    env = {"PATH": path, "HOME": str(root), "TMPDIR": str(root), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    # One BLAS/OpenMP thread: threads count against RLIMIT_NPROC and each reserves address space (RLIMIT_AS).
    env.update(dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1"))
    return env


@lru_cache(maxsize=1)
def _bootstrap_pyc() -> bytes:
    """The bootstrap as a .pyc image (magic, 12 header bytes, marshalled code): `python file.pyc` runs it as is."""
    import marshal
    from importlib.util import MAGIC_NUMBER

    from nsllm_cli.steer import landlock

    source = Path(landlock.__file__).read_text(encoding="utf-8") + "\n\n" + _BOOTSTRAP  # see landlock's docstring
    return MAGIC_NUMBER + bytes(12) + marshal.dumps(compile(source, "<nsllm-sandbox>", "exec"))


@lru_cache(maxsize=1)
def _site_paths() -> tuple[str, ...]:
    """The parent's site-packages: the child runs with -S (faster) and gets them without executing .pth files."""
    import site

    try:
        paths = site.getsitepackages()
    except AttributeError:  # pragma: no cover - some embedded interpreters
        paths = []
    return tuple(p for p in paths if os.path.isdir(p))


@lru_cache(maxsize=1)
def _python_paths() -> tuple[str, ...]:
    """The interpreter's own files, symlinks resolved: its binary's folder, stdlib, lib-dynload, site-packages,
    the shared libpython's folder and a venv's pyvenv.cfg. Not the parent's sys.path at large (cwd, editable
    installs)."""
    import sysconfig

    real = os.path.realpath
    prefixes = {real(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    layout = sysconfig.get_paths()
    found = [os.path.dirname(real(sys.executable)), *_site_paths()]
    found += [layout[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in layout]
    if sysconfig.get_config_var("Py_ENABLE_SHARED") and sysconfig.get_config_var("LIBDIR"):
        found.append(str(sysconfig.get_config_var("LIBDIR")))
    found += [p for p in sys.path if p and any(real(p).startswith(pre + os.sep) for pre in prefixes)]
    found.append(os.path.join(sys.prefix, "pyvenv.cfg"))  # a python started by the code reads it
    paths = dict.fromkeys(real(p) for p in found if os.path.exists(p))
    return tuple(p for p in paths if os.pathsep not in p)


def _landlock_read_paths() -> tuple[str, ...]:
    """What Landlock lets the code read and execute: `_python_paths` and `_SYSTEM_READ`, never a folder that holds
    the user's home or the current folder (a Python installed at / or in $HOME itself)."""
    keep = []
    try:
        guarded = [os.path.realpath(p) for p in (os.path.expanduser("~"), os.getcwd())]
    except OSError:  # the current folder was deleted
        guarded = [os.path.realpath(os.path.expanduser("~"))]
    for path in (*_python_paths(), *_SYSTEM_READ):
        if not any(g == path or g.startswith(path.rstrip(os.sep) + os.sep) for g in guarded):
            keep.append(path)
    return tuple(keep)


@lru_cache(maxsize=1)
def _needs_read_capability() -> bool:
    """True when another uid could not read the interpreter or its libraries (e.g. a Python under a 0700 /root)."""
    targets = [os.path.realpath(sys.executable), os.path.dirname(os.__file__), *_site_paths()]
    return not all(_world_readable(Path(t)) for t in targets)


def _world_readable(path: Path) -> bool:
    try:
        if not path.stat().st_mode & stat.S_IROTH:
            return False
        return all(p.stat().st_mode & stat.S_IXOTH for p in path.resolve().parents)
    except OSError:
        return False


def _rmtree(path: Path) -> None:
    """Delete the temp folder even when the code removed permissions inside it."""

    def fix(func: object, name: str, exc: object) -> None:
        try:
            os.chmod(os.path.dirname(name), 0o700)
            if os.path.isdir(name) and not os.path.islink(name):
                os.chmod(name, 0o700)
                shutil.rmtree(name, ignore_errors=True)
            else:
                os.unlink(name)
        except OSError:
            pass

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=fix)
    else:
        shutil.rmtree(path, onerror=fix)


# The supervisor/bootstrap that runs in the child (`python -I -S -B -X utf8 boot.pyc ...`, see _bootstrap_pyc).
# It is a string because it must import nothing from this package; it only imports cheap builtins (no json, no
# signal -> enum, no ctypes package).
_BOOTSTRAP = r'''# Sandbox bootstrap, run as `python -I -S -B -X utf8 boot.pyc ARGS...` (see _run_in above).
# Shape: supervisor -> [ns init ->] code. Imports only cheap builtins so a round trip stays fast.
# landlock.py comes first in the same code object (Kernel, landlock_abi, create_ruleset, allow_paths, enforce).
import os
import resource
import select
import sys
import time

import _signal

A = sys.argv[1:]
CTL, ST = int(A[0]), int(A[1])
TIMEOUT, CPU, MEM, FSIZE, NPROC, NOFILE = float(A[2]), int(A[3]), int(A[4]), int(A[5]), int(A[6]), int(A[7])
BLOCK_NET, UID, USE_NS, CAPS, ROOT, MAIN = A[8] == "1", int(A[9]), A[10] == "1", A[11] == "1", A[12], A[13]
PATHS = [p for p in A[14].split(os.pathsep) if p]
LL_READ = [p for p in A[15].split(os.pathsep) if p]  # empty: Landlock switched off
LL_DEVICES = [p for p in A[16].split(os.pathsep) if p]
DEADLINE = time.monotonic() + TIMEOUT
KILL = _signal.SIGKILL
IS_ROOT = os.geteuid() == 0
LINUX = sys.platform.startswith("linux")
with open(MAIN, "rb") as f:
    SRC = f.read()


def report(text):
    try:
        os.write(ST, text.encode())
    except OSError:
        pass




def load_libc():
    """libc through `_ctypes` alone: the `ctypes` package costs several ms of startup (struct, endian classes)."""
    import _ctypes

    class c_int(_ctypes._SimpleCData):
        _type_ = "i"

    class c_uint(_ctypes._SimpleCData):
        _type_ = "I"

    class Fn(_ctypes.CFuncPtr):
        _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
        _restype_ = c_int

    class Lib:
        _handle = _ctypes.dlopen(None, 0x102)  # RTLD_NOW | RTLD_GLOBAL, like ctypes.CDLL(None)
        get_errno = staticmethod(_ctypes.get_errno)

        def __getattr__(self, name):
            return Fn((name, self))

        @staticmethod
        def u32(*values):
            class U(_ctypes.Array):
                _type_ = c_uint
                _length_ = len(values)

            return U(*values)

    return Lib()


libc = None
if LINUX:
    try:
        libc = load_libc()
    except Exception:
        libc = None

net = "guard" if BLOCK_NET else "off"
procs = "pgroup"
fs = "uid+guard" if UID >= 0 else "guard"
if USE_NS and libc is not None:
    uid0, gid0 = os.getuid(), os.getgid()
    flags = 0x20000000 | (0x40000000 if BLOCK_NET else 0) | (0 if IS_ROOT else 0x10000000)
    if libc.unshare(flags) == 0:
        procs = "pidns"
        net = "netns" if BLOCK_NET else net
        if not IS_ROOT:
            for name, text in (("setgroups", "deny"), ("uid_map", f"{uid0} {uid0} 1"), ("gid_map", f"{gid0} {gid0} 1")):
                try:
                    with open("/proc/self/" + name, "w") as f:
                        f.write(text)
                except OSError:
                    pass
if procs == "pgroup" and libc is not None and libc.prctl(36, 1, 0, 0, 0) == 0:  # PR_SET_CHILD_SUBREAPER
    procs = "subreaper"


def landlock_ruleset():
    """The code's Landlock ruleset, built here (as the caller's user, before any privilege drop): (kernel, fd, abi,
    why). The code process adds its own /proc/<pid> and enforces it; fd -1 and a reason when Landlock is not there."""
    if not LL_READ:
        return None, -1, 0, "switched off"
    try:
        kernel = Kernel(libc.syscall, libc.prctl, libc.get_errno) if libc is not None else None
        abi = landlock_abi(kernel)
        fd = create_ruleset(kernel, abi)
        allow_paths(kernel, fd, LL_READ, READ, abi)
        allow_paths(kernel, fd, LL_DEVICES, ACCESS_READ_FILE | ACCESS_WRITE_FILE | ACCESS_TRUNCATE, abi)
        allow_paths(kernel, fd, [ROOT], ALL, abi)
        allow_paths(kernel, fd, ["/proc"], ACCESS_READ_DIR, abi)  # list processes; their files stay closed
        return kernel, fd, abi, ""
    except OSError as e:
        return None, -1, 0, str(e)


LL_KERNEL, LL_FD, LL_ABI, LL_WHY = landlock_ruleset()


def user_tasks(uid):
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


def limit(name, soft, hard=None):
    res = getattr(resource, name, None)
    if res is not None and soft > 0:
        try:
            resource.setrlimit(res, (soft, soft if hard is None else hard))
        except (ValueError, OSError):
            pass


def drop_privileges():
    """Root: become an unused uid, keeping only CAP_DAC_READ_SEARCH when the interpreter is not world-readable."""
    if CAPS and libc is not None:
        libc.prctl(8, 1, 0, 0, 0)  # PR_SET_KEEPCAPS
    os.setgroups([])
    os.setresgid(UID, UID, UID)
    os.setresuid(UID, UID, UID)
    if CAPS and libc is not None:
        hdr = libc.u32(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
        data = libc.u32(4, 4, 4, 0, 0, 0)  # effective, permitted, inheritable = CAP_DAC_READ_SEARCH only
        if libc.capset(hdr, data) == 0:
            libc.prctl(47, 2, 2, 0, 0)  # PR_CAP_AMBIENT_RAISE: survives exec of the interpreter by the code


WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
PATH_EVENTS = {  # event -> ((index of a path argument, index of its dir_fd argument or -1), ...)
    "os.remove": ((0, 1),), "os.rmdir": ((0, 1),), "os.mkdir": ((0, 2),), "os.rename": ((0, 2), (1, 3)),
    "os.replace": ((0, 2), (1, 3)), "os.link": ((0, 2), (1, 3)), "os.symlink": ((1, 2),), "os.chmod": ((0, 2),),
    "os.chown": ((0, 3),), "os.truncate": ((0, -1),), "os.utime": ((0, 3),), "os.mkfifo": ((0, 2),),
    "os.mknod": ((0, 3),), "shutil.rmtree": ((0, 1),), "shutil.move": ((0, -1), (1, -1)),
}
NET_EVENTS = {
    "socket.connect", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo", "socket.gethostbyname",
    "socket.gethostbyaddr", "socket.getnameinfo",
}


def install_guard():
    """Audit hook: a Python-level guard (ctypes or a child program can bypass it), not an OS barrier."""
    realpath, fsdecode = os.path.realpath, os.fsdecode
    root = realpath(ROOT)
    prefix = root + os.sep

    def inside(path, dir_fd=None):
        if isinstance(path, int):
            return True
        try:
            p = fsdecode(path)
            if dir_fd is not None and not os.path.isabs(p):
                p = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), p)
            p = realpath(p)
        except Exception:
            return False
        return p == root or p.startswith(prefix) or p == "/dev/null"

    def hook(event, args):
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
        elif BLOCK_NET and net == "guard" and event in NET_EVENTS:
            raise PermissionError(f"sandbox: network access is disabled ({event})")

    sys.addaudithook(hook)


def run_code():
    """Become the code process: own group, no privileges, limits, guard; then run the file; never returns."""
    for fd in (CTL, ST):
        try:
            os.close(fd)
        except OSError:
            pass
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    if LL_FD >= 0:
        try:
            allow_paths(LL_KERNEL, LL_FD, ["/proc/self"], ACCESS_READ_FILE | ACCESS_READ_DIR, LL_ABI)  # own pid only
        except OSError:
            pass
    if UID >= 0:
        drop_privileges()
        nproc = NPROC
    else:
        try:
            nproc = user_tasks(os.getuid()) + NPROC if LINUX else 0
        except OSError:
            nproc = 0
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    limit("RLIMIT_CPU", CPU, CPU + 1)
    limit("RLIMIT_AS", MEM)
    limit("RLIMIT_FSIZE", FSIZE)
    limit("RLIMIT_NOFILE", NOFILE)
    limit("RLIMIT_NPROC", nproc)
    if libc is not None:
        libc.prctl(1, KILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the supervisor (or the namespace init)
    if LL_FD >= 0:
        try:
            enforce(LL_KERNEL, LL_FD)
        except OSError as e:  # the supervisor reported Landlock as holding: fail closed, do not run the code
            os.write(2, f"sandbox: Landlock could not restrict file access ({e}); the code was not run\n".encode())
            os._exit(126)
    install_guard()
    import builtins

    def _quit(code=None):
        raise SystemExit(code)

    builtins.exit = builtins.quit = _quit
    sys.argv = [MAIN]
    sys.path[:] = [p for p in sys.path if p] + PATHS
    g = {"__name__": "__main__", "__file__": MAIN, "__builtins__": builtins, "__doc__": None, "__spec__": None}
    rc = 0
    try:
        exec(compile(SRC, MAIN, "exec"), g)
    except SystemExit as e:
        rc = exit_code(e.code)
    except BaseException as e:
        tb = e.__traceback__.tb_next if e.__traceback__ is not None else None
        sys.excepthook(type(e), e.with_traceback(tb), tb)
        rc = 1
    finish(rc)


def exit_code(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    try:
        print(code, file=sys.stderr)
    except Exception:
        pass
    return 1


def finish(rc):
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


def wait_for(pid):
    """Wait for `pid`, the timeout or a word from the parent (EOF: the parent died). No threads."""
    pfd = -1
    try:
        pfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pass
    poller = select.poll()
    poller.register(CTL, select.POLLIN)
    if pfd >= 0:
        poller.register(pfd, select.POLLIN)
    step = 0.001
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status, ""
        left = DEADLINE - time.monotonic()
        if left <= 0:
            return None, "timeout"
        wait = min(left, 3600.0) if pfd >= 0 else min(left, step)
        step = min(step * 2, 0.02)
        for fd, _ in poller.poll(wait * 1000):
            if fd == CTL:
                word = os.read(CTL, 16)
                return None, "output" if word[:1] == b"o" else "parent"


def descendants(me):
    """Every process below `me`, from /proc/*/stat (orphans of the tree are re-parented to us: subreaper)."""
    kids = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/" + name + "/stat", "rb") as f:
                    data = f.read()
                ppid = int(data[data.rfind(b")") + 2 :].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append(int(name))
    out, stack = [], [me]
    while stack:
        for c in kids.get(stack.pop(), ()):
            out.append(c)
            stack.append(c)
    return out


def kill_tree(me):
    """Kill and reap everything left under the subreaper until it has no child at all."""
    while True:
        try:
            while True:
                pid, _ = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
        except ChildProcessError:
            return
        for pid in descendants(me):
            try:
                os.kill(pid, KILL)
            except OSError:
                pass
        time.sleep(0.001)


def kill(pid):
    for fn, target in ((os.killpg, pid), (os.kill, pid)):
        try:
            fn(target, KILL)
        except OSError:
            pass


child = os.fork()
if child == 0:
    if procs == "pidns":  # PID 1 of the new namespace: reap, report the code's status, exit (the kernel kills the rest)
        os.close(CTL)
        code_pid = os.fork()
        if code_pid == 0:
            run_code()
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                os._exit(0)
            if pid == code_pid:
                report(f"code={status}\n")
                os._exit(0)
    run_code()
report(f"child={child}\n")
status, why = wait_for(child)
if status is None:
    kill(child)
    _, status = os.waitpid(child, 0)
if procs != "pidns":
    report(f"code={status}\n")
    kill(child)
    if procs == "subreaper":
        kill_tree(os.getpid())
LL_WORD = str(LL_ABI) if LL_FD >= 0 else "0:" + LL_WHY.replace("%", "%25").replace(" ", "%20").replace("\n", "%0A")
report(f"why={why} net={net} procs={procs} fs={fs} landlock={LL_WORD}\n")
os._exit(0)
'''
