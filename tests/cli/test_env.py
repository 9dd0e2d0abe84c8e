"""`nsllm env` reports what the code sandbox isolates on this machine: files (issue 13), disk and syscalls (21)."""

from __future__ import annotations

import sys

import pytest

from nsllm_cli.cli.env import sandbox_info


@pytest.mark.skipif(sys.platform == "win32", reason="the sandbox needs POSIX")
def test_env_names_the_file_barrier_of_the_sandbox() -> None:
    info = sandbox_info()
    assert set(info) == {"files", "network", "processes", "disk", "syscalls"}
    assert info["disk"].startswith(("tmpfs 256 MB", "watched 256 MB (no tmpfs: "))
    assert info["syscalls"].startswith(("seccomp (", "not filtered (seccomp unavailable: "))
    files = info["files"]
    assert files.startswith("landlock (ABI ") or files.startswith("reads not restricted (landlock unavailable: ")
    if sys.platform.startswith("linux"):
        from nsllm_cli.sandbox.landlock import Kernel, LandlockUnavailableError, landlock_abi

        try:
            abi = landlock_abi(Kernel.from_ctypes())
        except LandlockUnavailableError:
            return
        assert files == f"landlock (ABI {abi})"


def test_env_says_whether_the_inspect_integration_is_available(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    from nsllm_cli.cli.env import inspect_info

    try:
        metadata.version("inspect-ai")
    except metadata.PackageNotFoundError:
        assert inspect_info()["state"] == "not installed: pip install 'nsllm[inspect]'"
        return
    info = inspect_info()
    assert info["inspect_ai"] == metadata.version("inspect-ai")
    assert info["state"].startswith("available: inspect eval nsllm/symbench")  # type: ignore[union-attr]
    real = metadata.version

    def without_inspect(name: str) -> str:
        if name == "inspect-ai":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "version", without_inspect)
    assert inspect_info() == {"inspect_ai": None, "state": "not installed: pip install 'nsllm[inspect]'"}
