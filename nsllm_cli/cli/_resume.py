"""`--resume RUN`: a resumed command takes the options its run was started with.

The first call records its options in the run's `config.yaml` (`options:`, next to the resolved `settings:`).
A resume replays them: an option not typed again takes the recorded value (settings such as `--model` take the
value the first call resolved, whatever the environment says now); an option typed again that contradicts
the record is a one-line error naming the option and both values. Runs recorded before `options:` existed
replay what their config has: the settings and the command's own section.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Collection
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

NOT_REPLAYED = frozenset({"ctx", "resume", "run_dir", "config"})
"""Where the run is, and the file the first call's settings came from (those are recorded resolved)."""

SECRET_WORDS = ("key", "token", "secret", "password")


def resumable(fn: F) -> F:
    """Decorate a command that has `ctx: typer.Context` and `resume` parameters (inside `@guarded`)."""

    @functools.wraps(fn)
    def wrapper(**kwargs: Any) -> Any:
        from nsllm_cli.runs import COMMAND_OPTIONS

        resume = kwargs.get("resume")
        if resume is not None:
            kwargs = replay(kwargs["ctx"], Path(resume), kwargs, paths=_path_params(fn))
        token = COMMAND_OPTIONS.set(recordable(kwargs))
        try:
            return fn(**kwargs)
        finally:
            COMMAND_OPTIONS.reset(token)

    return wrapper  # type: ignore[return-value]


def recordable(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The options worth recording: YAML-safe values, no secrets, not where the run is."""
    return {
        name: _plain(value)
        for name, value in kwargs.items()
        if name not in NOT_REPLAYED and not any(word in name for word in SECRET_WORDS)
    }


def replay(ctx: Any, run: Path, kwargs: dict[str, Any], *, paths: Collection[str] = ()) -> dict[str, Any]:
    """`kwargs` with the run's recorded options in place of those not typed on the command line.

    Args:
        ctx: the command's click context (says which options were typed).
        run: the run folder being resumed.
        kwargs: the command's arguments as parsed.
        paths: names of the options that take a `Path`.

    Raises:
        ConfigError: `run` has no readable config.yaml, or a typed option contradicts the record.
    """
    from nsllm_cli.errors import ConfigError

    recorded = recorded_options(run)
    params = {p.name: p for p in ctx.command.params}
    out = dict(kwargs)
    for name, value in recorded.items():
        if name in NOT_REPLAYED or name not in kwargs or name not in params:
            continue
        if _typed(ctx, name):
            if _plain(kwargs[name]) != _plain(value):
                flag = _flag(params[name])
                raise ConfigError(
                    f"{flag} {_show(kwargs[name])} contradicts the run being resumed: {run} was started with "
                    f"{flag} {_show(value)} (leave {flag} out to continue it, or start a new run)"
                )
            continue
        out[name] = Path(value) if value is not None and name in paths else value
    return out


def recorded_options(run: Path) -> dict[str, Any]:
    """The options recorded in `run/config.yaml`; settings (model, seed, ...) as the first call resolved them."""
    import yaml

    from nsllm_cli.errors import ConfigError

    path = run / "config.yaml"
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot resume {run}: no readable config.yaml in it ({exc.__class__.__name__})") from exc
    if not isinstance(config, dict):
        raise ConfigError(f"cannot resume {run}: its config.yaml is not a mapping")
    settings = config.get("settings") or {}
    options = config.get("options")
    if options is None:  # recorded before `options:` existed: the command's own section, by option name
        section = config.get(str(config.get("command")), {})
        options = dict(section) if isinstance(section, dict) else {}
    merged = dict(options)
    for name, value in settings.items():
        if merged.get(name) is None:
            merged[name] = value
    return {k: v for k, v in merged.items() if not any(word in k for word in SECRET_WORDS)}


def _path_params(fn: Callable[..., Any]) -> set[str]:
    """The parameters of `fn` annotated `Path` or `Path | None`."""
    hints = typing.get_type_hints(fn)
    return {name for name, hint in hints.items() if hint is Path or Path in typing.get_args(hint)}


def _typed(ctx: Any, name: str) -> bool:
    """Whether `name` was given on the command line (not a default)."""
    source = ctx.get_parameter_source(name)
    return getattr(source, "name", "") in {"COMMANDLINE", "ENVIRONMENT", "PROMPT"}


def _flag(param: Any) -> str:
    names = [o for o in param.opts if o.startswith("--")] or list(param.opts) or [param.name]
    return str(max(names, key=len))


def _plain(value: Any) -> Any:
    """A value as YAML records it (paths as strings, tuples as lists)."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def _show(value: Any) -> str:
    value = _plain(value)
    return "(not set)" if value is None else str(value)
