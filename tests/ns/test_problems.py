"""Problem types, the seeded generator and the CSV reader (with the shared original data when present)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from nsllm_cli.errors import ConfigError, DataError
from nsllm_cli.ns.dataset import dataset_filename, find_split_files, read_csv, write_csv
from nsllm_cli.ns.problems import (
    ALL_TYPES,
    OPS,
    PROBLEM_TYPES,
    TEMPLATES,
    TRAIN_TYPES,
    UNSEEN_TYPES,
    Problem,
    make_problem,
    question_text,
    solve,
)
from nsllm_cli.ns.splits import generate_splits, generate_test_per_type
from tests.conftest import SHARED

MATH = SHARED / "symbolic-math"
REGEN = MATH / "regenerated_seed42_x_gt_y"
HEADER = "problem_type,x,y,question,solution\n"


def keys(problems: list[Problem]) -> set[tuple[str, int, int]]:
    return {p.key for p in problems}


def test_type_lists() -> None:
    assert len(PROBLEM_TYPES) == 10 and set(OPS) == set(ALL_TYPES) == set(TEMPLATES)
    assert ALL_TYPES == (*PROBLEM_TYPES, "subtraction", "power_mod")  # the paper's 10 keep their indices
    assert UNSEEN_TYPES == ("addition", "division")
    assert TRAIN_TYPES == tuple(t for t in PROBLEM_TYPES if t not in UNSEEN_TYPES) and len(TRAIN_TYPES) == 8
    assert make_problem("gcd", 4, 2).type_index == 4


def test_ops_and_division_by_zero() -> None:
    assert [OPS[t](12, 5) for t in PROBLEM_TYPES] == [17, 60, 2, 2, 1, 60, 4, 4, 9, 13]
    assert OPS["division"](5, 0) == OPS["modulo"](5, 0) == OPS["square_mod"](5, 0) == 0
    assert solve("division", 5, 0) == solve("modulo", 5, 0) == solve("square_mod", 5, 0) == 0
    with pytest.raises(ValueError, match="unknown problem type 'power'"):
        solve("power", 2, 3)
    assert solve("subtraction", 5, 12) == -7 and solve("power_mod", 3, 200) == pow(3, 200, 1000)


@pytest.mark.parametrize(
    ("problem_type", "x", "y", "solution"),
    [  # rows of the original CSVs
        ("lcm", 804, 987, 516),
        ("gcd", 109, 678, 1),
        ("multiplication", 515, 424, 360),
        ("multiplication", 328, 621, 688),
        ("addition", 65, 938, 1003),  # addition is never reduced: 4 digits
        ("addition", 711, 943, 1654),
        ("modulo", 794, 364, 66),
        ("square_mod", 654, 51, 30),
        ("bitwise_xor", 697, 448, 889),
        ("bitwise_and", 807, 746, 546),
    ],
)
def test_solve_matches_the_original_rows(problem_type: str, x: int, y: int, solution: int) -> None:
    assert solve(problem_type, x, y) == solution


def test_mod_limit_follows_complexity() -> None:
    assert solve("multiplication", 328, 621, complexity=3) == 328 * 621 % 10_000
    assert solve("multiplication", 328, 621, limit_solution_digits=False) == 328 * 621
    assert solve("lcm", 804, 987, limit_solution_digits=False) == 264_516
    assert solve("addition", 999, 999, complexity=1) == 1998


@pytest.mark.parametrize(
    ("problem_type", "text"),
    [
        ("addition", "What is 12 plus 5?"),
        ("multiplication", "What is 12 times 5 mod 1000?"),
        ("division", "What is 12 // 5?"),
        ("modulo", "What is 12 mod 5?"),
        ("gcd", "What is the GCD of 12 and 5?"),
        ("lcm", "What is the LCM of 12 and 5 mod 1000?"),
        ("square_mod", "What is 12^2 mod 5?"),
        ("bitwise_and", "What is 12 AND 5?"),
        ("bitwise_xor", "What is 12 XOR 5?"),
        ("bitwise_or", "What is 12 OR 5?"),
    ],
)
def test_question_texts_are_the_original_wording(problem_type: str, text: str) -> None:
    assert question_text(problem_type, 12, 5) == text == question_text(problem_type, 12, 5, paraphrase=0)


def test_question_mod_and_paraphrases() -> None:
    assert question_text("lcm", 1, 2, complexity=3) == "What is the LCM of 1 and 2 mod 10000?"
    for t, templates in TEMPLATES.items():
        assert 3 <= len(templates) <= 4
        texts = {question_text(t, 12, 5, paraphrase=i) for i in range(len(templates))}
        assert len(texts) == len(templates) and all("12" in q and "5" in q for q in texts)
    with pytest.raises(ValueError, match="paraphrases 0..2"):
        question_text("gcd", 1, 2, paraphrase=3)


def test_generator_is_deterministic_per_seed() -> None:
    a = generate_splits(n_train=300, n_val=30, n_test=200, seed=3)
    assert a == generate_splits(n_train=300, n_val=30, n_test=200, seed=3)
    assert keys(a["train"]) != keys(generate_splits(n_train=300, n_val=30, n_test=200, seed=4)["train"])
    assert [p.row for p in a["val"]] == list(range(30))


def test_generator_splits_are_disjoint_and_hold_out_unseen_types() -> None:
    a = generate_splits(n_train=400, n_val=50, n_test=300, seed=3)
    assert [len(a[s]) for s in ("train", "val", "test")] == [400, 50, 300]
    k = {s: keys(ps) for s, ps in a.items()}
    assert [len(k[s]) for s in ("train", "val", "test")] == [400, 50, 300]  # de-duplicated
    assert not k["train"] & k["val"] and not k["train"] & k["test"] and not k["val"] & k["test"]
    assert {p.problem_type for p in a["train"] + a["val"]} <= set(TRAIN_TYPES)
    assert {p.problem_type for p in a["test"]} == set(PROBLEM_TYPES)
    assert all(999 >= p.x > p.y >= 1 for ps in a.values() for p in ps)
    assert all(
        p.solution == solve(p.problem_type, p.x, p.y) and p.question == question_text(p.problem_type, p.x, p.y)
        for ps in a.values()
        for p in ps
    )


def test_train_does_not_depend_on_the_other_split_sizes() -> None:
    """gather, finetune and bench regenerate the same training questions from the seed alone."""
    big = generate_splits(n_train=200, n_val=20, n_test=100, seed=5)["train"]
    small = generate_splits(n_train=50, n_val=0, n_test=0, seed=5)["train"]
    assert keys(small) == keys(big[:50])


@pytest.mark.parametrize("complexity", [0, 1, 3])
def test_operand_ranges_follow_complexity(complexity: int) -> None:
    high = 10 ** (complexity + 1)
    splits = generate_splits(n_train=60, n_val=5, n_test=40, seed=0, complexity=complexity)
    problems = [p for ps in splits.values() for p in ps]
    assert all(high > p.x > p.y >= 1 for p in problems)
    assert max(p.x for p in problems) >= high // 2
    mod = [p for p in problems if p.problem_type in ("multiplication", "lcm")]
    assert all(0 <= p.solution < high and f"mod {high}?" in p.question for p in mod)


def test_unordered_pairs_and_paraphrases() -> None:
    plain = generate_splits(n_train=300, n_val=0, n_test=300, seed=1, x_gt_y=False, pool=5000)
    problems = plain["train"] + plain["test"]
    assert any(p.x < p.y for p in problems)
    assert all(p.x > p.y for p in problems if p.problem_type in ("division", "modulo", "square_mod"))
    worded = generate_splits(n_train=300, n_val=0, n_test=300, seed=1, x_gt_y=False, pool=5000, paraphrase=True)
    assert [p.key for p in worded["train"]] == [p.key for p in plain["train"]]  # same questions, other words
    assert sum(a.question != b.question for a, b in zip(worded["test"], plain["test"], strict=True)) > 100


def test_generator_refuses_impossible_requests() -> None:
    with pytest.raises(DataError, match="larger pool"):
        generate_splits(n_train=90, n_val=0, n_test=0, seed=0, pool=100)
    with pytest.raises(DataError, match="pool must be"):
        generate_splits(n_train=1, n_val=0, n_test=0, seed=0, complexity=0, pool=10_000)
    with pytest.raises(ConfigError):
        generate_splits(n_train=1, n_val=0, n_test=0, seed=-1)
    with pytest.raises(ConfigError, match="complexity"):
        generate_splits(n_train=1, n_val=0, n_test=0, complexity=9)


def test_per_type_test_set() -> None:
    probs = generate_test_per_type(5, seed=0)
    assert Counter(p.problem_type for p in probs) == dict.fromkeys(PROBLEM_TYPES, 5)
    assert probs == generate_test_per_type(5, seed=0) and len(keys(probs)) == 50
    assert all(p.x > p.y and p.row == i for i, p in enumerate(probs))
    excluded = {probs[0].key, ("gcd", probs[40].y, probs[40].x)}  # gcd pairs count in either order
    again = generate_test_per_type(5, seed=0, types=(probs[0].problem_type, "gcd"), exclude=excluded)
    assert probs[0].key not in keys(again) and probs[40].key not in keys(again) and len(again) == 10


def test_csv_round_trip_and_names(tmp_path: Path) -> None:
    probs = generate_splits(n_train=30, n_val=0, n_test=0, seed=0)["train"]
    name = dataset_filename(complexity=2, x_gt_y=True, seed=0, n=30, split="train")
    assert name == "symbolic_math_dataset_2_complexity_x_gt_y_seed_0_30_training_samples.csv"
    write_csv(tmp_path / name, probs)
    assert (tmp_path / name).read_text().startswith(HEADER)
    assert read_csv(tmp_path / name) == probs
    assert find_split_files(tmp_path) == {"train": tmp_path / name}
    assert dataset_filename(complexity=2, x_gt_y=False, seed=None, n=100, split="validation") == (
        "symbolic_math_dataset_2_complexity_100_validation_samples.csv"
    )


def test_find_split_files_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such folder"):
        find_split_files(tmp_path / "nope")
    with pytest.raises(DataError, match="no \\*_training"):
        find_split_files(tmp_path)
    for n in (10, 20):
        (tmp_path / dataset_filename(complexity=2, x_gt_y=True, seed=0, n=n, split="test")).write_text(HEADER)
    with pytest.raises(DataError, match="several testing files"):
        find_split_files(tmp_path)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("problem_type,x,question,solution\ngcd,1,q,1\n", "bad.csv:1: missing column(s) y"),
        (HEADER + "gcd,4,2,q,2\ngcd,four,2,q,2\n", "bad.csv:3: x must be an integer, got 'four'"),
        (HEADER + "gcd,4,2,q,2\ngcd,4,2.5,q,2\n", "bad.csv:3: y must be an integer, got '2.5'"),
        (HEADER + "gcd,4,2,q,\n", "bad.csv:2: solution must be an integer, got ''"),
        (HEADER + "gcd,4,2,q,2\ngcd,4,2,q,2\npower,4,2,q,16\n", "bad.csv:4: unknown problem_type 'power'"),
        (HEADER + "gcd,4,2,q,3\n", "bad.csv:2: solution 3 is wrong for gcd(4, 2): expected 2"),
        (HEADER + "gcd,-4,2,q,2\n", "bad.csv:2: operands must be >= 0"),
    ],
)
def test_malformed_csv_names_file_and_row(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataError) as info:
        read_csv(path)
    assert needle in str(info.value) and str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nope.csv: no such file"):
        read_csv(tmp_path / "nope.csv")


def test_unchecked_solutions_and_empty_questions(tmp_path: Path) -> None:
    path = tmp_path / "free.csv"
    path.write_text(HEADER + "gcd,4,2,,3\n")
    (problem,) = read_csv(path, check_solutions=False)
    assert problem == Problem("gcd", 4, 2, "What is the GCD of 4 and 2?", 3, 0)


@pytest.mark.skipif(not MATH.is_dir(), reason="../shared/symbolic-math is absent")
def test_shared_regenerated_split() -> None:
    files = find_split_files(REGEN)
    splits = {name: read_csv(path) for name, path in files.items()}
    assert {name: len(ps) for name, ps in splits.items()} == {"train": 20000, "val": 200, "test": 2000}
    assert {p.problem_type for p in splits["train"]} == {p.problem_type for p in splits["val"]} == set(TRAIN_TYPES)
    assert {p.problem_type for p in splits["test"]} == set(PROBLEM_TYPES)
    assert all(p.x > p.y for ps in splits.values() for p in ps)
    assert not keys(splits["train"]) & keys(splits["test"])


@pytest.mark.skipif(not MATH.is_dir(), reason="../shared/symbolic-math is absent")
def test_seed_42_rebuilds_the_shared_split_byte_for_byte(tmp_path: Path) -> None:
    splits = generate_splits(n_train=20000, n_val=200, n_test=2000, seed=42)
    for split, problems in splits.items():
        name = dataset_filename(complexity=2, x_gt_y=True, seed=42, n=len(problems), split=split)
        write_csv(tmp_path / name, problems)
        assert (tmp_path / name).read_bytes() == (REGEN / name).read_bytes(), name


@pytest.mark.skipif(not MATH.is_dir(), reason="../shared/symbolic-math is absent")
def test_shared_original_files() -> None:
    """The upstream files: all 10 types in every split, commutative pairs unordered, all answers right."""
    files = find_split_files(MATH)
    splits = {name: read_csv(path) for name, path in files.items()}  # read_csv checks every solution
    assert {name: len(ps) for name, ps in splits.items()} == {"train": 10000, "val": 100, "test": 1000}
    assert all({p.problem_type for p in ps} == set(PROBLEM_TYPES) for ps in splits.values())
    train = splits["train"]
    assert any(p.x < p.y for p in train) and all(p.x > p.y for p in train if p.problem_type in ("division", "modulo"))
    assert all(p.question == question_text(p.problem_type, p.x, p.y) for p in train)
    assert train[1] == make_problem("gcd", 109, 678, row=1)
