"""The sandbox's supervisor: the process `run_code` starts, which runs the model's code under limits and, whatever
the code does, reports its exit status and kills every process it started.

Why a process of its own: the timeout, the process tree and the namespaces must be handled by something that the
code cannot block, and that dies with the caller (EOF on the control pipe). It uses no threads.

How it runs: `run.py` writes this module and its siblings (`code_process`, `landlock`, `disk`, `libc`), compiled
(`.pyc`: compiling them in every child costs milliseconds), into the run's temp folder and starts `python -I -S -B
-X utf8 <folder>/supervisor.pyc '<json>'`, the JSON being a `Config`. Under `-I` nothing but the standard library is
importable, and startup time is the sandbox's round trip: so this module imports only cheap builtins (no `json`,
which imports `re`; no `signal`, which imports `enum`; no `ctypes` package; no `typing` at run time) and those
siblings from its own folder. Run by path as `supervisor.py` it works the same (slower). Imported as
`nsllm_cli.sandbox.supervisor` (tests, mypy) it does nothing.

Shape: supervisor -> [PID 1 of a new PID namespace ->] code. Pipes shared with the parent:
- control (`Config.ctl_fd`, read here): `o` means the output floods, any other byte means stop, EOF means the
  parent died (stop too);
- status (`Config.status_fd`, written here): `child=PID`, `code=WAIT_STATUS`, then `why=REASON net=… procs=…
  fs=… landlock=ABI-or-0:why disk=tmpfs:BYTES-or-watched:BYTES:why-or-off seccomp=N-or-0:why full=0-or-1`
  (see `isolation.isolation_from_status`).

Example:
    >>> load_config('{"timeout_s": 2.5, "main": "/tmp/x/main.py"}')["timeout_s"]
    2.5
"""

from __future__ import annotations

import _signal
import os
import select
import sys
import time

TYPE_CHECKING = False  # typing costs milliseconds at startup: type-only names live under this
if TYPE_CHECKING or __package__:
    from nsllm_cli.sandbox import code_process, disk, landlock
    from nsllm_cli.sandbox.libc import load_libc
else:  # run as a script: under -I only the standard library is on sys.path, so reach the siblings by this folder
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import code_process
    import disk
    import landlock
    from libc import load_libc

    del sys.path[0]

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, NoReturn, TypedDict

    class Config(TypedDict):
        """The supervisor's one argument, as JSON (built by `run.py`); a size or count of 0 or less: no limit."""

        ctl_fd: int
        """Read end of the control pipe (see the module docstring)."""
        status_fd: int
        """Write end of the status pipe."""
        timeout_s: float
        """Wall-clock seconds from the supervisor's start until it kills everything."""
        cpu_s: int
        memory_bytes: int
        file_size_bytes: int
        max_processes: int
        open_files: int
        block_network: bool
        """A network namespace without interfaces, else the audit-hook guard."""
        uid: int
        """The unused uid that a run as root switches to; -1: keep the caller's."""
        namespaces: bool
        """Try PID and network namespaces (tests switch them off to exercise the fallbacks)."""
        read_capability: bool
        """Keep CAP_DAC_READ_SEARCH after the uid switch (the interpreter is not world-readable)."""
        root: str
        """The run's temp folder: the code's working directory and the only place it may write."""
        main: str
        """The code's file, run as `__main__`."""
        site_paths: list[str]
        """Appended to the code's sys.path (the interpreter runs with -S)."""
        landlock_read: list[str]
        """What Landlock lets the code read and execute; empty: Landlock switched off."""
        landlock_devices: list[str]
        """Device files the code may read and write under Landlock."""
        disk_bytes: int
        """The disk budget of the temp folder (`disk.py`); 0 or less: none."""
        disk_tmpfs: bool
        """Try the tmpfs barrier (tests switch it off to exercise the watched folder)."""
        seccomp_bpf: str
        """The seccomp program, hex (`seccomp_profile.compiled`); empty: no filter."""
        seccomp_denied: int
        """System calls the program denies."""
        seccomp_why: str
        """Why there is no program."""


