"""`nsllm chat`: a streamed chat in the terminal (Textual, imported only here), or line by line with --plain."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from nsllm_cli.cli._common import AllowCodeOpt, ConfigOpt, DeviceOpt, DtypeOpt, SeedOpt, err_console, guarded, settings

if TYPE_CHECKING:
    from nsllm_cli.config import Settings
    from nsllm_cli.providers.base import GenParams, Provider
    from nsllm_cli.tui.lanes import SteerSetup

_SPEC_HELP = (
    "a provider spec: local:embedded, local:tiny, a model folder, ns:<finetune run folder> (the neurosymbolic "
    "model), gpt-4o, claude-..., or a name with --base-url"
)


@guarded
def chat(
    prompt: Annotated[
        str | None, typer.Argument(help="A first prompt; with --plain the only one (default: read stdin line by line).")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help=f"Who answers: {_SPEC_HELP} (default: local:embedded, or NSLLM_MODEL)."),
    ] = None,
    ns_run: Annotated[
        Path | None,
        typer.Option(
            help="A finetune run folder: answer side by side with the plain model and the same model with the "
            "run's neurosymbolic hook (a local --model only: the one the run was trained on)."
        ),
    ] = None,
    task_llm: Annotated[
        str | None,
        typer.Option("--task-llm", help=f"Steer mode: the model that answers, {_SPEC_HELP} (needs --steer-llm)."),
    ] = None,
    steer_llm: Annotated[
        str | None, typer.Option("--steer-llm", help="Steer mode: the model that guides (CodeSteer; needs --task-llm).")
    ] = None,
    max_rounds: Annotated[int, typer.Option(min=0, help="Steer mode: steered rounds after the first answer.")] = 5,
    allow_code_execution: AllowCodeOpt = False,
    plain: Annotated[
        bool,
        typer.Option(
            "--plain",
            help="No full-screen UI: read prompts from stdin line by line, stream labelled answers to stdout.",
        ),
    ] = False,
    max_tokens: Annotated[int, typer.Option(min=1, help="Most new tokens per answer (default 512).")] = 512,
    temperature: Annotated[
        float, typer.Option(min=0.0, help="0 (default) is greedy decoding; above 0 samples, seeded by --seed.")
    ] = 0.0,
    seed: SeedOpt = None,
    base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible URL for --model / --task-llm. Env: NSLLM_BASE_URL.")
    ] = None,
    steer_base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible URL for --steer-llm.")] = None,
    export_dir: Annotated[
        Path | None, typer.Option(help="Where ctrl+s writes chat-<time>.md (default: the current directory).")
    ] = None,
    device: DeviceOpt = None,
    dtype: DtypeOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Chat with a model, compare it with its neurosymbolic version (--ns-run), or watch CodeSteer rounds.

    Keys: ctrl+s exports the conversation as Markdown, ctrl+y copies the last answer, ctrl+n starts over,
    Esc stops an answer, ctrl+p lists every command. In the prompt: /export [PATH], /copy, /new.
    """
    from nsllm_cli.consent import code_allowed
    from nsllm_cli.errors import ConfigError

    steer_mode = bool(task_llm or steer_llm)
    if steer_mode and not (task_llm and steer_llm):
        raise ConfigError(
            f"steer mode needs both --task-llm and --steer-llm (missing {'--steer-llm' if task_llm else '--task-llm'})"
        )
    if steer_mode and (model or ns_run):
        raise ConfigError("--model and --ns-run do not apply in steer mode (--task-llm/--steer-llm)")
    allow_code = code_allowed(allow_code_execution)
    if allow_code_execution and not steer_mode:
        raise ConfigError("--allow-code-execution applies to steer mode only (--task-llm/--steer-llm)")
    if ns_run is not None:
        from nsllm_cli.providers.ns_run import read_ns_run

        if model is not None and model.startswith("ns:"):
            raise ConfigError(
                f"--model {model} is already the neurosymbolic model: to compare, pass --model <its model> --ns-run RUN"
            )
        read_ns_run(ns_run)  # a wrong folder fails before anything loads
    if prompt is not None and not prompt.strip():
        raise ConfigError("the prompt is empty")

    s = settings(config, base_url=base_url, device=device, dtype=dtype, seed=seed)
    # Before torch loads: local answers are generated in a thread, and spinning OpenMP threads slow that
    # down about 3x on a small shared CPU (see `nsllm serve`).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from nsllm_cli.providers.base import GenParams

    params = GenParams(temperature=temperature, max_tokens=max_tokens, seed=s.seed)
    lanes: list[tuple[str, Provider]] = []
    setup: SteerSetup | None = None
    if steer_mode:
        assert task_llm is not None and steer_llm is not None
        setup = _steer_setup(s, task_llm, steer_llm, steer_base_url, allow_code=allow_code, max_rounds=max_rounds)
    elif ns_run is not None:
        from nsllm_cli.providers.ns_local import ns_pair

        with err_console().status(f"loading {_spec(model, s)} and {ns_run} ..."):
            plain_p, ns_p = ns_pair(_spec(model, s), ns_run, model_cache=s.cache_dir, device=s.device, dtype=s.dtype)
        lanes = [(f"plain · {plain_p.name}", plain_p), (f"neurosymbolic · {ns_p.name}", ns_p)]
    else:
        lanes = [_single(model, s)]

    if plain:
        prompts: Iterable[str] = [prompt] if prompt is not None else sys.stdin
        failures = _plain_chat(lanes, setup, prompts, params, sys.stdout)
        if failures:
            raise typer.Exit(1)
        return

    from nsllm_cli.tui.chat import make_chat

    options: dict[str, Any] = {"max_tokens": max_tokens, "temperature": temperature, "seed": s.seed}
    options |= {"export_dir": export_dir, "prompt": prompt}
    if setup is not None:
        app = make_chat(steer=setup, **options)
    elif len(lanes) == 2:
        app = make_chat(lanes[0][1], ns_provider=lanes[1][1], ns_run=ns_run, **options)
    else:
        app = make_chat(lanes[0][1], **options)
    app.run()


