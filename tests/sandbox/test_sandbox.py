"""The code sandbox against hostile snippets: each ends with a clear result, the parent keeps working, and no
process from the sandbox survives (checked in /proc by the run's unique folder and, as root, its unique uid).

Most hostile cases run twice: with the namespaces this machine allows ("auto") and with the fallbacks that a
machine without user namespaces gets ("fallback": subreaper tree kill and the audit-hook network guard).
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nsllm_cli.sandbox import Limits, ProcessSandbox, SandboxBackend, isolation_report, run_code
from nsllm_cli.sandbox import run as sandbox_run
from tests.sandbox.hostile import PRELUDE, assert_contained, survivors, tag

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the hostile suite reads /proc")

SLACK_S = 5.0  # "ended within the limit" allows startup and teardown on a loaded 2-core CI machine
QUICK = Limits(timeout_s=3.0, cpu_s=3, memory_mb=256, file_size_mb=2, max_processes=16, output_bytes=4_000)


@pytest.fixture(params=["auto", "fallback"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test with namespaces (when the machine allows them) and with the fallback mechanisms."""
    monkeypatch.setattr(sandbox_run, "_USE_NAMESPACES", request.param == "auto")
    yield str(request.param)


# --- normal behaviour ---------------------------------------------------------------------------------------


def test_stdout_is_captured_and_the_folder_is_deleted() -> None:
    result = run_code("import os\nprint(6 * 7)\nprint('TAG', os.getcwd(), os.getuid())")
    assert result.ok and result.returncode == 0 and result.stdout.startswith("42\n")
    assert result.stderr == "" and not result.truncated and result.isolation is not None
    assert Path(tag(result)[0]).name.startswith("nsllm-sandbox-") and not Path(tag(result)[0]).exists()


def test_exception_gives_non_zero_exit_and_a_traceback_of_the_code_only() -> None:
    result = run_code("def f():\n    raise ValueError('boom')\nf()\n")
    assert result.returncode == 1 and not result.ok and not result.timed_out
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert "main.py" in result.stderr and "ValueError: boom" in result.stderr and "<nsllm-sandbox>" not in result.stderr


def test_exit_codes_and_builtins_behave_like_python() -> None:
    assert run_code("import sys\nsys.exit(3)").returncode == 3
    assert run_code("exit(0)").ok
    assert run_code("quit('bye')").stderr.strip() == "bye"
    syntax = run_code("def (:\n")
    assert syntax.returncode == 1 and "SyntaxError" in syntax.stderr


def test_atexit_and_threads_finish_before_the_run_ends() -> None:
    code = "import atexit, threading, time\natexit.register(print, 'bye')\n"
    code += "threading.Thread(target=lambda: (time.sleep(0.2), print('thread'))).start()\nprint('main')"
    assert run_code(code).stdout == "main\nthread\nbye\n"


def test_unicode_output_round_trips() -> None:
    text = "héllo ✓ 日本語 🙂"
    result = run_code(f"print({text!r})\nimport sys\nprint({text!r}, file=sys.stderr)")
    assert result.stdout == text + "\n" and result.stderr == text + "\n"


def test_output_over_the_cap_is_truncated_but_the_run_finishes() -> None:
    result = run_code("print('x' * 5000)\nprint('done')", Limits(output_bytes=1000))
    assert result.truncated and result.returncode == 0 and result.killed_reason is None
    assert len(result.stdout.encode()) == 1000


def test_output_flood_is_truncated_and_stopped(mode: str) -> None:
    start = time.monotonic()
    result = run_code(PRELUDE + "while True:\n    print('y' * 1000)", QUICK)
    assert result.truncated and result.killed_reason == "output" and not result.ok
    assert len(result.stdout.encode()) <= QUICK.output_bytes
    assert time.monotonic() - start < QUICK.timeout_s + SLACK_S
    assert_contained(result)


def test_backend_protocol_and_isolation_report() -> None:
    backend: SandboxBackend = ProcessSandbox()
    assert backend.run("print(1)").stdout == "1\n"
    report = isolation_report()
    assert report is not None and report.network in {"netns", "guard"}


# --- hostile code -------------------------------------------------------------------------------------------


def test_infinite_loop_times_out(mode: str) -> None:
    limits = Limits(timeout_s=1.0, cpu_s=10)
    result = run_code(PRELUDE + "while True:\n    pass", limits)
    assert result.timed_out and result.killed_reason == "timeout" and not result.ok
    assert result.returncode == -9 and limits.timeout_s <= result.duration_s < limits.timeout_s + SLACK_S
    assert_contained(result)


def test_cpu_limit_stops_a_busy_loop_before_the_timeout() -> None:
    result = run_code(PRELUDE + "while True:\n    pass", Limits(timeout_s=8.0, cpu_s=1))
    assert result.killed_reason in {"cpu", "killed"} and not result.timed_out and result.duration_s < 8.0
    assert_contained(result)


def test_fork_bomb_is_contained(mode: str) -> None:
    code = PRELUDE + "while True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    result = run_code(code, Limits(timeout_s=2.0, cpu_s=5, max_processes=16, output_bytes=4_000))
    assert not result.ok and result.killed_reason in {"timeout", "cpu", "killed"}
    assert result.duration_s < 2.0 + SLACK_S
    assert_contained(result)