KILL = _signal.SIGKILL
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x10000000, 0x20000000, 0x40000000
PR_GET_SECCOMP = 21
WATCH_S = 0.05
"""How often the supervisor measures a watched temp folder (`disk.usage`)."""


def load_config(text: str) -> Config:
    """The JSON argument, parsed by the C scanner alone (`import json` costs milliseconds: it imports `re`)."""
    try:
        from _json import make_scanner
    except ImportError:  # pragma: no cover - an interpreter without the C accelerator
        import json

        parsed: Config = json.loads(text)
        return parsed

    class Context:  # what json.JSONDecoder gives the scanner
        strict = True
        object_hook = object_pairs_hook = None
        parse_float = parse_constant = float
        parse_int = int

    value, _ = make_scanner(Context())(text, 0)  # type: ignore[arg-type]
    config: Config = value
    return config


def one_word(text: str) -> str:
    """`text` %-escaped into one status word (no spaces, no newlines)."""
    return text.replace("%", "%25").replace(" ", "%20").replace("\n", "%0A")


def report(fd: int, text: str) -> None:
    """Write status words for the parent; a parent that is gone is no error."""
    try:
        os.write(fd, text.encode())
    except OSError:
        pass


def descendants(me: int) -> list[int]:
    """Every process below `me`, from /proc/*/stat (orphans of the tree are re-parented to us: subreaper)."""
    kids: dict[int, list[int]] = {}
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


def kill_tree(me: int) -> None:
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


def kill(pid: int) -> None:
    """SIGKILL the process group `pid` and the process `pid`, whichever exist."""
    fns: tuple[Callable[[int, int], None], ...] = (os.killpg, os.kill)
    for fn in fns:
        try:
            fn(pid, KILL)
        except OSError:
            pass


class Ruleset:
    """The code's Landlock ruleset, built by the supervisor (as the caller's user, before any privilege drop).

    The code process adds its own /proc/<pid> and enforces it (`code_process.run`).
    """

    def __init__(self, kernel: landlock.Kernel | None, fd: int, abi: int, why: str) -> None:
        self.kernel = kernel
        self.fd = fd
        """The ruleset's file descriptor; -1: Landlock does not hold."""
        self.abi = abi
        self.why = why
        """Why Landlock does not hold ("" when it does)."""

    @classmethod
    def build(cls, config: Config, libc: Any, writable: list[str]) -> Ruleset:
        """Read and execute `landlock_read`, read and write the devices, everything in `writable`, list /proc."""
        if not config["landlock_read"]:
            return cls(None, -1, 0, "switched off")
        try:
            kernel = landlock.Kernel(libc.syscall, libc.prctl, libc.get_errno) if libc is not None else None
            abi = landlock.landlock_abi(kernel)
            assert kernel is not None  # landlock_abi raised without it
            fd = landlock.create_ruleset(kernel, abi)
            allow = landlock.allow_paths
            allow(kernel, fd, config["landlock_read"], landlock.READ, abi)
            devices = landlock.ACCESS_READ_FILE | landlock.ACCESS_WRITE_FILE | landlock.ACCESS_TRUNCATE
            allow(kernel, fd, config["landlock_devices"], devices, abi)
            allow(kernel, fd, writable, landlock.ALL, abi)
            allow(kernel, fd, ["/proc"], landlock.ACCESS_READ_DIR, abi)  # list processes; their files stay closed
            return cls(kernel, fd, abi, "")
        except OSError as e:
            return cls(None, -1, 0, str(e))

    def word(self) -> str:
        """The `landlock=` status word: the ABI, or `0:` and the reason, %-escaped to one word."""
        if self.fd >= 0:
            return str(self.abi)
        return "0:" + one_word(self.why)


