"""Sandbox round trip, side by side: `run_code` vs a naive `subprocess.run([sys.executable, "-c", code])`.

Run: .venv/bin/python benchmarks/sandbox_roundtrip.py [--runs 40] [--code "print(6 * 7)"] [--tiny]
(--tiny: 3 runs per variant, a few seconds; a smoke run, not a measurement.)

Variants, each timed for the whole call (temp folder, spawn, capture, cleanup), runs interleaved so that load
from other processes hits every variant alike:
- naive: what the original did, minus the file (full environment, site, no limits, no kill of the group);
- naive -I -S -B: the same interpreter flags as the sandbox, still without any isolation;
- run_code: the sandbox with the namespaces, Landlock, tmpfs disk budget and seccomp filter this machine allows
  (see the mechanisms printed);
- run_code, no namespaces: the fallback (subreaper tree kill, audit-hook network guard, watched disk budget);
- run_code, no Landlock: file access not restricted (what a kernel without Landlock gets), to see its cost;
- run_code, no seccomp: system calls not filtered (no libseccomp), to see the filter's cost;
- run_code, disk watched: no tmpfs (no mount namespace), the supervisor measures the folder instead;
- run_code, no disk budget: neither, to see what the tmpfs (a mount namespace and three mounts) costs.
The target is a median of 50 ms or less for run_code on a trivial snippet.

The two barriers of issue 21 cost less than the round trip's noise on a shared machine, so they are also timed
alone, in forked children of this process, interleaved with a bare fork + exit: the seccomp filter's load
(`code_process.load_seccomp`) and the disk budget's mount namespace + tmpfs + private /dev/shm
(`disk.mount_budget`, with the namespace's teardown at exit).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from nsllm_cli.sandbox import Limits, code_process, disk, run_code, supervisor
from nsllm_cli.sandbox import run as sandbox
from nsllm_cli.sandbox.libc import load_libc
from nsllm_cli.sandbox.seccomp_profile import compiled


def _naive(code: str, *flags: str) -> Callable[[], object]:
    return lambda: subprocess.run([sys.executable, *flags, "-c", code], capture_output=True, timeout=10)


def _sandboxed(
    code: str, namespaces: bool, landlock: bool = True, seccomp: bool = True, tmpfs: bool = True, disk: bool = True
) -> Callable[[], object]:
    limits = Limits() if disk else Limits(disk_bytes=0)

    def call() -> object:
        sandbox._USE_NAMESPACES, sandbox._USE_LANDLOCK = namespaces, landlock
        sandbox._USE_SECCOMP, sandbox._USE_TMPFS = seccomp, tmpfs
        try:
            result = run_code(code, limits)
        finally:
            sandbox._USE_NAMESPACES = sandbox._USE_LANDLOCK = sandbox._USE_SECCOMP = sandbox._USE_TMPFS = True
        if not result.ok:
            raise RuntimeError(f"sandbox run failed: {result}")
        return result

    return call


def _forked(step: Callable[[], object]) -> float:
    """Seconds for fork + `step` in the child + exit, as the parent sees them; the child must succeed."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            step()
        except BaseException:
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise RuntimeError("a timed step failed in its child")
    return time.perf_counter() - start


def _barrier_costs(runs: int) -> None:
    """Print the median of fork + exit, + the seccomp load, + the tmpfs budget, interleaved in one run."""
    libc = load_libc()
    program = compiled().program
    folder = tempfile.mkdtemp(prefix="nsllm-bench-")

    def tmpfs() -> None:
        if libc.unshare(supervisor.CLONE_NEWNS | (0 if os.geteuid() == 0 else supervisor.CLONE_NEWUSER)) != 0:
            raise OSError("no mount namespace")
        if disk.mount_budget(libc, folder, 256_000_000, -1):
            raise OSError("no tmpfs")

    steps: dict[str, Callable[[], object]] = {"fork + exit": lambda: None}
    if program:
        steps["fork + seccomp load + exit"] = lambda: code_process.load_seccomp(libc, program)
    try:
        _forked(tmpfs)
        steps["fork + mount ns, tmpfs, /dev/shm + exit"] = tmpfs
    except RuntimeError:
        print("disk budget: no mount namespace here (the watched folder costs one scan per 50 ms)")
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(runs):
        for name, step in steps.items():
            times[name].append(_forked(step))
    os.rmdir(folder)
    base = statistics.median(times["fork + exit"]) * 1000
    print(f"{'barrier alone':<42} {'median':>8} {'cost':>8}   (ms, {runs} runs each)")
    for name, values in times.items():
        med = statistics.median(values) * 1000
        print(f"{name:<42} {med:8.2f} {med - base:+8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40, help="timed runs per variant (default 40)")
    parser.add_argument("--code", default="print(6 * 7)", help="the snippet (default: print(6 * 7))")
    parser.add_argument("--tiny", action="store_true", help="3 runs per variant (a smoke run of a few seconds)")
    args = parser.parse_args()
    if args.tiny:
        args.runs = 3
    variants = {
        "naive python -c": _naive(args.code),
        "naive python -I -S -B -c": _naive(args.code, "-I", "-S", "-B"),
        "run_code": _sandboxed(args.code, namespaces=True),
        "run_code, no namespaces": _sandboxed(args.code, namespaces=False),
        "run_code, no Landlock": _sandboxed(args.code, namespaces=True, landlock=False),
        "run_code, no seccomp": _sandboxed(args.code, namespaces=True, seccomp=False),
        "run_code, disk watched": _sandboxed(args.code, namespaces=True, tmpfs=False),
        "run_code, no disk budget": _sandboxed(args.code, namespaces=True, disk=False),
    }
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for fn in variants.values():  # warm-up: page cache, lazy imports, cached paths
        fn()
    for _ in range(args.runs):
        for name, fn in variants.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    iso = sandbox.run_code("pass").isolation
    fallback = _sandboxed("pass", namespaces=False)()
    print(f"{'variant':<28} {'median':>8} {'p10':>8} {'p90':>8}   (ms, {args.runs} runs each)")
    for name, values in samples.items():
        q = statistics.quantiles(values, n=10)
        print(f"{name:<28} {statistics.median(values) * 1000:8.1f} {q[0] * 1000:8.1f} {q[-1] * 1000:8.1f}")
    print(f"mechanisms: {iso} | without namespaces: {getattr(fallback, 'isolation', None)}")
    med = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    target = "meets" if med["run_code"] <= 50 else "MISSES"
    print(
        f"sandbox round trip, median of {args.runs}: run_code {med['run_code']:.0f} ms"
        f" (no namespaces {med['run_code, no namespaces']:.0f} ms, no Landlock {med['run_code, no Landlock']:.0f} ms,"
        f" no seccomp {med['run_code, no seccomp']:.0f} ms, disk watched {med['run_code, disk watched']:.0f} ms,"
        f" no disk budget {med['run_code, no disk budget']:.0f} ms)"
        f" | naive python -c {med['naive python -c']:.0f} ms"
        f" | naive -I -S -B {med['naive python -I -S -B -c']:.0f} ms | {target} the 50 ms target"
    )
    _barrier_costs(max(args.runs, 3) * 5)


if __name__ == "__main__":
    main()
