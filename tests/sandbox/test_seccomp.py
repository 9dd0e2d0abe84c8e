"""The seccomp barrier (issue 21): inside the sandbox the kernel refuses the calls of `seccomp_profile.PROFILE`.

Each hostile call runs twice, with the filter and with it switched off: off, the call reaches the kernel (it works,
or fails for another reason), so EPERM with the filter on is the filter's doing. Everyday code keeps working under
it: numpy, sympy, threads, `multiprocessing` with its default start method and a `python` subprocess.
"""

from __future__ import annotations

import errno
import platform
import sys
from collections.abc import Iterator

import pytest

from nsllm_cli.sandbox import Limits, isolation_report, run_code
from nsllm_cli.sandbox import run as sandbox_run
from nsllm_cli.sandbox.seccomp_profile import PROFILE, Compiled, compiled

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="seccomp is Linux only")

FILTERED = compiled().program != b""
needs_filter = pytest.mark.skipif(not FILTERED, reason=f"no seccomp profile here: {compiled().why}")
CLONE = {"x86_64": 56, "aarch64": 220}.get(platform.machine())
CALL = (
    "import ctypes, errno, os\nlibc = ctypes.CDLL(None, use_errno=True)\nlibc.syscall.restype = ctypes.c_long\n"
    "def show(name, rc):\n    print(name, 'ok' if rc >= 0 else errno.errorcode[ctypes.get_errno()], flush=True)\n"
)
HOSTILE = {  # the call, and what it gives without the filter (as the code's unprivileged uid)
    "unshare-user-namespace": ("show('unshare', libc.unshare(0x10000000))", "ok"),
    "mount": ("show('mount', libc.mount(b'none', b'/no/such/folder', b'tmpfs', 0, None))", "ENOENT"),
    "ptrace": ("show('ptrace', libc.ptrace(0, 0, 0, 0))", "ok"),  # PTRACE_TRACEME
    "clone-new-user": (
        f"pid = libc.syscall({CLONE}, 0x10000000 | 17, 0, 0, 0, 0)\nif pid == 0:\n    os._exit(0)\n"
        "show('clone', pid)\nif pid > 0:\n    os.waitpid(pid, 0)",
        "ok",
    ),
    "personality-no-aslr": ("show('personality', libc.personality(0x0040000))", "ok"),
}


@pytest.fixture(params=["on", "off"])
def seccomp(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The filter as configured, and switched off."""
    monkeypatch.setattr(sandbox_run, "_USE_SECCOMP", request.param == "on")
    yield str(request.param)


@needs_filter
@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_calls_get_eperm_only_with_the_filter(seccomp: str, case: str) -> None:
    if case == "clone-new-user" and CLONE is None:
        pytest.skip(f"no clone number for {platform.machine()}")
    call, unfiltered = HOSTILE[case]
    result = run_code(CALL + call)
    assert result.ok, result.stderr
    assert result.stdout.split()[1] == ("EPERM" if seccomp == "on" else unfiltered), result.stdout
    assert result.isolation is not None
    if seccomp == "on":
        assert result.isolation.syscalls == f"seccomp ({compiled().denied} denied)"
    else:
        assert result.isolation.syscalls == "not filtered (seccomp unavailable: switched off)"


@needs_filter
@pytest.mark.skipif(platform.machine() != "x86_64", reason="the x32 ABI is an x86_64 one")
def test_a_call_through_another_abi_kills_the_code(seccomp: str) -> None:
    """x32 numbers (bit 30 set) would bypass a filter that knows x86_64 numbers only: libseccomp kills instead."""
    result = run_code(CALL + "show('x32-unshare', libc.syscall(0x40000000 | 272, 0x10000000))")
    if seccomp == "on":
        assert result.returncode == -31 and result.killed_reason == "seccomp" and result.stdout == ""
    else:  # ENOSYS where the kernel has no x32 ABI; it would be a namespace where it has one
        assert result.ok and result.stdout.split()[1] in ("ENOSYS", "ok")


@needs_filter
def test_every_call_of_the_profile_gets_its_errno() -> None:
    """Each call the profile always denies, made with zero arguments, gets the errno its row names."""
    import pyseccomp

    rows = []
    for rule in PROFILE:
        nr = pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, rule.syscall)
        if nr >= 0 and not rule.when:
            rows.append(f"show({rule.syscall!r}, libc.syscall({nr}, 0, 0, 0, 0, 0, 0))")
    result = run_code(CALL + "\n".join(rows))
    assert result.ok, result.stderr
    want = {r.syscall: errno.errorcode[r.errno] for r in PROFILE if not r.when}
    got = dict(line.split() for line in result.stdout.splitlines())
    assert got and got == {name: want[name] for name in got}
    assert len(got) + sum(bool(r.when) for r in PROFILE) >= compiled().denied


def test_everyday_code_works_under_the_filter() -> None:
    code = (
        "import multiprocessing as mp, subprocess, sys, threading\nimport numpy as np, sympy as sp\n"
        "def square(x):\n    return x * x\n"
        "if __name__ == '__main__':\n"
        "    print(mp.get_start_method(), np.linalg.solve([[2.0, 1.0], [1.0, 3.0]], [3.0, 5.0]).round(6).tolist())\n"
        "    print(sp.factor(sp.Symbol('x') ** 2 - 1))\n"
        "    t = threading.Thread(target=print, args=('thread',))\n    t.start()\n    t.join()\n"
        "    run = subprocess.run([sys.executable, '-c', 'print(6 * 7)'], capture_output=True, text=True)\n"
        "    print(run.stdout.strip())\n"
        "    if sys.argv[-1] != 'no-shm':\n"
        "        with mp.Pool(2) as pool:\n            print(pool.map(square, range(5)))\n"
        "        q = mp.Queue()\n        p = mp.Process(target=q.put, args=('child',))\n        p.start()\n"
        "        print(q.get())\n        p.join()\n"
    )
    report = isolation_report()
    assert report is not None
    shm = report.disk.startswith("tmpfs")  # multiprocessing's locks need /dev/shm: the tmpfs gives a private one
    result = run_code(code if shm else code.replace("sys.argv[-1]", "'no-shm'"), Limits(timeout_s=60.0, cpu_s=60))
    assert result.ok, result.stderr
    lines = ["fork [0.8, 1.4]", "(x - 1)*(x + 1)", "thread", "42"] + (["[0, 1, 4, 9, 16]", "child"] if shm else [])
    assert result.stdout.splitlines() == lines
    assert result.isolation is not None and result.isolation.syscalls.startswith("seccomp (") == FILTERED


def test_without_libseccomp_the_code_runs_unfiltered_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyseccomp", None)  # the binding is not installed
    compiled.cache_clear()
    try:
        result = run_code(CALL + HOSTILE["unshare-user-namespace"][0])
    finally:
        compiled.cache_clear()
    assert result.ok and result.stdout == "unshare ok\n"
    assert result.isolation is not None
    assert result.isolation.syscalls.startswith("not filtered (seccomp unavailable: libseccomp unavailable: ")


def test_a_filter_the_kernel_refuses_stops_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail closed: when the filter does not load, the code does not run (an invalid BPF opcode here)."""
    monkeypatch.setattr(sandbox_run, "compiled", lambda: Compiled(b"\xff\xff" + bytes(6), 1))
    result = run_code("print('RAN')")
    assert result.returncode == 126 and "RAN" not in result.stdout
    assert "seccomp could not filter system calls" in result.stderr
