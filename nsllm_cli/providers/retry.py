"""Retries for API calls: only on rate limits (429), server errors (5xx), timeouts and lost connections.

The original retried 25 times, 1 s apart, on any exception, so a bad request or a wrong key cost
25 identical failures. Here a refused request (400, 401, 403, 404, 422, ...) fails at once with the
server's own message, and the retryable failures wait with exponential backoff plus jitter, or
exactly as long as the server's `Retry-After` asks (capped at `max_wait_s`). The SDK clients are
built with `max_retries=0`, so these are the only retries.

Example:
    >>> policy = RetryPolicy(max_retries=3, backoff_s=0.5)
    >>> call_with_retries(lambda: 42, policy, classify_sdk_error, where="openai:gpt-4o")
    42
"""

from __future__ import annotations

import asyncio
import email.utils
import http
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from nsllm_cli.errors import ProviderError

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a retryable failure."""

    max_retries: int = 5
    """Retries after the first attempt (0 = try once)."""
    backoff_s: float = 1.0
    """Wait before the first retry; doubles on each further retry."""
    max_wait_s: float = 60.0
    """Cap on any single wait, including a server's Retry-After."""

    def wait_s(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry` (1-based).

        A server's Retry-After wins (it knows its own rate window); otherwise exponential backoff
        with "equal jitter": half the step fixed, half random, so clients that failed together spread out.
        """
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_wait_s)
        step = min(self.max_wait_s, self.backoff_s * float(2 ** max(retry - 1, 0)))
        return step / 2 + random.uniform(0, step / 2)


@dataclass(frozen=True)
class Failure:
    """What one failed attempt means: retry or not, and the one-line reason."""

    retryable: bool
    message: str
    status: int | None = None
    retry_after: float | None = None


def classify_sdk_error(exc: BaseException) -> Failure:
    """Classify an exception raised by the `openai` or `anthropic` SDK (both share the same shapes).

    Duck-typed on purpose: the SDKs are imported lazily, and their status errors carry `status_code`,
    `response` and `body` attributes, their timeouts and connection errors have telling class names.
    """
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    if isinstance(status, int) and response is not None:
        reason = _phrase(status)
        message = f"HTTP {status}{reason}: {server_message(exc)}"
        retry_after = parse_retry_after(getattr(response, "headers", None) or {})
        return Failure(status == 429 or status >= 500, message, status, retry_after)
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"APITimeoutError", "TimeoutException"} or isinstance(exc, TimeoutError):
        return Failure(True, "the request timed out")
    if names & {"APIConnectionError", "TransportError"} or isinstance(exc, ConnectionError):
        cause = exc.__cause__ or exc.__context__
        detail = f" ({type(cause).__name__}: {cause})" if cause is not None else ""
        return Failure(True, f"cannot connect to the server{detail}")
    if isinstance(exc, json.JSONDecodeError):
        return Failure(False, f"the server's answer is not valid JSON ({exc.msg} at char {exc.pos})")
    if "APIResponseValidationError" in names or "ValidationError" in names:
        return Failure(False, f"the server's answer does not have the expected shape: {_first_line(exc)}")
    return Failure(False, f"{type(exc).__name__}: {_first_line(exc)}")


def server_message(exc: BaseException) -> str:
    """The server's own error text (OpenAI and Anthropic put it in different places)."""
    api_message = getattr(exc, "api_message", None)
    if isinstance(api_message, str) and api_message:
        return api_message
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
    if isinstance(body, str) and body.strip():
        return _first_line(body)[:300]
    return _first_line(exc)


def parse_retry_after(headers: Mapping[str, str] | Any) -> float | None:
    """Seconds asked for by `retry-after-ms` or `retry-after` (seconds or an HTTP date), if any."""
    try:
        millis = headers.get("retry-after-ms")
        if millis is not None:
            return float(millis) / 1000
        value = headers.get("retry-after")
    except AttributeError:
        return None
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def call_with_retries(
    fn: Callable[[], T],
    policy: RetryPolicy,
    classify: Callable[[BaseException], Failure],
    *,
    where: str,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `fn`, retrying retryable failures; raise a one-line ProviderError otherwise.

    Raises:
        ProviderError: a non-retryable failure (at once) or the last retryable one (retries used up).
    """
    from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

    retrying = Retrying(
        stop=stop_after_attempt(policy.max_retries + 1),
        wait=_waiter(policy, classify),
        retry=retry_if_exception(lambda e: _retryable(e, classify)),
        before_sleep=_logger(where, classify),
        sleep=sleep,
        reraise=True,
    )
    state: RetryCallState | None = None
    try:
        for attempt in retrying:
            state = attempt.retry_state
            with attempt:
                return fn()
    except ProviderError:
        raise
    except Exception as exc:
        raise to_provider_error(exc, classify, where=where, attempts=_attempts(state)) from exc
    raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover


async def acall_with_retries(
    fn: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    classify: Callable[[BaseException], Failure],
    *,
    where: str,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """The async twin of :func:`call_with_retries`; waits with `asyncio.sleep`, never blocking the loop."""
    from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.max_retries + 1),
        wait=_waiter(policy, classify),
        retry=retry_if_exception(lambda e: _retryable(e, classify)),
        before_sleep=_logger(where, classify),
        sleep=sleep,
        reraise=True,
    )
    state: RetryCallState | None = None
    try:
        async for attempt in retrying:
            state = attempt.retry_state
            with attempt:
                return await fn()
    except ProviderError:
        raise
    except Exception as exc:
        raise to_provider_error(exc, classify, where=where, attempts=_attempts(state)) from exc
    raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover


def to_provider_error(
    exc: BaseException, classify: Callable[[BaseException], Failure], *, where: str, attempts: int = 1
) -> ProviderError:
    """The one-line error for a failed call, saying whether retries were used up."""
    if isinstance(exc, ProviderError):
        return exc
    failure = classify(exc)
    tries = f" (gave up after {attempts} attempts)" if failure.retryable and attempts > 1 else ""
    return ProviderError(f"{where}: {failure.message}{tries}", status=failure.status, attempts=attempts)


def _retryable(exc: BaseException, classify: Callable[[BaseException], Failure]) -> bool:
    return not isinstance(exc, ProviderError) and classify(exc).retryable


def _waiter(policy: RetryPolicy, classify: Callable[[BaseException], Failure]) -> Callable[[Any], float]:
    def wait(state: Any) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        retry_after = classify(exc).retry_after if exc is not None else None
        return policy.wait_s(int(state.attempt_number), retry_after)

    return wait


def _logger(where: str, classify: Callable[[BaseException], Failure]) -> Callable[[Any], None]:
    def before_sleep(state: Any) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        reason = classify(exc).message if exc is not None else "?"
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning("%s: %s; retry %d in %.2f s", where, reason, state.attempt_number, wait)

    return before_sleep


def _attempts(state: Any) -> int:
    return int(state.attempt_number) if state is not None else 1


def _phrase(status: int) -> str:
    try:
        return f" {http.HTTPStatus(status).phrase}"
    except ValueError:
        return ""


def _first_line(obj: object) -> str:
    text = str(obj).strip()
    return text.splitlines()[0] if text else type(obj).__name__