def _spec(model: str | None, s: Settings) -> str:
    """The provider spec of --model: bare 'embedded'/'tiny' are local; no flag means the local NSLLM_MODEL."""
    if model is None:
        return s.model if s.model.startswith("ns:") else f"local:{s.model}"
    return f"local:{model}" if model in ("embedded", "tiny") else model


def _single(model: str | None, s: Settings) -> tuple[str, Provider]:
    from nsllm_cli.providers.registry import local_folder_spec, provider_for, split_spec

    spec = _spec(model, s)
    is_local = split_spec(local_folder_spec(spec))[0] in ("local", "ns")
    base_url = None if is_local else s.base_url
    api_key = s.api_key.get_secret_value() if s.api_key and base_url else None
    provider = provider_for(spec, s, base_url=base_url, api_key=api_key)
    return provider.name, provider


def _steer_setup(
    s: Settings, task_llm: str, steer_llm: str, steer_base_url: str | None, *, allow_code: bool, max_rounds: int
) -> SteerSetup:
    from nsllm_cli.providers.registry import provider_for
    from nsllm_cli.tui.lanes import SteerSetup

    key = s.api_key.get_secret_value() if s.api_key else None
    task = provider_for(task_llm, s, base_url=s.base_url, api_key=key if s.base_url else None)
    steerer = provider_for(steer_llm, s, base_url=steer_base_url, api_key=key if steer_base_url else None)
    mode = "local" if steerer.name.startswith("local") else "api"
    return SteerSetup(task, steerer, allow_code=allow_code, max_rounds=max_rounds, steer_mode=mode)


def _plain_chat(
    lanes: list[tuple[str, Provider]], setup: SteerSetup | None, prompts: Iterable[str], params: GenParams, out: TextIO
) -> int:
    """Answer each non-empty line; every answer is streamed under a `[label]` line. Returns the failures.

    One conversation per column: each prompt is sent with that column's earlier turns.
    """
    from nsllm_cli.providers.base import Message
    from nsllm_cli.providers.ns_local import last_read

    err = err_console()
    histories: dict[str, list[Message]] = {label: [] for label, _ in lanes}
    failures = 0
    for line in prompts:
        prompt = line.strip()
        if not prompt:
            continue
        if setup is not None:
            failures += _plain_steer(setup, prompt, params, out)
            continue
        for label, provider in lanes:
            out.write(f"[{label}]\n")
            out.flush()
            text = ""
            try:
                for chunk in provider.stream([*histories[label], {"role": "user", "content": prompt}], params):
                    text += chunk
                    out.write(chunk)
                    out.flush()
            except Exception as exc:  # noqa: BLE001 - one failed answer must not end the chat
                failures += 1
                out.write("\n" if text else "")
                err.print(f"[bold red]error:[/] {label}: {type(exc).__name__}: {exc}", markup=True, soft_wrap=True)
            else:
                histories[label] += [{"role": "user", "content": prompt}, {"role": "assistant", "content": text}]
                note = last_read(provider)
                if note is not None:  # why the NS column answered as it did, beside (not inside) the answer
                    err.print(f"[dim]{label}: {note}[/]", soft_wrap=True)
            out.write("\n\n")
            out.flush()
    return failures


def _plain_steer(setup: SteerSetup, prompt: str, params: GenParams, out: TextIO) -> int:
    """One CodeSteer run, its rounds printed as they happen; returns 1 when it failed."""
    from nsllm_cli.steer.loop import steer

    def write(text: str) -> None:
        out.write(text)
        out.flush()

    def on_event(kind: str, p: dict[str, Any]) -> None:
        if kind == "round_start":
            write(f"[CodeSteer · round {p['round']}]\n")
        elif kind == "steer":
            write(f"steerer: {'<<<' + p['control'] + '>>>' if p['control'] else p['guidance'].strip()}\n")
        elif kind == "task_answer":
            write(f"task model:\n{p['answer'].strip()}\n")
        elif kind == "exec_result":
            head = "timed out" if p["timed_out"] else f"exit {p['returncode']}"
            write(f"execution ({head}):\n{(p['stdout'] + p['stderr']).rstrip() or '(no output)'}\n")
        elif kind == "self_check":
            write(f"checker: {(p['feedback'].strip().splitlines() or [''])[0]}\n")
        elif kind == "finish":
            answer = p["answer"] if p["answer"] is not None else (p["transcript"].get("final_response") or "").strip()
            write(f"[final answer · {p['stop_reason']}]\n{answer}\n\n")

    try:
        result = steer(
            prompt,
            task=setup.task,
            steer=setup.steer,
            max_rounds=setup.max_rounds,
            allow_code=setup.allow_code,
            steer_mode="local" if setup.steer_mode == "local" else "api",
            self_check_enabled=setup.self_check,
            task_params=params,
            on_event=on_event,
        )
    except Exception as exc:  # noqa: BLE001 - reported, and the next prompt still runs
        err_console().print(f"[bold red]error:[/] CodeSteer: {type(exc).__name__}: {exc}", soft_wrap=True)
        write("\n")
        return 1
    if result.failed:
        err_console().print(f"[bold red]error:[/] CodeSteer gave no answer: {result.error}", soft_wrap=True)
        return 1
    return 0
