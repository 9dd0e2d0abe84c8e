"""`nsllm train`: per-layer encoders/decoders between hidden states and HRR vectors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from nsllm_cli.cli._common import ConfigOpt, RunDirOpt, SeedOpt, err_console, guarded, out_console, settings


@guarded
def train(
    gather: Annotated[Path, typer.Option(help="A gather run folder (or its activations/ folder).")],
    layers: Annotated[str | None, typer.Option(help="Comma-separated layers (default: every gathered layer).")] = None,
    solver: Annotated[
        str, typer.Option(help="lstsq: closed-form ridge (seconds). adam: the paper's Adam + LR schedules.")
    ] = "lstsq",
    epochs: Annotated[int, typer.Option(min=1, help="adam: encoder epochs (paper 1000).")] = 1000,
    dec_epochs: Annotated[int, typer.Option(min=1, help="adam: decoder epochs (paper 1000).")] = 1000,
    lr: Annotated[float, typer.Option(help="adam: base learning rate.")] = 1e-3,
    batch_size: Annotated[int, typer.Option(min=1, help="adam: batch size.")] = 512,
    alpha: Annotated[
        float, typer.Option(min=0.0, help="lstsq: ridge strength, relative to the mean eigenvalue.")
    ] = 1e-8,
    dec_alpha: Annotated[
        float, typer.Option(min=0.0, help="lstsq: decoder ridge strength (keeps its output bounded on result vectors).")
    ] = 1e-3,
    multi_window: Annotated[
        int,
        typer.Option(
            min=0,
            help="Also fit one encoder over the block inputs within this many layers of the best (0: off).",
        ),
    ] = 2,
    reader_epochs: Annotated[
        int, typer.Option(min=1, help="steps recipe: epochs of the operand/type reader (about 6 s each on 2 cores).")
    ] = 20,
    vsa_dim: Annotated[int, typer.Option(min=64, help="HRR dimension D.")] = 2048,
    atoms_seed: Annotated[int, typer.Option(help="Seed of the VSA atoms (saved beside the encoders).")] = 0,
    seed: SeedOpt = None,
    config: ConfigOpt = None,
    run_dir: RunDirOpt = None,
) -> None:
    """Fit the reader (steps gather) or Enc_L/Dec_L per layer (paper gather); table and best layer in the run."""
    from nsllm_cli.cli._run import open_run
    from nsllm_cli.errors import NsllmError
    from nsllm_cli.ns.paper.train import train as run_train

    if solver not in ("lstsq", "adam"):
        raise NsllmError(f"unknown --solver {solver!r}: use lstsq or adam")
    source = gather / "activations" if (gather / "activations").is_dir() else gather
    s = settings(config, seed=seed)
    from nsllm_cli.ns.steps.gather import is_span_gather

    if is_span_gather(source):
        _train_steps(source, s, epochs=reader_epochs, vsa_dim=vsa_dim, atoms_seed=atoms_seed, run_dir=run_dir)
        return
    layer_list = [int(v) for v in layers.split(",")] if layers else None
    run = open_run(
        s,
        "train",
        run_dir=run_dir,
        extra_config={
            "gather": str(source),
            "solver": solver,
            "layers": layers,
            "epochs": epochs,
            "dec_epochs": dec_epochs,
            "lr": lr,
            "vsa_dim": vsa_dim,
            "alpha": alpha,
            "dec_alpha": dec_alpha,
            "multi_window": multi_window,
        },
    )
    err = err_console()

    def on_event(kind: str, payload: dict[str, Any]) -> None:
        if kind == "epoch":
            run.log_metrics(step=payload["epoch"], phase=payload["phase"], loss=payload["loss"], lr=payload["lr"])
            if payload["epoch"] % 50 == 0:
                err.print(f"[dim]{payload['phase']} epoch {payload['epoch']}: rmse {payload['loss']:.4f}[/]")
        elif kind == "start":
            err.print(
                f"fitting {len(payload['layers'])} layer(s) on {payload['train']} rows "
                f"({payload['val']} validation) with {payload['solver']}"
            )

    with run.guard():
        with err.status("training encoders/decoders ..."):
            results = run_train(
                source,
                run.artifacts,
                layers=layer_list,
                solver=solver,  # type: ignore[arg-type]
                vsa_dim=vsa_dim,
                atoms_seed=atoms_seed,
                epochs=epochs,
                dec_epochs=dec_epochs,
                lr=lr,
                batch_size=batch_size,
                alpha=alpha,
                dec_alpha=dec_alpha,
                multi_window=multi_window,
                seed=s.seed,
                on_event=on_event,
            )
    run.finish(results)
    _render(results, run.path)


def _render(results: dict[str, Any], path: Path) -> None:
    from rich.table import Table

    table = Table(title=f"encoder per layer (validation, {results['val_rows']} rows)", title_justify="left")
    for col in ("layer", "digit err %", "problem err %", "type err %", "VSA rmse", "decoder rmse", "|inject|/|h|"):
        table.add_column(col, justify="right")
    multi = results.get("multi")
    rows = [(str(r["layer"]), r) for r in results["layers"]]
    if multi:
        rows.append((f"{multi['read_layers'][0]}-{multi['read_layers'][-1]}", multi))
    for name, r in rows:
        style = "bold green" if r.get("layer") == results["best_layer"] and r is not multi else ""
        table.add_row(
            name,
            f"{100 * r['digit_error']:.2f}",
            f"{100 * r['problem_error']:.1f}",
            f"{100 * r['type_error']:.1f}",
            f"{r['rmse']:.4f}",
            f"{r['decoder_rmse']:.3f}",
            f"{r['inject_ratio']:.3f}",
            style=style,
        )
    out = out_console()
    out.print(table)
    out.print(f"best layer: {results['best_layer']}   plot: {path / 'artifacts' / 'layers.png'}   run: {path}")
    if multi:
        out.print(
            f"multi-layer encoder: reads layers {', '.join(map(str, multi['read_layers']))}, writes at layer "
            f"{multi['layer']}; finetune uses it by default (--encoder single for the paper's one layer)"
        )


def _train_steps(source: Path, s: Any, *, epochs: int, vsa_dim: int, atoms_seed: int, run_dir: Path | None) -> None:
    """`train` on a steps gather: fit the reader and print how well it reads each split."""
    from rich.table import Table

    from nsllm_cli.cli._progress import EventProgress
    from nsllm_cli.cli._run import open_run
    from nsllm_cli.ns.steps.train import train_steps_reader

    run = open_run(
        s,
        "train",
        run_dir=run_dir,
        extra_config={"gather": str(source), "recipe": "steps", "reader_epochs": epochs, "vsa_dim": vsa_dim},
    )
    progress = EventProgress("reader", "loss {loss:.4f}", {"loss": float("nan")}, total=epochs)

    def on_event(kind: str, payload: dict[str, Any]) -> None:
        if kind == "epoch":
            run.log_metrics(step=payload["epoch"], phase="reader", **{k: v for k, v in payload.items() if k != "epoch"})
            progress.on_event("step", {"step": payload["epoch"], "loss": payload["loss"]})

    with run.guard(), progress:
        results = train_steps_reader(
            source, run.artifacts, epochs=epochs, vsa_dim=vsa_dim, atoms_seed=atoms_seed, seed=s.seed, on_event=on_event
        )
    run.finish(results)
    out = out_console()
    out.print(_layer_table(results))
    table = Table(title="reader: problems read fully right (type, x, y, gate open)", title_justify="left")
    for col in ("split", "n", "right %", "type %", "x, y %", "gate %", "neg.", "false open %", "unseen", "open %"):
        table.add_column(col, justify="right")
    names = {"train": "train", "val": "val", "heldout": "held-out"}
    keys = ("fully_right", "type_right", "operands_right", "gate_open", "false_open", "unseen_open")
    for split in ("train", "val", "heldout"):
        r = results["splits"].get(split)
        if r is None:
            continue
        cells = [f"{100 * r[k]:.1f}" if r.get(k) is not None else "-" for k in keys]
        table.add_row(
            names[split],
            str(r["positives"]),
            *cells[:4],
            str(r["negatives"]),
            cells[4],
            str(r.get("unseen", 0)),
            cells[5],
        )
    out.print(table)
    from nsllm_cli.ns.problems import unseen_of

    unseen = unseen_of(results["types"])
    out.print(
        "val: trained wordings, new numbers; held-out: wordings never trained on; neg.: negatives; "
        + (f"unseen: {', '.join(unseen)}, never trained (open % should be 0)" if unseen else "no unseen operation")
    )
    out.print(f"run: {run.path}   next: nsllm finetune --train-run {run.path}")


def _layer_table(results: dict[str, Any]) -> Any:
    """The per-block table of the operation read (with the open-set test of the chosen block), the choice marked."""
    from rich.table import Table

    table = Table(
        title="operation read per block (out of family: training families the fit did not see; the choice)",
        title_justify="left",
    )
    cols = (
        "blocks", "oof type %", "oof false open %", "val type %", "held-out type %", "held-out false open %",
        "held-out unseen open %",
    )  # fmt: skip
    for col in cols:
        table.add_column(col, justify="right")

    def pct(value: Any) -> str:
        return "-" if value is None else f"{100 * value:.1f}"

    for r in results["layer_table"]:
        chosen = r["layers"] == results["type_layers"]
        table.add_row(
            ",".join(map(str, r["layers"])) + (" (chosen)" if chosen else ""),
            pct(r["oof_type_right"]),
            pct(r["oof_false_open"]),
            pct(r.get("val_type_right")),
            pct(r.get("heldout_type_right")),
            pct(r.get("heldout_false_open")),
            pct(r.get("heldout_unseen_open")),
            style="bold green" if chosen else "",
        )
    auc = ", ".join(
        f"{r['layer']}: {r['oof_auroc']:.3f}" + (" (chosen)" if r["layer"] == results["ood_layer"] else "")
        for r in results["open_set_table"]
    )
    table.caption = f"open-set test, out-of-family AUROC against other maths per block: {auc}"
    return table
