"""A structural check of a class against a `Protocol` that, unlike `isinstance`, looks at the methods' signatures.

`isinstance(obj, SomeRuntimeProtocol)` only asks whether attributes with the right names exist: a provider whose
`acomplete` is not async, or whose `complete` lost its `params` argument, still passes it and only breaks where the
steering loop calls it.

Example:
    >>> class Half:
    ...     def complete(self, messages): ...
    >>> from nsllm_cli.providers.base import Provider
    >>> protocol_mismatches(Half, Provider)[2]  # after acomplete and astream: missing
    'complete: takes (messages), the protocol (messages, params=...)'
"""

from __future__ import annotations

import inspect
from typing import Any

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def _protocol_methods(protocol: type) -> dict[str, Any]:
    members = getattr(protocol, "__protocol_attrs__", None) or [n for n in vars(protocol) if not n.startswith("_")]
    return {n: getattr(protocol, n) for n in sorted(members) if inspect.isfunction(getattr(protocol, n, None))}


def _shape(params: list[inspect.Parameter]) -> str:
    return ", ".join(p.name + ("=..." if p.default is not inspect.Parameter.empty else "") for p in params)


def protocol_mismatches(cls: type, protocol: type) -> list[str]:
    """One line per protocol method that `cls` lacks, or defines as sync/async where the protocol does not,
    or whose parameters differ (the implementation may add parameters only if they have defaults)."""
    problems = []
    for name, wanted in _protocol_methods(protocol).items():
        got = getattr(cls, name, None)
        if not callable(got):
            problems.append(f"{name}: missing")
            continue
        if inspect.iscoroutinefunction(wanted) != inspect.iscoroutinefunction(got):
            problems.append(f"{name}: {'must' if inspect.iscoroutinefunction(wanted) else 'must not'} be async def")
        want = list(inspect.signature(wanted).parameters.values())[1:]
        have = list(inspect.signature(got).parameters.values())[1:]
        head, extra = have[: len(want)], have[len(want) :]
        same = [(p.name, p.kind in _POSITIONAL, p.default is inspect.Parameter.empty) for p in head] == [
            (p.name, p.kind in _POSITIONAL, p.default is inspect.Parameter.empty) for p in want
        ]
        if not same or any(p.default is inspect.Parameter.empty and p.kind not in _VARIADIC for p in extra):
            problems.append(f"{name}: takes ({_shape(have)}), the protocol ({_shape(want)})")
    return problems
