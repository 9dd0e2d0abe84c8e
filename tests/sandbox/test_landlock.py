"""The Landlock helpers: ABI-dependent rights, plain reasons when Landlock is missing, rules on real paths.

The sandbox-level behaviour (secrets unreadable from model code) is in test_sandbox_files.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from nsllm_cli.sandbox import landlock
from nsllm_cli.sandbox.landlock import Kernel, LandlockUnavailableError, allow_path, create_ruleset, handled_access


def _abi() -> int:
    try:
        return landlock.landlock_abi(Kernel.from_ctypes())
    except (LandlockUnavailableError, OSError):
        return 0


ABI = _abi() if sys.platform.startswith("linux") else 0


@pytest.mark.parametrize(
    ("abi", "mask"), [(1, 0x1FFF), (2, 0x3FFF), (3, 0x7FFF), (4, 0x7FFF), (5, 0xFFFF), (7, 0xFFFF)]
)
def test_only_the_rights_an_abi_knows_are_handled(abi: int, mask: int) -> None:
    assert handled_access(abi) == mask


def test_unavailable_reasons_are_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LandlockUnavailableError, match="libc"):
        landlock.landlock_abi(None)
    no_syscall = Kernel(lambda *args: -1, lambda *args: -1, lambda: 38)
    if sys.platform.startswith("linux"):
        with pytest.raises(LandlockUnavailableError, match="kernel without Landlock"):
            landlock.landlock_abi(no_syscall)
    monkeypatch.setattr(sys, "platform", "darwin")
    with pytest.raises(LandlockUnavailableError, match="Linux only"):
        landlock.landlock_abi(no_syscall)


@pytest.mark.skipif(ABI == 0, reason="this kernel has no Landlock")
def test_rules_on_missing_paths_are_skipped_and_files_get_file_rights_only(tmp_path: Path) -> None:
    kernel = Kernel.from_ctypes()
    ruleset = create_ruleset(kernel, ABI)
    try:
        (tmp_path / "f.txt").write_text("x")
        assert not allow_path(kernel, ruleset, str(tmp_path / "missing"), landlock.READ, ABI)
        assert allow_path(kernel, ruleset, str(tmp_path / "f.txt"), landlock.ALL, ABI)  # dir rights dropped
        assert allow_path(kernel, ruleset, str(tmp_path), landlock.ALL, ABI)
    finally:
        os.close(ruleset)
