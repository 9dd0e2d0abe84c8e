"""The sandbox's file barrier (issue 13): model-written code must not read the user's secret files.

A real sandboxed process tries to read `.env` files holding a fake key in the parent's working folder, in $HOME
and directly under /tmp; with Landlock every attempt is a PermissionError and the key never shows up. numpy, sympy
and the code's own temp folder keep working. The Landlock cases are skipped where the kernel has none; where it
has one (this machine), the reported isolation must say so.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from nsllm_cli.sandbox import Limits, isolation_report, run_code
from nsllm_cli.sandbox import run as sandbox_run
from nsllm_cli.sandbox.landlock import Kernel, LandlockUnavailableError, landlock_abi
from nsllm_cli.steer.records import exec_dict

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Landlock is Linux only")

FAKE_KEY = "sk-nsllm-test-0123456789abcdef"


def _kernel_abi() -> int:
    """The Landlock ABI this kernel offers, asked from the parent; 0 when there is none."""
    try:
        return landlock_abi(Kernel.from_ctypes())
    except LandlockUnavailableError:
        return 0


ABI = _kernel_abi()
needs_landlock = pytest.mark.skipif(ABI == 0, reason="this kernel has no Landlock: file reads are not restricted")


@pytest.fixture(params=["auto", "fallback"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """With the namespaces this machine allows, and without (Landlock must hold in both)."""
    monkeypatch.setattr(sandbox_run, "_USE_NAMESPACES", request.param == "auto")
    yield str(request.param)


def _write_env(path: Path) -> Path:
    path.write_text(f"OPENAI_API_KEY={FAKE_KEY}\n", encoding="utf-8")
    path.chmod(0o644)  # world-readable, as in the report
    return path


def _try_read(secret: Path) -> str:
    """A snippet that reads `secret` and lists its folder, printing what it got or the exception's type."""
    return (
        "import os\n"
        f"for action in (lambda: open({str(secret)!r}).read(), lambda: os.listdir({str(secret.parent)!r})):\n"
        "    try:\n        print('GOT', action())\n"
        "    except OSError as e:\n        print('REFUSED', type(e).__name__)\n"
    )


