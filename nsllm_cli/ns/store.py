"""A trained NS model on disk, whichever recipe made it: `load_ns` reads the folder a finetune run keeps in
`artifacts/ns`.

The two recipes save their own formats (`ns.paper.store`, `ns.steps.store`); this is the one place that knows both,
so `serve`, `bench`, `chat` and the providers load any NS run without importing a trainer.

Example:
    >>> ns, manifest = load_ns(run / "artifacts" / "ns", gate=0.95)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_ns(folder: Path, **overrides: Any) -> tuple[Any, dict[str, Any]]:
    """Rebuild the NS model saved in `folder`: a `StepwiseNS` (recipe steps) or an `NSIntervention` (paper)."""
    from nsllm_cli.ns.steps.store import is_stepwise, load_stepwise

    if is_stepwise(folder):
        return load_stepwise(folder, **{k: v for k, v in overrides.items() if k == "gate"})
    from nsllm_cli.ns.paper.store import load_paper_ns

    return load_paper_ns(folder, **overrides)
