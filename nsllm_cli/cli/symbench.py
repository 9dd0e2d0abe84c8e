"""`nsllm bench ls` and `nsllm bench validate`: the SymBench task list and a gold-answer check of a data folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nsllm_cli.cli._common import err_console, guarded, out_console

EXIT_DATA_ERRORS = 3
"""`bench validate`: some stored gold answers break their task's rule (or a sample cannot be read)."""
EXIT_VALIDATOR_ERROR = 4
"""`bench validate`: a parser or validator raised on a stored gold answer (a bug in nsllm's task code)."""


def _selected(tasks: str | None) -> list[object]:
    from nsllm_cli.symbench.registry import all_tasks, get_task

    if not tasks:
        return list(all_tasks().values())
    return [get_task(name.strip()) for name in tasks.split(",") if name.strip()]


@guarded
def ls() -> None:
    """List the SymBench tasks: code, name, seen/unseen, whether instances can be generated, data folder."""
    from rich.table import Table

    from nsllm_cli.symbench.registry import all_tasks

    table = Table(title="SymBench tasks", title_justify="left")
    for col in ("code", "task", "title", "split", "generator", "data folder"):
        table.add_column(col)
    tasks = sorted(all_tasks().values(), key=lambda t: (t.code[:1] != "S", int(t.code[1:] or 0)))
    for t in tasks:
        table.add_row(
            t.code, t.name, t.title, "seen" if t.seen else "unseen", "no (external data)" if t.external else "yes",
            t.folder,
        )  # fmt: skip
    out_console().print(table)
    seen = sum(t.seen for t in tasks)
    out_console().print(f"{len(tasks)} tasks: {seen} seen, {len(tasks) - seen} unseen")


@guarded
def validate(
    data_dir: Annotated[
        Path | None,
        typer.Argument(help="A folder in the original dataset_gather layout (default: NSLLM_SYMBENCH_DIR)."),
    ] = None,
    tasks: Annotated[str | None, typer.Option(help="Comma-separated task names (default: all).")] = None,
    paper_scoring: Annotated[bool, typer.Option(help="Use the original validators' rules, bugs included.")] = False,
    show: Annotated[int, typer.Option(min=0, help="Failures to print per task.")] = 3,
    show_excluded: Annotated[
        bool, typer.Option(help="Also print each excluded known-bad instance (errata.json) with its reason.")
    ] = False,
) -> None:
    """Check every stored gold answer with its task's validator: `N passed, M failed` per task and in total.

    Stored data known to break its task's rules (listed with its hash in errata.json) is counted as excluded, not
    failed. A validator that raises on a gold answer is counted as a validator error, not as a data failure.

    Exit codes: 0 every gold answer passes (or is excluded); 3 the data has errors (gold answers that break their
    task's rule, or unreadable samples; listed above the total); 4 a validator crashed on a gold answer (a bug in
    nsllm; wins over 3); 1 bad input (no such folder, unknown task).
    """
    from nsllm_cli.errors import ConfigError
    from nsllm_cli.symbench.registry import data_folder
    from nsllm_cli.symbench.validate import TaskReport, validate_all

    folder = data_folder(data_dir)
    if folder is None:
        raise ConfigError("give the data folder: nsllm bench validate DIR (or set NSLLM_SYMBENCH_DIR)")
    out, err = out_console(), err_console()

    def counts(passed: int, failed: int, crashed: int, excluded: int) -> str:
        text = f"{passed} passed, {failed} failed"
        text += f", {crashed} validator error(s)" if crashed else ""
        return text + (f", {excluded} excluded (known bad data)" if excluded else "")

    def line(r: TaskReport) -> None:
        if r.skipped:
            err.print(f"{r.task}: skipped ({r.skipped})")
            return
        style = "red" if r.failed or r.crashes else "green"
        out.print(f"[{style}]{r.task}: {counts(r.passed, r.failed, len(r.crashes), len(r.excluded))}[/{style}]")
        for inst_id, reason in r.failures[:show]:  # one line each, paths unbroken
            out.print(f"  {inst_id}: {reason}", markup=False, soft_wrap=True)
        for inst_id, reason in r.crashes[:show]:
            out.print(f"  validator error {inst_id}: {reason}", markup=False, soft_wrap=True)
        for inst_id, reason in r.excluded if show_excluded else ():
            out.print(f"  excluded {inst_id}: {reason}", markup=False, soft_wrap=True)

    reports = validate_all(_selected(tasks), folder, paper=paper_scoring, on_task=line)  # type: ignore[arg-type]
    passed, failed = sum(r.passed for r in reports), sum(r.failed for r in reports)
    crashed, excluded = sum(len(r.crashes) for r in reports), sum(len(r.excluded) for r in reports)
    skipped = sum(1 for r in reports if r.skipped)
    total = counts(passed, failed, crashed, excluded)
    out.print(f"total: {total}" + (f" ({skipped} tasks skipped)" if skipped else ""))
    if crashed:
        where = f"a validator crashed on {crashed} gold answer(s), a bug in nsllm"
        err.print(f"[red]{where} (exit {EXIT_VALIDATOR_ERROR})[/]")
        raise typer.Exit(EXIT_VALIDATOR_ERROR)
    if failed:
        more = " (--show N lists more per task)" if any(r.failed > show for r in reports) else ""
        err.print(f"[red]the data has errors: {failed} stored gold answer(s) fail{more} (exit {EXIT_DATA_ERRORS})[/]")
        raise typer.Exit(EXIT_DATA_ERRORS)