@pytest.fixture(params=["cwd", "home", "tmp"])
def secret(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A world-readable `.env` with a fake key: in the parent's working folder, its $HOME, or directly under /tmp."""
    if request.param == "cwd":
        work = tmp_path / "project"
        work.mkdir()
        monkeypatch.chdir(work)
        yield _write_env(work / ".env")
    elif request.param == "home":
        home = tmp_path / "home-user"
        home.mkdir()
        monkeypatch.setenv("HOME", str(home))
        yield _write_env(home / ".env")
    else:
        fd, name = tempfile.mkstemp(prefix="nsllm-test-", suffix=".env", dir="/tmp")
        os.close(fd)
        try:
            yield _write_env(Path(name))
        finally:
            Path(name).unlink(missing_ok=True)


@needs_landlock
def test_landlock_is_reported_where_the_kernel_has_it() -> None:
    report = isolation_report()
    assert report is not None
    assert report.files == f"landlock (ABI {ABI})" and report.landlock_abi == ABI


@needs_landlock
def test_dotenv_files_of_the_user_are_unreadable(secret: Path, mode: str) -> None:
    assert FAKE_KEY in secret.read_text()  # the parent can read it
    result = run_code(_try_read(secret))
    assert result.ok, result.stderr
    assert FAKE_KEY not in result.stdout + result.stderr
    assert result.stdout.splitlines() == ["REFUSED PermissionError", "REFUSED PermissionError"]
    assert result.isolation is not None and result.isolation.landlock_abi == ABI


@needs_landlock
def test_walking_the_file_system_finds_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reported attack: walk from / and print every readable `.env`."""
    work = tmp_path / "project"
    work.mkdir()
    _write_env(work / ".env")
    monkeypatch.chdir(work)
    code = (
        "import os\nfor top in ('/', '/tmp', '/root', '/home', os.path.dirname(os.getcwd())):\n"
        "    for d, _, files in os.walk(top):\n"
        "        if '.env' in files:\n"
        "            try:\n                print(open(os.path.join(d, '.env')).read())\n"
        "            except OSError:\n                pass\n"
        "print('done')\n"
    )
    result = run_code(code)
    assert result.ok and result.stdout.endswith("done\n") and FAKE_KEY not in result.stdout


@needs_landlock
def test_a_program_started_by_the_code_is_restricted_too(secret: Path) -> None:
    code = (
        "import subprocess, sys\n"
        f"print(subprocess.run([sys.executable, '-c', {_try_read(secret)!r}], capture_output=True, text=True))\n"
    )
    result = run_code(code)
    assert result.ok and FAKE_KEY not in result.stdout and result.stdout.count("REFUSED PermissionError") == 2


@needs_landlock
def test_other_processes_files_are_closed_but_its_own_proc_is_open() -> None:
    code = (
        "import os\nprint(open('/proc/self/status').read().splitlines()[0])\n"
        "try:\n    open(f'/proc/{os.getppid()}/cmdline', 'rb').read()\nexcept PermissionError:\n    print('REFUSED')\n"
    )
    result = run_code(code)
    assert result.ok and result.stdout.startswith("Name:") and result.stdout.endswith("REFUSED\n")


def test_numpy_and_sympy_import_and_compute(mode: str) -> None:
    code = (
        "import numpy as np, sympy as sp\n"
        "print(np.linalg.solve(np.array([[2.0, 1.0], [1.0, 3.0]]), np.array([3.0, 5.0])).round(6).tolist())\n"
        "x = sp.Symbol('x')\nprint(sp.integrate(x**2, (x, 0, 3)), sp.factor(x**2 - 1))\n"
    )
    result = run_code(code, Limits(timeout_s=60.0, cpu_s=60))
    assert result.ok, result.stderr
    assert result.stdout == "[0.8, 1.4]\n9 (x - 1)*(x + 1)\n"


def test_the_code_reads_and_writes_its_own_temp_folder(mode: str) -> None:
    code = (
        "import os, shutil, tempfile\n"
        "os.mkdir('sub')\nopen('sub/a.txt', 'w').write('hello')\nos.rename('sub/a.txt', 'b.txt')\n"
        "with tempfile.NamedTemporaryFile('w+', delete=False) as f:\n    f.write('tmp')\n"
        "print(open('b.txt').read(), open(f.name).read(), *sorted(set(os.listdir('.')) - {'b.txt', 'sub',"
        " os.path.basename(f.name)}))\n"
        "shutil.rmtree('sub')\nos.remove('b.txt')\nopen('/dev/null', 'w').write('x')\n"
        "print(len(open('/dev/urandom', 'rb').read(8)), len(os.urandom(8)))\n"
    )
    result = run_code(code)
    assert result.ok, result.stderr
    assert result.isolation is not None
    # On a tmpfs (the disk budget, disk.py) the folder holds the code's file alone; otherwise the supervisor's too.
    rest = (
        "main.py"
        if result.isolation.disk.startswith("tmpfs")
        else ("code_process.pyc disk.pyc landlock.pyc libc.pyc main.py supervisor.pyc")
    )
    assert result.stdout == f"hello tmp {rest}\n8 8\n"


def test_without_landlock_the_isolation_says_reads_are_not_restricted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_run, "_USE_LANDLOCK", False)
    result = run_code("print(1)")
    assert result.ok and result.isolation is not None and result.isolation.landlock_abi == 0
    assert result.isolation.files.startswith("reads not restricted (landlock unavailable: switched off); writes: ")


def test_isolation_reaches_the_run_records() -> None:
    """steer/bench write every execution with `exec_dict` into samples.jsonl: every barrier is in it."""
    record = exec_dict(run_code("print(1)"))
    assert record["isolation"]["disk"].startswith(("tmpfs 256 MB", "watched 256 MB"))
    assert record["isolation"]["syscalls"].startswith(("seccomp (", "not filtered ("))
    files = record["isolation"]["files"]
    assert files == f"landlock (ABI {ABI})" if ABI else files.startswith("reads not restricted (landlock unavailable:")
