"""The test questions of `bench math`: a CSV, a split folder's test file, or generated per type, never a question
a trained run saw.

Why a module of its own: two front ends ask the same questions, `nsllm bench math` and the Inspect task
`nsllm/math`, so the choice lives in the engine and both call it.

Example:
    >>> problems = test_problems(None, per_type=2, seed=0, complexity=2, runs=[])
    >>> len(problems)
    20
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nsllm_cli.ns.problems import PROBLEM_TYPES, Problem


def test_problems(
    data: Path | None,
    *,
    per_type: int,
    seed: int,
    complexity: int,
    runs: list[Path],
    slice_: str | None = None,
    wording: str = "paper",
    types: Sequence[str] | None = None,
) -> list[Problem]:
    """Test questions: a CSV, a split folder's test file, or generated per type (in a slice, if asked), disjoint
    from every trained run in `runs`. Generated questions in a `wording` other than the paper's ask every second
    multiplication and lcm without a modulus ("What is 656 times 236?"), as people ask them; the paper's wording
    keeps the paper's questions. `types`: the operations asked (default: the paper's 10 and the operations beyond them
    that an NS run in `runs` trains, `run_types`)."""
    from nsllm_cli.ns.dataset import load_splits
    from nsllm_cli.ns.problems import exact_variants

    types = run_types(runs) if types is None else types
    from nsllm_cli.ns.sampling import slice_problems
    from nsllm_cli.ns.splits import generate_test_per_type

    if data is not None:
        splits = load_splits(
            data, n_train=0, n_val=0, n_test=0, seed=seed, complexity=complexity, single_file_split="test"
        )
        return list(splits.get("test", []))
    exclude: frozenset[tuple[str, int, int]] = frozenset().union(*(training_keys(run) for run in runs))
    if slice_ is not None:
        problems = slice_problems(
            slice_, per_type, seed=seed + 7919, complexity=complexity, types=types, exclude=exclude
        )
    else:
        problems = generate_test_per_type(
            per_type, seed=seed + 7919, complexity=complexity, exclude=exclude, types=types
        )
    return problems if wording == "paper" else exact_variants(problems, complexity=complexity)


test_problems.__test__ = False  # type: ignore[attr-defined]  # a library function, not a pytest test


def run_types(runs: Sequence[Path]) -> tuple[str, ...]:
    """The paper's 10 types, then the operations beyond them (subtraction, power modulo) that an NS run among `runs`
    trains (its manifest's `types`; other runs, and NS runs of the paper's operations, add nothing)."""
    from nsllm_cli.ns.problems import EXTRA_TYPES

    trained: set[str] = set()
    for run in runs:
        path = run / "artifacts" / "ns" / "manifest.json"
        try:
            meta = json.loads(path.read_text(encoding="utf-8")).get("meta", {})
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(meta, dict):
            trained.update(str(t) for t in meta.get("types") or ())
    return PROBLEM_TYPES + tuple(t for t in EXTRA_TYPES if t in trained)


def training_keys(ns_run: Path) -> frozenset[tuple[str, int, int]]:
    """The (type, x, y) a trained run saw: its `training_keys.json` (step-wise runs list every question their
    reader and writer saw), else regenerated from its recorded config."""
    import yaml

    from nsllm_cli.ns.dataset import load_splits

    listed = ns_run / "artifacts" / "training_keys.json"
    if listed.is_file():
        return frozenset((str(t), int(x), int(y)) for t, x, y in json.loads(listed.read_text(encoding="utf-8")))

    config: dict[str, Any] = yaml.safe_load((ns_run / "config.yaml").read_text(encoding="utf-8"))
    ft = config.get("finetune", {})
    data = ft.get("data")
    seed = int(config["settings"]["seed"])
    train = load_splits(
        Path(data) if data else None, n_train=int(ft.get("questions", 0)) or 1, n_val=0, n_test=0, seed=seed
    )["train"]
    return frozenset((p.problem_type, p.x, p.y) for p in train)
