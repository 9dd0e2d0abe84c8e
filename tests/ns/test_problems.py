"""Problem types, the seeded generator and the CSV reader (with the shared original data when present)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from nsllm_cli.errors import DataError
from nsllm_cli.ns.problems import (
    PROBLEM_TYPES,
    TRAIN_TYPES,
    dataset_filename,
    find_split_files,
    generate_splits,
    generate_test_per_type,
    make_problem,
    question_text,
    read_csv,
    solve,
    write_csv,
)
from tests.conftest import SHARED

MATH = SHARED / "symbolic-math"


def test_ops_and_texts() -> None:
    assert solve("multiplication", 328, 621) == 688
    assert solve("lcm", 804, 987) == (804 * 987 // 3) % 1000
    assert solve("division", 5, 0) == 0 and solve("modulo", 5, 0) == 0 and solve("square_mod", 5, 0) == 0
    assert solve("bitwise_xor", 977, 277) == 977 ^ 277
    assert solve("multiplication", 328, 621, complexity=3) == 328 * 621 % 10000
    assert question_text("lcm", 804, 987) == "What is the LCM of 804 and 987 mod 1000?"
    assert question_text("square_mod", 364, 130) == "What is 364^2 mod 130?"
    assert question_text("gcd", 3, 2, paraphrase=1) != question_text("gcd", 3, 2)


def test_generator_is_seeded_disjoint_and_holds_out_unseen_types() -> None:
    a = generate_splits(n_train=400, n_val=50, n_test=300, seed=3)
    b = generate_splits(n_train=400, n_val=50, n_test=300, seed=3)
    c = generate_splits(n_train=400, n_val=50, n_test=300, seed=4)
    assert a == b and a != c
    keys = {s: {(p.problem_type, p.x, p.y) for p in ps} for s, ps in a.items()}
    assert len(keys["train"]) == 400 and not keys["train"] & keys["val"] and not keys["train"] & keys["test"]
    assert {p.problem_type for p in a["train"] + a["val"]} <= set(TRAIN_TYPES)
    assert {p.problem_type for p in a["test"]} == set(PROBLEM_TYPES)
    assert all(999 >= p.x > p.y >= 1 for ps in a.values() for p in ps)
    assert all(p.solution == solve(p.problem_type, p.x, p.y) for p in a["test"])
    big = generate_splits(n_train=50, n_val=0, n_test=0, seed=0, complexity=3)
    assert max(p.x for p in big["train"]) > 999


def test_per_type_test_set() -> None:
    probs = generate_test_per_type(5, seed=0)
    assert Counter(p.problem_type for p in probs) == dict.fromkeys(PROBLEM_TYPES, 5)


def test_csv_round_trip_and_names(tmp_path: Path) -> None:
    probs = generate_splits(n_train=30, n_val=0, n_test=0, seed=0)["train"]
    name = dataset_filename(complexity=2, x_gt_y=True, seed=0, n=30, split="train")
    assert name == "symbolic_math_dataset_2_complexity_x_gt_y_seed_0_30_training_samples.csv"
    write_csv(tmp_path / name, probs)
    back = read_csv(tmp_path / name)
    assert [(p.problem_type, p.x, p.y, p.question, p.solution) for p in back] == [
        (p.problem_type, p.x, p.y, p.question, p.solution) for p in probs
    ]
    assert find_split_files(tmp_path) == {"train": tmp_path / name}


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("problem_type,x,question,solution\ngcd,1,q,1\n", "missing column(s) y"),
        ("problem_type,x,y,question,solution\ngcd,4,2,q,2\ngcd,four,2,q,2\n", ":3: x, y and solution must be integers"),
        ("problem_type,x,y,question,solution\npower,4,2,q,16\n", ":2: unknown problem_type 'power'"),
        ("problem_type,x,y,question,solution\ngcd,4,2,q,3\n", ":2: solution 3 is wrong"),
    ],
)
def test_malformed_csv_names_file_and_row(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataError) as info:
        read_csv(path)
    assert needle in str(info.value) and "bad.csv" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nope.csv"):
        read_csv(tmp_path / "nope.csv")


@pytest.mark.skipif(not MATH.is_dir(), reason="../shared/symbolic-math is absent")
def test_shared_original_data() -> None:
    regen = find_split_files(MATH / "regenerated_seed42_x_gt_y")
    train = read_csv(regen["train"])
    assert len(train) == 20000
    assert {p.problem_type for p in train} == set(TRAIN_TYPES)
    assert {p.problem_type for p in read_csv(regen["test"])} == set(PROBLEM_TYPES)
    original = read_csv(find_split_files(MATH)["train"])  # contains the unseen types: reading is fine
    assert len(original) == 10000 and "addition" in {p.problem_type for p in original}
    assert make_problem("gcd", 109, 678).question == "What is the GCD of 109 and 678?"
