"""Run folders: writing them (`folder`), and reading, following, launching and stopping them (no Textual here).

Every command that computes something writes one folder (`RunDir`: config, status, metrics, results). The
dashboard needs nothing else: it lists them (`index`), follows their JSONL files (`tail`, `follow`), groups
their answers (`answers`), and starts and stops commands as subprocesses (`launch`, `stopper`).

Example:
    >>> run = RunDir.create(Path("runs"), "generate", settings=settings, argv=["nsllm", "generate"])
    >>> run.log_metrics(step=1, loss=2.5)
    >>> run.finish(results={"answer": "47"})
"""

from nsllm_cli.runs.folder import COMMAND_OPTIONS, RunDir, environment_info, new_run_name

__all__ = ["COMMAND_OPTIONS", "RunDir", "environment_info", "new_run_name"]
