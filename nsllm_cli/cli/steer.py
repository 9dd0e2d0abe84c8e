"""`nsllm steer`: CodeSteer's multi-round code/text steering of a task model, with a live view of each round.

The final answer goes to stdout (nothing else does), the live view to stderr, and the whole transcript
to `transcript.json` (and one line of `samples.jsonl`) in the run folder.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nsllm_cli.cli._common import AllowCodeOpt, ConfigOpt, RunDirOpt, SandboxDiskOpt, SeedOpt, guarded, settings

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status

_MODES = ("auto", "api", "local")
_MATCHES = ("exact", "substring")
_METRICS = ("ast", "legacy")
_SPEC_HELP = (
    "e.g. gpt-4o, claude-3-5-sonnet-20241022, local:embedded, ns:<finetune run folder> (the neurosymbolic model), "
    "or replay:FILE.json (scripted answers)"
)


@guarded
def steer(
    question: Annotated[
        str | None, typer.Argument(help="The task (with its answer format); '-' or nothing reads standard input.")
    ] = None,
    task_llm: Annotated[str | None, typer.Option("--task-llm", help=f"Model that answers: {_SPEC_HELP}.")] = None,
    steer_llm: Annotated[str | None, typer.Option("--steer-llm", help=f"Model that guides: {_SPEC_HELP}.")] = None,
    checker_llm: Annotated[
        str | None, typer.Option("--checker-llm", help="Model of the Self-answer Checker (default: the task model).")
    ] = None,
    max_rounds: Annotated[
        int, typer.Option(min=0, help="Steered rounds after the code/text choice (at most N+1 answers).")
    ] = 5,
    allow_code_execution: AllowCodeOpt = False,
    sandbox_disk: SandboxDiskOpt = 256,
    base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible URL for the task (and checker) model. Env: NSLLM_BASE_URL.")
    ] = None,
    steer_base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible URL for the steering model.")] = None,
    question_file: Annotated[
        Path | None, typer.Option("--question-file", "-f", help="Read the task from this file.")
    ] = None,
    steer_mode: Annotated[
        str,
        typer.Option(help="api: prompt + question every round; local: a trained steerer; auto: local for local:*."),
    ] = "auto",
    stop_match: Annotated[
        str, typer.Option(help="exact: only exact control tokens act (default); substring: the original's tests.")
    ] = "exact",
    complexity_metric: Annotated[
        str, typer.Option(help="ast: AST node counts (default); legacy: the original's substring counts.")
    ] = "ast",
    task_sees_exec: Annotated[
        bool, typer.Option(help="Append execution results to the task model's own answers (off = the paper).")
    ] = False,
    self_check: Annotated[
        bool, typer.Option("--self-check/--no-self-check", help="Run the Self-answer Checker every round.")
    ] = True,
    exec_output: Annotated[
        bool, typer.Option("--exec-output/--no-exec-output", help="Show program output in the live view.")
    ] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No live view; only the final answer.")] = False,
    task_max_tokens: Annotated[int, typer.Option(min=1, help="Most new tokens per task answer (paper: 2000).")] = 2000,
    seed: SeedOpt = None,
    config: ConfigOpt = None,
    run_dir: RunDirOpt = None,
) -> None:
    """Guide a task model between code and text over several rounds (CodeSteer); print the final answer."""
    from nsllm_cli.cli._common import err_console, sandbox_executor
    from nsllm_cli.errors import ConfigError, NsllmError

    text = _read_question(question, question_file)
    for name, value, allowed in (
        ("--steer-mode", steer_mode, _MODES),
        ("--stop-match", stop_match, _MATCHES),
        ("--complexity-metric", complexity_metric, _METRICS),
    ):
        if value not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    if not task_llm or not steer_llm:
        missing = "--task-llm" if not task_llm else "--steer-llm"
        raise ConfigError(f"{missing} is required ({_SPEC_HELP})")
    s = settings(config, seed=seed, base_url=base_url)
    err = err_console()

    from dataclasses import replace

    from nsllm_cli.cli._run import open_run
    from nsllm_cli.consent import code_allowed
    from nsllm_cli.jsonl import append_jsonl, write_json_atomic
    from nsllm_cli.providers.base import GenParams
    from nsllm_cli.providers.registry import provider_for
    from nsllm_cli.steer.loop import LOCAL_STEER_PARAMS
    from nsllm_cli.steer.loop import steer as run_steer

    allow_code = code_allowed(allow_code_execution)

    api_key = s.api_key.get_secret_value() if s.api_key else None
    task = provider_for(task_llm, s, base_url=s.base_url, api_key=api_key if s.base_url else None)
    steerer = provider_for(steer_llm, s, base_url=steer_base_url, api_key=api_key if steer_base_url else None)
    checker = None
    if checker_llm:
        checker = provider_for(checker_llm, s, base_url=s.base_url, api_key=api_key if s.base_url else None)
    mode = steer_mode if steer_mode != "auto" else ("local" if steerer.name.startswith("local") else "api")
    options: dict[str, Any] = {
        "question": text,
        "task_llm": task_llm,
        "steer_llm": steer_llm,
        "checker_llm": checker_llm,
        "max_rounds": max_rounds,
        "allow_code_execution": allow_code,
        "sandbox_disk_mb": sandbox_disk,
        "steer_mode": mode,
        "stop_match": stop_match,
        "complexity_metric": complexity_metric,
        "task_sees_exec": task_sees_exec,
        "self_check": self_check,
        "task_max_tokens": task_max_tokens,
        "steer_base_url": steer_base_url,
    }
    run = open_run(s, "steer", run_dir=run_dir, extra_config=options)
    view = _LiveView(err, show_exec=exec_output, quiet=quiet)

    def on_event(kind: str, payload: dict[str, Any]) -> None:
        if kind == "error":  # keep what was done before the failure
            write_json_atomic(run.path / "transcript.json", payload["transcript"])
        view(kind, payload)

    with run.guard(), view.status():
        result = run_steer(
            text,
            task=task,
            steer=steerer,
            checker_llm=checker,
            max_rounds=max_rounds,
            allow_code=allow_code,
            executor=sandbox_executor(sandbox_disk),
            steer_mode=mode,  # type: ignore[arg-type]
            stop_match=stop_match,  # type: ignore[arg-type]
            complexity_metric=complexity_metric,  # type: ignore[arg-type]
            task_sees_exec=task_sees_exec,
            self_check_enabled=self_check,
            task_params=GenParams(temperature=0.0, max_tokens=task_max_tokens, seed=s.seed),
            steer_params=replace(LOCAL_STEER_PARAMS, seed=s.seed) if mode == "local" else None,
            on_event=on_event,
        )
    record = result.to_dict()
    write_json_atomic(run.path / "transcript.json", record)
    append_jsonl(run.path / "samples.jsonl", {"id": run.path.name, "method": "codesteer", **record})
    for r in result.rounds:
        u = r.usage
        tokens = {"prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens}
        run.log_metrics(step=r.index, total_steps=max_rounds + 1, phase="steer", control=r.control, **tokens)
    results = {k: record[k] for k in ("answer", "text_answer", "code_answer", "stop_reason", "n_rounds", "n_answers")}
    results.update(usage=record["usage"], usage_by_role=record["usage_by_role"], seconds=record["seconds"])
    if result.failed:
        run.write_results(results)
        run.set_status("failed", error=result.error)
        raise NsllmError(f"no answer: {result.error} (transcript: {run.path / 'transcript.json'})")
    run.finish(results)
    answer = result.answer if result.answer is not None else (result.final_response or "").strip()
    sys.stdout.write(answer + "\n")
    sys.stdout.flush()
    if not quiet:
        total = result.usage.total_tokens
        err.print(
            f"[dim]{result.stop_reason} after {len(result.rounds)} round(s) · {total} tokens · "
            f"{result.seconds:.1f} s · run: {run.path}[/]"
        )


def _read_question(question: str | None, question_file: Path | None) -> str:
    """The task text from the argument, --question-file, or standard input ('-' or no argument and a pipe)."""
    from nsllm_cli.errors import ConfigError

    if question_file is not None:
        if question not in (None, "-"):
            raise ConfigError("give the question either as an argument or with --question-file, not both")
        try:
            text = question_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read question file {question_file}: {exc.strerror or exc}") from exc
    elif question is None or question == "-":
        if question is None and sys.stdin.isatty():
            raise ConfigError("give a question: an argument, --question-file F, or '-' to read standard input")
        text = sys.stdin.read()
    else:
        text = question
    if not text.strip():
        raise ConfigError("the question is empty")
    return text.strip()


class _LiveView:
    """Renders loop events on stderr with rich: one rule per round, panels for answers and program output."""

    MAX_LINES = 40

    def __init__(self, console: Console, *, show_exec: bool, quiet: bool) -> None:
        self.console = console
        self.show_exec = show_exec
        self.quiet = quiet
        self._status: Status | None = None

    def status(self) -> Any:
        """A spinner saying who is working, kept below the printed rounds."""
        from contextlib import nullcontext

        if self.quiet:
            return nullcontext()
        self._status = self.console.status("steerer: choosing code or text ...")
        return self._status

    def _say(self, text: str) -> None:
        if self._status is not None:
            self._status.update(text)

    def _clip(self, text: str) -> str:
        lines = text.rstrip().splitlines()
        if len(lines) <= self.MAX_LINES:
            return "\n".join(lines)
        return "\n".join(lines[: self.MAX_LINES]) + f"\n... ({len(lines) - self.MAX_LINES} more lines)"

    def __call__(self, kind: str, p: dict[str, Any]) -> None:
        if self.quiet:
            return
        from rich.markup import escape
        from rich.panel import Panel
        from rich.text import Text

        c = self.console
        if kind == "round_start":
            c.rule(f"round {p['round']}" + (" · code or text" if p["round"] == 0 else ""))
            self._say(f"round {p['round']}: " + ("steerer choosing" if p["round"] == 0 else "running and checking"))
        elif kind == "steer":
            label = f"<<<{p['control']}>>>" if p["control"] else self._clip(p["guidance"])
            c.print(Text.assemble(("steerer: ", "bold magenta"), (label, "magenta")))
            self._say(f"round {p['round']}: task model answering")
        elif kind == "task_answer":
            c.print(Panel(Text(self._clip(p["answer"])), title="task model", title_align="left", border_style="cyan"))
            self._say(f"round {p['round']}: waiting for the steerer")
        elif kind == "symbolic":
            verdict = "[green]symbolic enough[/]" if p["symbolic_enough"] else "[yellow]too simple[/]"
            if p["hardcoded_answer"]:
                verdict += " (prints a hard-coded answer)"
            elif not p["valid"]:
                verdict = f"[red]invalid Python[/] ({escape(p['error'] or '')})"
            features = ", ".join(p["search"] + [f"recursion: {f}" for f in p["recursion"]] + p["libraries"])
            c.print(
                f"[bold]code check:[/] {verdict} · score {p['score']:g}"
                + (f" · {escape(features)}" if features else "")
            )
        elif kind == "exec_result":
            head = "timed out" if p["timed_out"] else f"exit {p['returncode']}"
            style = "green" if p["ok"] else "red"
            title = f"execution · {head} · {p['duration_s']:.2f} s"
            if self.show_exec:
                body = self._clip(p["stdout"] + (("\n" + p["stderr"]) if p["stderr"].strip() else "")) or "(no output)"
                c.print(Panel(Text(body), title=title, title_align="left", border_style=style))
            else:
                c.print(f"[{style}]{title}[/]")
        elif kind == "self_check":
            first = (p["feedback"].strip().splitlines() or [""])[0]
            c.print(Text.assemble(("checker: ", "bold"), (first[:200], "dim" if p["skipped"] else "")))
        elif kind == "finish":
            c.rule(f"done · {p['stop_reason']}")
        elif kind == "error":
            c.rule("[red]stopped by an error[/]")
