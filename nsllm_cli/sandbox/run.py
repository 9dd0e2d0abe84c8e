"""`run_code`: run model-written Python in a fresh temp folder under a supervisor, read its output, clean up.

Why the parent side is small: the supervisor (`supervisor.py`, in the child) enforces the limits and kills the
process tree; this side prepares the folder, starts the supervisor with one JSON argument, reads stdout, stderr
and the supervisor's status without threads (capping floods), and is the backstop when the supervisor itself is
stuck or killed. Nothing the code starts outlives the call.

Example:
    >>> result = run_code("print(6 * 7)")  # doctest: +SKIP
    >>> result.stdout, result.ok  # doctest: +SKIP
    ('42\\n', True)
"""

from __future__ import annotations

import json
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from nsllm_cli.errors import NsllmError
from nsllm_cli.sandbox.access import DEVICES, landlock_read_paths, needs_read_capability, site_paths
from nsllm_cli.sandbox.limits import Limits
from nsllm_cli.sandbox.result import Captured, ExecResult, to_result
from nsllm_cli.sandbox.seccomp_profile import Compiled, compiled

if TYPE_CHECKING:
    from nsllm_cli.sandbox.isolation import Isolation
    from nsllm_cli.sandbox.supervisor import Config

_USE_NAMESPACES = True  # tests switch this off to exercise the fallbacks on a machine that has namespaces
_USE_LANDLOCK = True  # tests and the benchmark switch this off to see the no-Landlock fallback
_USE_TMPFS = True  # tests and the benchmark switch this off to see the watched disk budget (disk.py)
_USE_SECCOMP = True  # tests and the benchmark switch this off to see the system calls unfiltered
_BACKSTOP_S = 5.0  # the supervisor enforces the timeout; the parent kills everything this much later
_EOF_GRACE_S = 0.5  # after the supervisor is gone, how long to wait for pipes that an escaped process holds open
_FLOOD_FACTOR = 16  # read and discard up to this many times `output_bytes` before killing a flood
_UID_BASE = 0x7000_0000  # a run as root switches to a random uid in [base, base + 2**24): no user or file has it
# What the child imports: the standard library and these siblings.
_CHILD_MODULES = ("supervisor", "code_process", "landlock", "disk", "libc")


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
    for name, image in _child_images():  # precompiled: compiling them in every child costs several ms
        (root / name).write_bytes(image)
    uid = -1
    if os.geteuid() == 0 and sys.platform.startswith("linux"):  # root ignores RLIMIT_NPROC and file permissions
        uid = _UID_BASE + secrets.randbelow(1 << 24)
        os.chown(root, uid, uid)
    ctl_r, ctl_w = os.pipe()
    st_r, st_w = os.pipe()
    mib = 1024 * 1024
    profile = compiled() if _USE_SECCOMP else Compiled(b"", 0, "switched off")
    config: Config = {
        "ctl_fd": ctl_r,
        "status_fd": st_w,
        "timeout_s": limits.timeout_s,
        "cpu_s": limits.cpu_s,
        "memory_bytes": max(limits.memory_mb, 0) * mib,
        "file_size_bytes": max(limits.file_size_mb, 0) * mib,
        "max_processes": limits.max_processes,
        "open_files": limits.open_files,
        "block_network": not limits.network,
        "uid": uid,
        "namespaces": _USE_NAMESPACES,
        "read_capability": uid >= 0 and needs_read_capability(),
        "root": str(root),
        "main": str(main),
        "site_paths": list(site_paths()),
        "landlock_read": list(landlock_read_paths()) if _USE_LANDLOCK else [],
        "landlock_devices": list(DEVICES),
        "disk_bytes": max(limits.disk_bytes, 0),
        "disk_tmpfs": _USE_TMPFS,
        "seccomp_bpf": profile.program.hex(),
        "seccomp_denied": profile.denied,
        "seccomp_why": profile.why,
    }
    supervisor = str(root / "supervisor.pyc")
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-B", "-X", "utf8", supervisor, json.dumps(config)],
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
    return to_result(got, time.monotonic() - start)


def _collect(proc: subprocess.Popen[bytes], ctl_w: int, st_r: int, limits: Limits, start: float) -> Captured:
    """Read stdout, stderr and the supervisor's status without threads until the supervisor is gone."""
    assert proc.stdout is not None and proc.stderr is not None
    got = Captured(bytearray(), bytearray(), bytearray())
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
def _child_images() -> tuple[tuple[str, bytes], ...]:
    """The supervisor and its siblings as `.pyc` images (magic, 12 header bytes, marshalled code), compiled once per
    process from this package's files: `python supervisor.pyc` runs its image as it is, and the supervisor imports
    the others from its folder (a sourceless import)."""
    import marshal
    from importlib.util import MAGIC_NUMBER

    images = []
    for name in _CHILD_MODULES:
        source = Path(__file__).with_name(name + ".py")
        code = compile(source.read_text(encoding="utf-8"), str(source), "exec")
        images.append((name + ".pyc", MAGIC_NUMBER + bytes(12) + marshal.dumps(code)))
    return tuple(images)


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
