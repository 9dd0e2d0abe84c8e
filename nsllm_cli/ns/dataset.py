"""The dataset CSV (spec §3): writing, reading with per-line checks, the upstream file names, and where a
command's questions come from (a folder of split CSVs, one CSV, or the seeded generator).

Example:
    >>> write_csv(Path("train.csv"), generate_splits(n_train=100, n_val=0, n_test=0, seed=0)["train"])
    >>> read_csv(Path("train.csv"))[0].problem_type in TRAIN_TYPES
    True
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from nsllm_cli.errors import DataError
from nsllm_cli.ns.problems import MODULUS_TYPES, OPS, PROBLEM_TYPES, Problem, question_text, solve
from nsllm_cli.ns.splits import generate_splits

COLUMNS: tuple[str, ...] = ("problem_type", "x", "y", "question", "solution")
SPLIT_WORDS: dict[str, str] = {"train": "training", "val": "validation", "test": "testing"}


def write_csv(path: Path, problems: Iterable[Problem]) -> None:
    """Write the dataset CSV exactly as the upstream files are laid out (LF line ends, no index column)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([p.problem_type, p.x, p.y, p.question, p.solution] for p in problems)


def _parse_row(where: str, rec: dict[str, str | None], *, row: int, complexity: int, check: bool) -> Problem:
    """One CSV record as a Problem; `where` is ``file:line`` for the error message."""
    name = (rec["problem_type"] or "").strip()
    if name not in OPS:
        raise DataError(f"{where}: unknown problem_type {name!r} (known: {', '.join(PROBLEM_TYPES)})")
    values: list[int] = []
    for column in ("x", "y", "solution"):
        raw = rec[column]
        try:
            values.append(int(raw or ""))
        except ValueError:
            raise DataError(f"{where}: {column} must be an integer, got {raw!r}") from None
    x, y, solution = values
    if x < 0 or y < 0:
        raise DataError(f"{where}: operands must be >= 0, got x={x}, y={y}")
    if check:
        expected = solve(name, x, y, complexity=complexity)
        if solution != expected:
            raise DataError(
                f"{where}: solution {solution} is wrong for {name}({x}, {y}): expected {expected} at complexity "
                f"{complexity} (a file made at another complexity or without the mod?)"
            )
    question = (rec["question"] or "").strip() or question_text(name, x, y, complexity=complexity)
    modulus = 10 ** (complexity + 1) if name in MODULUS_TYPES else None
    return Problem(name, x, y, question, solution, row, modulus)


def read_csv(path: Path, *, complexity: int = 2, check_solutions: bool = True) -> list[Problem]:
    """Read and validate a dataset CSV (the upstream files and ours).

    Extra columns are ignored and an empty question gets the original wording. Every check fails with
    the file and 1-based line, so a bad row in a 20 000-row file can be found and fixed.

    Args:
        path: The CSV file.
        complexity: Needed to check multiplication and lcm answers (their "mod 1000").
        check_solutions: Recompute every answer and refuse a row that disagrees.

    Returns:
        The rows in file order, each Problem's `row` its 0-based data-row index.

    Raises:
        DataError: missing or unreadable file, missing columns, a non-integer or negative x/y/solution,
            an unknown problem_type, or a wrong solution.
    """
    try:
        fh = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    problems: list[Problem] = []
    with fh:
        reader = csv.DictReader(fh)
        try:
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(
                    f"{path}:1: missing column(s) {', '.join(missing)} (the header must have {','.join(COLUMNS)})"
                )
            for rec in reader:
                where = f"{path}:{reader.line_num}"
                problems.append(_parse_row(where, rec, row=len(problems), complexity=complexity, check=check_solutions))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise DataError(f"{path}:{reader.line_num}: not a readable CSV ({exc})") from None
    return problems


def dataset_filename(*, complexity: int, x_gt_y: bool, seed: int | None, n: int, split: str) -> str:
    """The upstream naming, so our files sit next to theirs and `find_split_files` finds both.

    ``symbolic_math_dataset_{c}_complexity[_x_gt_y][_seed_{s}]_{N}_{training|validation|testing}_samples.csv``;
    `split` is ``train``/``val``/``test`` or the long word.
    """
    words = {**SPLIT_WORDS, **{w: w for w in SPLIT_WORDS.values()}}
    if split not in words:
        raise ValueError(f"split must be one of {', '.join(words)}, got {split!r}")
    name = f"symbolic_math_dataset_{complexity}_complexity" + ("_x_gt_y" if x_gt_y else "")
    name += f"_seed_{seed}" if seed is not None else ""
    return f"{name}_{n}_{words[split]}_samples.csv"


def find_split_files(folder: Path) -> dict[str, Path]:
    """``{'train'|'val'|'test': path}`` for the split CSVs (named as `dataset_filename` does) in `folder`.

    Raises:
        DataError: the folder is missing, has no split file, or has two files for one split.
    """
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder")
    found: dict[str, Path] = {}
    for split, word in SPLIT_WORDS.items():
        matches = sorted(folder.glob(f"*_{word}_samples.csv"))
        if len(matches) > 1:
            raise DataError(f"{folder}: several {word} files ({', '.join(m.name for m in matches)}); pass one CSV")
        if matches:
            found[split] = matches[0]
    if not found:
        raise DataError(f"{folder}: no *_training/_validation/_testing_samples.csv files")
    return found


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


def gather_items(
    data: Path | None, *, n_train: int, n_val: int, n_test: int, limit: int | None, seed: int, complexity: int
) -> list[tuple[str, Problem]]:
    """``(split, problem)`` pairs for the paper recipe's gather: `load_splits`, at most `limit` per split.

    Raises:
        DataError: nothing to gather (every count 0, or empty files).
    """
    splits = load_splits(data, n_train=n_train, n_val=n_val, n_test=n_test, seed=seed, complexity=complexity)
    items = [(name, p) for name, problems in splits.items() for p in problems[:limit]]
    if not items:
        raise DataError(f"no questions to gather from {data or 'the generator'} (all counts are 0?)")
    return items
