"""The child side of the sandbox (`supervisor.py`, `code_process.py`): its one JSON argument, its status words,
and the promise that keeps a round trip fast: the child imports only cheap builtins and its siblings.

The supervisor's behaviour under hostile code is in test_sandbox.py; here it is imported as a normal module.
"""

from __future__ import annotations

import json
import sys

import pytest

from nsllm_cli.sandbox import run_code
from nsllm_cli.sandbox.code_process import exit_code
from nsllm_cli.sandbox.isolation import isolation_from_status
from nsllm_cli.sandbox.supervisor import Ruleset, load_config

CONFIG = {
    "ctl_fd": 5, "status_fd": 7, "timeout_s": 2.5, "cpu_s": 10, "memory_bytes": 1 << 30, "file_size_bytes": 0,
    "max_processes": 64, "open_files": 256, "block_network": True, "uid": -1, "namespaces": False,
    "read_capability": False, "root": "/tmp/nsllm-sandbox-x", "main": "/tmp/nsllm-sandbox-x/main.py",
    "site_paths": ["/venv/lib/python3.11/site-packages"], "landlock_read": ["/usr/lib", "/p\u00e4th \"q\""],
    "landlock_devices": [], "disk_bytes": 256_000_000, "disk_tmpfs": True, "seccomp_bpf": "06000000ffff7f",
    "seccomp_denied": 1, "seccomp_why": "",
}  # fmt: skip


def test_the_json_argument_reads_back_as_json_loads_reads_it() -> None:
    assert load_config(json.dumps(CONFIG)) == json.loads(json.dumps(CONFIG)) == CONFIG
    assert load_config(json.dumps({"timeout_s": float("inf")}))["timeout_s"] == float("inf")


def test_the_landlock_word_is_one_word() -> None:
    assert Ruleset(None, 3, 7, "").word() == "7"
    assert Ruleset(None, -1, 0, "kernel without Landlock (ENOSYS; 100%)\n").word() == (
        "0:kernel%20without%20Landlock%20(ENOSYS;%20100%25)%0A"
    )


@pytest.mark.parametrize(
    ("words", "disk", "syscalls"),
    [
        ({"disk": "tmpfs:256000000", "seccomp": "46"}, "tmpfs 256 MB", "seccomp (46 denied)"),
        (
            {"disk": "watched:2000000:tmpfs:%20Operation%20not%20permitted", "seccomp": "0:switched%20off"},
            "watched 2 MB (no tmpfs: tmpfs: Operation not permitted)",
            "not filtered (seccomp unavailable: switched off)",
        ),
        ({"disk": "off"}, "off", "not filtered (seccomp unavailable: not reported)"),
    ],
)
def test_the_disk_and_seccomp_words_read_as_people_read_them(words: dict[str, str], disk: str, syscalls: str) -> None:
    iso = isolation_from_status({"net": "netns", "procs": "pidns", "fs": "guard", **words})
    assert (iso.disk, iso.syscalls) == (disk, syscalls)


@pytest.mark.parametrize(("code", "status"), [(None, 0), (3, 3), (True, True), ("bye", 1)])
def test_exit_codes_follow_the_interpreter(code: object, status: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(code) == status
    assert capsys.readouterr().err == ("bye\n" if code == "bye" else "")


@pytest.mark.skipif(sys.platform == "win32", reason="the sandbox needs POSIX")
def test_the_child_imports_only_cheap_builtins_and_its_siblings() -> None:
    result = run_code("import sys\nprint(' '.join(sorted(sys.modules)))")
    assert result.ok, result.stderr
    loaded = set(result.stdout.split())
    assert {"__main__", "code_process", "landlock", "disk", "libc"} <= loaded
    assert not {m for m in loaded if m.startswith("nsllm_cli")}
    assert not loaded & {"json", "re", "typing", "enum", "signal", "ctypes", "dataclasses", "subprocess", "pyseccomp"}
