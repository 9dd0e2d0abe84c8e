"""The consent to run model-written code: off unless a command's flag or NSLLM_ALLOW_CODE_EXECUTION says so."""

from __future__ import annotations

import pytest

from nsllm_cli.consent import ALLOW_ENV, ALLOW_FLAG, CodeExecutionNotAllowedError, check_allowed, code_allowed
from nsllm_cli.errors import NsllmError


def test_check_allowed_refuses_with_a_one_line_message_naming_the_flag_and_setting() -> None:
    with pytest.raises(CodeExecutionNotAllowedError) as info:
        check_allowed(False)
    message = str(info.value)
    assert ALLOW_FLAG in message and f"{ALLOW_ENV}=1" in message and "\n" not in message
    assert isinstance(info.value, NsllmError)
    check_allowed(True)


@pytest.mark.parametrize(("flag", "env", "allowed"), [(False, None, False), (True, None, True), (False, "1", True),
                                                       (False, " Yes ", True), (False, "0", False)])  # fmt: skip
def test_code_allowed_by_the_flag_or_the_environment(
    flag: bool, env: str | None, allowed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if env is None:
        monkeypatch.delenv(ALLOW_ENV, raising=False)
    else:
        monkeypatch.setenv(ALLOW_ENV, env)
    assert code_allowed(flag) is allowed
