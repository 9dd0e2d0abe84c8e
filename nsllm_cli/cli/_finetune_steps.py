"""`nsllm finetune` on a steps-recipe train run: the writer of the step-wise NS model, on the reader's own reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nsllm_cli.cli._common import err_console, out_console
from nsllm_cli.cli._progress import EventProgress
from nsllm_cli.cli._run import open_run, report_steps


def finetune_steps(
    s: Any,
    train_run: Path,
    *,
    n_train: int,
    steps: int,
    batch_size: int,
    lr: float,
    gate: float,
    write_layer: str,
    oracle: bool,
    checkpoint_every: int,
    resume: Path | None,
    run_dir: Path | None,
) -> None:
    """`finetune` on a steps train run: the writer, on the reader's own reads (see `ns.steps.finetune`)."""
    from nsllm_cli.jsonl import write_json_atomic
    from nsllm_cli.models.resolve import load_model, resolve_model
    from nsllm_cli.ns.activations import model_fingerprint
    from nsllm_cli.ns.steps.finetune import finetune_stepwise
    from nsllm_cli.ns.steps.store import load_reader
    from nsllm_cli.ns.train_run import check_same_model, stepwise_ns, training_keys, writer_items

    reader, vsa, meta = load_reader(train_run / "artifacts" / "reader")
    err = err_console()
    with err.status(f"loading {s.model} ..."):
        lm, tok = load_model(resolve_model(s.model, cache=s.cache_dir), device=s.device, dtype=s.dtype)
    fingerprint = model_fingerprint(lm, tok)
    check_same_model(train_run, meta["model"], fingerprint)
    ns = stepwise_ns(
        reader,
        vsa,
        meta,
        lm=lm,
        tok=tok,
        d_model=fingerprint["d_model"],
        gate=gate,
        write_layer=write_layer,
        oracle=oracle,
    )
    layer = ns.layer
    items = writer_items(n_train, seed=s.seed, complexity=ns.complexity, types=ns.types)
    extra_config = {
        "train_run": str(train_run),
        "method": "ns",
        "recipe": "steps",
        "layer": layer,
        "read_layers": meta["read_layers"],
        "steps": steps,
        "batch_size": batch_size,
        "lr": lr,
        "gate": gate,
        "oracle": oracle,
        "questions": len(items),
    }
    run = open_run(s, "finetune", resume=resume, run_dir=run_dir, extra_config=extra_config)
    write_json_atomic(run.artifacts / "training_keys.json", training_keys(items, meta))
    fields = {"loss": float("nan"), "read_ok": 0.0}
    progress = EventProgress("finetune", "loss {loss:.4f} · read ok {read_ok:.0%}", fields, total=steps)
    reporter, on_event = report_steps(run, s, progress)
    try:
        with run.guard(), progress:
            summary = finetune_stepwise(
                lm,
                tok,
                items,
                ns,
                run.artifacts,
                steps=steps,
                batch_size=batch_size,
                lr=lr,
                seed=s.seed,
                checkpoint_every=checkpoint_every,
                on_event=on_event,
                meta={"model": fingerprint, "train_run": str(train_run)},
            )
    finally:
        reporter.close()
    last = run.metrics()[-1] if run.metrics() else {}
    run.finish({**summary, "final_loss": last.get("loss"), "ns_model": str(run.artifacts / "ns")})
    out_console().print(
        f"trained the NS writer at layer {layer} for {steps} steps ({summary['trainable_parameters']:,} parameters; "
        f"reader at layers {', '.join(map(str, meta['read_layers']))}); last loss {last.get('loss', float('nan')):.4f}"
    )
    out_console().print(f"run: {run.path}   next: nsllm bench math --method base,ns --ns-run {run.path}")