def test_memory_bomb_ends_with_a_memory_error() -> None:
    code = PRELUDE + "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))\n"
    result = run_code(code, QUICK)
    assert not result.ok and result.killed_reason in {"memory", "killed"}
    assert "MemoryError" in result.stderr or result.returncode == -9
    assert_contained(result)


def test_disk_fill_hits_the_file_size_limit() -> None:
    code = PRELUDE + "with open('big.bin', 'wb') as f:\n    while True:\n        f.write(b'0' * 65536)\n"
    result = run_code(code, QUICK)
    assert not result.ok and result.killed_reason == "file_size" and "File too large" in result.stderr
    assert_contained(result)


def test_parent_environment_is_not_visible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    code = PRELUDE + "print(dict(os.environ))\nprint(open(f'/proc/{os.getppid()}/environ', 'rb').read())\n"
    result = run_code(code)
    assert "sk-test-secret" not in result.stdout + result.stderr and "OPENAI_API_KEY" not in result.stdout
    assert "HOME" in result.stdout  # the minimal environment is there
    assert_contained(result)


@pytest.mark.skipif(os.geteuid() != 0, reason="only the run-as-unused-uid barrier (root) hides other processes")
def test_other_processes_environments_are_unreadable_as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    code = (
        PRELUDE + "hits = 0\nfor p in os.listdir('/proc'):\n    try:\n"
        "        hits += b'sk-test-secret' in open(f'/proc/{p}/environ', 'rb').read()\n"
        "    except OSError:\n        pass\nprint('hits', hits)\n"
    )
    result = run_code(code)
    assert "hits 0" in result.stdout
    assert_contained(result)


def test_writing_outside_the_folder_fails(tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    code = PRELUDE + f"open({str(target)!r}, 'w').write('x')\n"
    result = run_code(code)
    assert result.returncode == 1 and "PermissionError" in result.stderr
    assert not target.exists()
    assert_contained(result)


def test_audit_guard_refuses_writes_to_a_world_writable_folder() -> None:
    """Even where file permissions allow it (a 0777 folder), the guard refuses Python-level writes and deletes."""
    folder = Path(tempfile.mkdtemp())
    try:
        folder.chmod(0o777)
        (folder / "keep.txt").write_text("keep")
        code = PRELUDE + (
            f"import shutil\nfor f in (lambda: open({str(folder / 'new.txt')!r}, 'a'),"
            f" lambda: os.remove({str(folder / 'keep.txt')!r}), lambda: os.mkdir({str(folder / 'd')!r})):\n"
            "    try:\n        f()\n        print('WROTE')\n"
            "    except PermissionError as e:\n        print('refused', e)\n"
        )
        result = run_code(code)
        assert result.ok and result.stdout.count("refused") == 3 and "WROTE" not in result.stdout
        assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
    finally:
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()


@pytest.mark.skipif(os.geteuid() != 0, reason="a shell bypasses the audit guard; only the unused-uid barrier stops it")
def test_shell_cannot_write_outside_when_started_as_root(tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    result = run_code(PRELUDE + f"print(os.system('echo x > {target}'))\n")
    assert not target.exists()
    assert_contained(result)


@pytest.mark.parametrize("main_waits", [False, True], ids=["main-exits", "main-hangs"])
def test_detached_grandchild_does_not_outlive_the_run(mode: str, main_waits: bool) -> None:
    """A double-forked, setsid'd grandchild escapes the process group; it must die with the run anyway."""
    marker_dir = Path(tempfile.mkdtemp())
    marker_dir.chmod(0o777)
    marker = marker_dir / "escaped"
    code = PRELUDE + (
        "import time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        f"        time.sleep(1.2)\n        os.system('echo escaped > {marker}')\n    os._exit(0)\n"
        "os.wait()\n"
    )
    if main_waits:
        code += "time.sleep(30)\n"
    try:
        result = run_code(code, Limits(timeout_s=0.8))
        assert result.timed_out == main_waits
        assert_contained(result)
        time.sleep(1.5)
        assert not marker.exists()
        assert survivors(result) == []
    finally:
        if marker.exists():
            marker.unlink()
        marker_dir.rmdir()


def test_killing_the_supervisor_does_not_free_the_code(mode: str) -> None:
    """As root the code cannot signal its supervisor; otherwise the code dies with it (PR_SET_PDEATHSIG)."""
    code = PRELUDE + "import time\ntry:\n    os.kill(os.getppid(), 9)\nexcept OSError as e:\n    print('refused', e)\n"
    result = run_code(code + "time.sleep(30)\n", Limits(timeout_s=2.0))
    assert not result.ok and result.duration_s < 2.0 + SLACK_S
    assert_contained(result)


def test_network_connection_fails(mode: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        code = PRELUDE + (
            f"import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=2)\nprint('CONNECTED')\n"
        )
        result = run_code(code, QUICK)
        server.settimeout(0.2)
        with pytest.raises(TimeoutError):
            server.accept()
    assert "CONNECTED" not in result.stdout and result.returncode == 1
    assert "OSError" in result.stderr or "PermissionError" in result.stderr
    assert result.isolation is not None
    if mode == "fallback":
        assert result.isolation.network == "guard" and "network access is disabled" in result.stderr
    assert_contained(result)


def test_network_can_be_allowed_explicitly() -> None:
    result = run_code("import socket\nprint(socket.gethostname() != '')", Limits(network=True))
    assert result.ok and result.isolation is not None and result.isolation.network == "off"
