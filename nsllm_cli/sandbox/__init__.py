"""Run model-written Python in a separate, limited, killable process (issue #4; codesteer.md section 6).

Layers, strongest first (what is active is measured per run, see `ExecResult.isolation` and `isolation_report`):

- OS barriers (real): a new process in a fresh temp folder, `python -I`, a scrubbed environment (no API keys),
  `setrlimit` limits (CPU, address space, file size, open files, processes, no core dumps); on Linux with
  Landlock (5.13+, see `landlock.py`) the code reads only the Python installation it runs, system libraries and
  programs, a few device files and its own /proc/<pid>, and writes only its temp folder (and /dev/null); on Linux
  a PID namespace (every process dies with the namespace) and a network namespace with no interfaces but a down
  loopback, when `unshare` is allowed; as root, an unused uid (so RLIMIT_NPROC applies and the file system
  permissions hold); a disk budget for the temp folder (`disk`: a size-limited tmpfs with a private /dev/shm in a
  mount namespace, else a folder the supervisor watches); a seccomp filter that refuses namespace creation,
  mounts, ptrace, bpf, io_uring and the like (`seccomp_profile`, compiled by libseccomp).
- Fallbacks: without namespaces, a supervisor made child subreaper (`prctl`) kills every descendant found in /proc,
  setsid'd grandchildren included; elsewhere only the process group is killed.
- Guards (Python level only, bypassable with ctypes or a child program): an audit hook refuses writes outside the
  temp folder and, when no network namespace could be made, socket connects and name lookups.

Not covered: without Landlock (old kernel, macOS, Landlock off) reading files is not restricted (as root the code
runs with CAP_DAC_READ_SEARCH when the interpreter lives in a folder other users cannot read, e.g. under a 0700
/root) and, without root, same-uid processes' /proc/<pid>/environ stays readable; `Isolation.files` says which
held. In the no-namespace, non-root fallback the code can signal its supervisor (it then dies with it through
PR_SET_PDEATHSIG, but its own setsid'd children may be re-parented out of reach).

Modules: `run` (the parent side: `run_code`), `supervisor` and `code_process` (the child side, run by path in an
isolated interpreter), `libc` (libc for the child side), `landlock`, `disk` (the disk budget, child side),
`seccomp_profile` (the system calls refused, compiled in the parent), `access` (what the code may read), `limits`,
`result`, `isolation`. Whether model code may run at all is the user's choice: `nsllm_cli.consent`.

Example:
    >>> result = run_code("print(6 * 7)")  # doctest: +SKIP
    >>> result.stdout, result.ok  # doctest: +SKIP
    ('42\\n', True)
"""

from __future__ import annotations

from nsllm_cli.sandbox.isolation import Isolation
from nsllm_cli.sandbox.limits import Limits
from nsllm_cli.sandbox.result import ExecResult
from nsllm_cli.sandbox.run import ProcessSandbox, SandboxBackend, isolation_report, run_code

__all__ = ["ExecResult", "Isolation", "Limits", "ProcessSandbox", "SandboxBackend", "isolation_report", "run_code"]
