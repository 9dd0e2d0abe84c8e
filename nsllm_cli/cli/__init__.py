"""The `nsllm` Typer app. Importing this module must stay cheap: no torch, transformers, textual."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from nsllm_cli import __version__
from nsllm_cli.cli import bench as bench_cmd
from nsllm_cli.cli import chat as chat_cmd
from nsllm_cli.cli import dashboard as dashboard_cmd
from nsllm_cli.cli import env as env_cmd
from nsllm_cli.cli import finetune as finetune_cmd
from nsllm_cli.cli import finetune_steer as finetune_steer_cmd
from nsllm_cli.cli import gather as gather_cmd
from nsllm_cli.cli import generate as generate_cmd
from nsllm_cli.cli import models as models_cmd
from nsllm_cli.cli import pending
from nsllm_cli.cli import serve as serve_cmd
from nsllm_cli.cli import steer as steer_cmd
from nsllm_cli.cli import steer_collect as steer_collect_cmd
from nsllm_cli.cli import train as train_cmd
from nsllm_cli.cli._common import STATE, hoist_debug
from nsllm_cli.cli._default_group import default_group
from nsllm_cli.cli._help import HelpGroup

app = typer.Typer(
    cls=HelpGroup,
    name="nsllm",
    help="Make language models better at rule-based and symbolic reasoning: neurosymbolic "
    "hidden-state computation (arXiv 2502.01657) and CodeSteer code/text steering (arXiv 2502.04350).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"nsllm {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors. Env: NSLLM_DEBUG=1.")] = False,
) -> None:
    """nsllm: neurosymbolic and code-steered reasoning for language models."""
    if debug:
        STATE.debug = True


app.command("gather", rich_help_panel="Neurosymbolic")(gather_cmd.gather)
app.command("train", rich_help_panel="Neurosymbolic")(train_cmd.train)
finetune_app = typer.Typer(
    cls=default_group("ns"),
    help="Fine-tune: the NS decoder in the model (default; `finetune --help`), or `finetune steer` for CodeSteer.",
)
finetune_app.command("ns", hidden=True)(finetune_cmd.finetune)
finetune_app.command("steer")(finetune_steer_cmd.steer)
app.add_typer(finetune_app, name="finetune", rich_help_panel="Neurosymbolic")
app.add_typer(bench_cmd.app, name="bench", rich_help_panel="Neurosymbolic")
steer_app = typer.Typer(
    cls=default_group("ask"),
    help="Steer a task model between code and text (CodeSteer; `steer --help`); `steer collect` for training data.",
)
steer_app.command("ask", hidden=True)(steer_cmd.steer)
steer_app.command("collect")(steer_collect_cmd.collect)
app.add_typer(steer_app, name="steer", rich_help_panel="CodeSteer")
app.command("serve", rich_help_panel="CodeSteer")(serve_cmd.serve)
app.command("env", rich_help_panel="Utilities")(env_cmd.env)
app.command("models", rich_help_panel="Utilities")(models_cmd.models)
app.command("generate", rich_help_panel="Utilities")(generate_cmd.generate)
app.command("dashboard", rich_help_panel="Interactive")(dashboard_cmd.dashboard)
app.command("chat", rich_help_panel="Interactive")(chat_cmd.chat)
pending.register(app)


def main() -> None:
    """Console-script entry point (`nsllm` and `python -m nsllm_cli`)."""
    from nsllm_cli.stopping import install_stop_handlers

    install_stop_handlers()  # a stop must work even when started with SIGINT ignored (nohup, `&`, schedulers)
    app(args=hoist_debug(sys.argv[1:]), prog_name="nsllm")
