"""Retry policy units: backoff bounds, Retry-After parsing, classification."""

from __future__ import annotations

import email.utils
import time

import pytest

from nsllm_cli.errors import ProviderError
from nsllm_cli.providers.retry import RetryPolicy, call_with_retries, classify_sdk_error, parse_retry_after


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(backoff_s=1.0, max_wait_s=5.0)
    for retry, step in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (10, 5.0)]:
        waits = [policy.wait_s(retry) for _ in range(50)]
        assert all(step / 2 <= w <= step for w in waits)
    assert policy.wait_s(1, retry_after=2.5) == 2.5
    assert policy.wait_s(1, retry_after=600) == 5.0


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "soon"}) is None
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (parse_retry_after({"retry-after": future}) or 0) <= 31


def test_only_retryable_errors_are_retried() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionResetError("reset by peer")
        return "ok"

    policy = RetryPolicy(max_retries=5, backoff_s=0.001)
    assert call_with_retries(flaky, policy, classify_sdk_error, where="w", sleep=lambda s: None) == "ok"
    assert len(calls) == 3

    def bug() -> str:
        calls.append(1)
        raise KeyError("oops")

    calls.clear()
    with pytest.raises(ProviderError, match="w: KeyError"):
        call_with_retries(bug, policy, classify_sdk_error, where="w", sleep=lambda s: None)
    assert len(calls) == 1
    assert classify_sdk_error(TimeoutError()).retryable
