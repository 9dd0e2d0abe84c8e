"""The user's consent to run model-written code: a command's `--allow-code-execution` or the environment.

Why a setting of its own: the original CodeSteer ran the model's programs with every API key visible. Here model
code runs only in the sandbox (`nsllm_cli.sandbox`) and only when the user opted in, through the flag (declared
once, `cli._common.AllowCodeOpt`) or `NSLLM_ALLOW_CODE_EXECUTION=1`. The engines take the resulting boolean and
raise `CodeExecutionNotAllowedError`, whose message names both ways to opt in.

Example:
    >>> code_allowed(True)
    True
    >>> check_allowed(True)  # no error: the user opted in
"""

from __future__ import annotations

import os

from nsllm_cli.errors import NsllmError

ALLOW_FLAG = "--allow-code-execution"
"""The command-line flag that allows model-written code to run (in the sandbox)."""
ALLOW_ENV = "NSLLM_ALLOW_CODE_EXECUTION"
"""The environment variable that does the same as `ALLOW_FLAG` when set to 1, true or yes."""


class CodeExecutionNotAllowedError(NsllmError):
    """Model-written code would run, but the user did not opt in."""


def code_allowed(flag: bool) -> bool:
    """Whether the user opted in to running model code: the command's flag, or NSLLM_ALLOW_CODE_EXECUTION=1."""
    return flag or os.environ.get(ALLOW_ENV, "").strip().lower() in {"1", "true", "yes"}


def check_allowed(allowed: bool) -> None:
    """Refuse to run model code unless the user opted in (the original ran it with every API key visible).

    Raises:
        CodeExecutionNotAllowedError: when `allowed` is false; the message names the flag and the setting.
    """
    if not allowed:
        raise not_allowed()


def not_allowed(where: str = "") -> CodeExecutionNotAllowedError:
    """The refusal, naming the flag and the setting; `where` says what would have run (e.g. "round 2")."""
    return CodeExecutionNotAllowedError(
        f"{where + ', but ' if where else ''}running model-written code is off: pass {ALLOW_FLAG} or set "
        f"{ALLOW_ENV}=1 (it runs in a sandbox)"
    )
