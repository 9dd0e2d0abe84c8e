"""Where the questions come from: a folder of split CSVs, one CSV, or the seeded generator."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.errors import DataError
from nsllm_cli.ns.problems import Problem, find_split_files, generate_splits, read_csv


def load_splits(
    data: Path | None,
    *,
    n_train: int,
    n_val: int,
    n_test: int,
    seed: int,
    complexity: int = 2,
    single_file_split: str = "train",
) -> dict[str, list[Problem]]:
    """{'train'|'val'|'test': problems}; a single CSV becomes `single_file_split`."""
    if data is None:
        return generate_splits(n_train=n_train, n_val=n_val, n_test=n_test, seed=seed, complexity=complexity)
    if data.is_dir():
        return {name: read_csv(path, complexity=complexity) for name, path in find_split_files(data).items()}
    if data.is_file():
        return {single_file_split: read_csv(data, complexity=complexity)}
    raise DataError(f"data path {data} does not exist")