class Supervisor:
    """One run: its configuration, libc, and the isolation that holds (the words it reports)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.deadline = time.monotonic() + config["timeout_s"]
        with open(config["main"], "rb") as f:
            self.source = f.read()
        self.libc: Any = None
        if sys.platform.startswith("linux"):
            try:
                self.libc = load_libc()
            except Exception:
                self.libc = None
        self.net = "guard" if config["block_network"] else "off"
        """"netns", "guard" or "off" (`isolation.Isolation.network`)."""
        self.procs = "pgroup"
        """"pidns", "subreaper" or "pgroup" (`isolation.Isolation.processes`)."""
        self.fs = "uid+guard" if config["uid"] >= 0 else "guard"
        """What restricts writes when Landlock does not hold."""
        budget = config["disk_bytes"]
        no_tmpfs = "tmpfs switched off" if not config["disk_tmpfs"] else "no mount namespace"
        self.disk = f"watched:{budget}:" + one_word(no_tmpfs) if budget > 0 else "off"
        """The `disk=` word: "tmpfs:BYTES", "watched:BYTES:why" or "off" (`disk.py`)."""
        self.isolate()
        self.writable = [config["root"]] + ([disk.SHM] if disk.private_shm(config["root"]) else [])
        """Where the code may write: its temp folder, and /dev/shm when it is the run's own (`disk.mount_budget`)."""
        self.ruleset = Ruleset.build(config, self.libc, self.writable)
        self.seccomp = self.seccomp_program()
        """The program the code process loads (`code_process.load_seccomp`); empty: none."""

    def isolate(self) -> None:
        """New PID (and, blocking the network, network) namespaces when allowed; else become a child subreaper."""
        libc, block = self.libc, self.config["block_network"]
        if self.config["namespaces"] and libc is not None:
            uid0, gid0 = os.getuid(), os.getgid()
            is_root = os.geteuid() == 0
            mount = self.config["disk_bytes"] > 0 and self.config["disk_tmpfs"]
            flags = CLONE_NEWPID | (CLONE_NEWNET if block else 0) | (0 if is_root else CLONE_NEWUSER)
            flags |= CLONE_NEWNS if mount else 0
            if libc.unshare(flags) == 0:
                self.procs = "pidns"
                self.net = "netns" if block else self.net
                if not is_root:
                    maps = (("setgroups", "deny"), ("uid_map", f"{uid0} {uid0} 1"), ("gid_map", f"{gid0} {gid0} 1"))
                    for name, text in maps:
                        try:
                            with open("/proc/self/" + name, "w") as f:
                                f.write(text)
                        except OSError:
                            pass
                if mount:
                    self.mount_budget()
            elif mount:
                self.disk += one_word(f" (unshare: {os.strerror(libc.get_errno())})")
        if self.procs == "pgroup" and libc is not None and libc.prctl(36, 1, 0, 0, 0) == 0:  # PR_SET_CHILD_SUBREAPER
            self.procs = "subreaper"

    def mount_budget(self) -> None:
        """The tmpfs barrier (`disk.mount_budget`), with the code's file written into it; else the watched folder."""
        config, budget = self.config, self.config["disk_bytes"]
        why = disk.mount_budget(self.libc, config["root"], budget, config["uid"], reserve=len(self.source))
        if why:
            self.disk = f"watched:{budget}:" + one_word(f"tmpfs: {why}")
            return
        self.disk = f"tmpfs:{budget}"
        with open(config["main"], "wb") as f:
            f.write(self.source)

    def seccomp_program(self) -> bytes:
        """The seccomp program when there is one and this kernel filters system calls; else b"" (`seccomp=0:why`)."""
        config = self.config
        if not config["seccomp_bpf"]:
            self.seccomp_word = "0:" + one_word(config["seccomp_why"] or "switched off")
            return b""
        if self.libc is None or self.libc.prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0:
            self.seccomp_word = "0:" + one_word("kernel without seccomp filters")
            return b""
        self.seccomp_word = str(config["seccomp_denied"])
        return bytes.fromhex(config["seccomp_bpf"])

    def run(self) -> NoReturn:
        """Fork the code (under a namespace init), wait for it or the deadline, kill what is left, report, exit."""
        status_fd = self.config["status_fd"]
        child = os.fork()
        if child == 0:
            if self.procs == "pidns":
                self._namespace_init()
            self._become_code()
        report(status_fd, f"child={child}\n")
        status, why = self.wait_for(child)
        if status is None:
            kill(child)
            _, status = os.waitpid(child, 0)
        if self.procs != "pidns":
            report(status_fd, f"code={status}\n")
            kill(child)
            if self.procs == "subreaper":
                kill_tree(os.getpid())
        word = self.ruleset.word()
        full = int(self.disk.startswith("tmpfs") and disk.full(self.config["root"]))
        report(status_fd, f"why={why} net={self.net} procs={self.procs} fs={self.fs} landlock={word} ")
        report(status_fd, f"disk={self.disk} seccomp={self.seccomp_word} full={full}\n")
        os._exit(0)

    def _namespace_init(self) -> NoReturn:
        """PID 1 of the new namespace: reap, report the code's status, exit (the kernel then kills the rest)."""
        os.close(self.config["ctl_fd"])
        code_pid = os.fork()
        if code_pid == 0:
            self._become_code()
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                os._exit(0)
            if pid == code_pid:
                report(self.config["status_fd"], f"code={status}\n")
                os._exit(0)

    def _become_code(self) -> NoReturn:
        code_process.run(
            self.config,
            self.source,
            libc=self.libc,
            ruleset=self.ruleset,
            guard_network=self.net == "guard",
            seccomp=self.seccomp,
            writable=self.writable,
        )

    def over_budget(self, budget: int, files: int, *, held: bool = True) -> bool:
        """The watched temp folder, with what the code deleted but holds open (`held`), passed `budget` bytes or
        `files`."""
        seen: set[int] = set()
        root = self.config["root"]
        used, count = disk.usage(root, seen)
        if count > files or used > budget:
            return True
        if not held or not sys.platform.startswith("linux"):  # deleted open files are found through /proc
            return False
        return used + disk.held_open(descendants(os.getpid()), root, seen) > budget

    def wait_for(self, pid: int) -> tuple[int | None, str]:
        """Wait for `pid`, the deadline or a word from the parent (EOF: the parent died). No threads.

        Returns:
            (wait status, "" or "disk") when `pid` ended; (None, "timeout" / "output" / "parent" / "disk") when it
            must be killed ("disk": the watched temp folder passed its budget).
        """
        ctl = self.config["ctl_fd"]
        pfd = -1
        try:
            pfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pass
        poller = select.poll()
        poller.register(ctl, select.POLLIN)
        if pfd >= 0:
            poller.register(pfd, select.POLLIN)
        step = 0.001
        budget = self.config["disk_bytes"] if self.disk.startswith("watched") else 0
        files = disk.max_files(budget)
        if budget > 0:  # what the run itself put there (the code's file, the supervisor's) is not the code's
            base_bytes, base_files = disk.usage(self.config["root"])
            budget, files = budget + base_bytes, files + base_files
        look = time.monotonic() + WATCH_S  # the first look once the code has run a while
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:  # a writer quicker than the watch is caught here (the folder only: the code is gone)
                return status, "disk" if budget > 0 and self.over_budget(budget, files, held=False) else ""
            now = time.monotonic()
            left = self.deadline - now
            if left <= 0:
                return None, "timeout"
            if budget > 0 and now >= look:
                if self.over_budget(budget, files):
                    return None, "disk"
                look = now + WATCH_S
            wait = min(left, 3600.0 if budget <= 0 else look - now) if pfd >= 0 else min(left, step)
            step = min(step * 2, 0.02)
            for fd, _ in poller.poll(wait * 1000):
                if fd == ctl:
                    word = os.read(ctl, 16)
                    return None, "output" if word[:1] == b"o" else "parent"


def main(argv: list[str]) -> NoReturn:
    """`python -I -S -B -X utf8 supervisor.pyc '<Config as JSON>'`: run the code, report, exit."""
    Supervisor(load_config(argv[1])).run()


if __name__ == "__main__":
    main(sys.argv)
