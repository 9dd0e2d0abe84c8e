"""The modulus role: exact multiplication and lcm, a modulus read as a number of its own, and the labels that teach it.

"What is 656 times 236?" is 154816, not 816: the steps recipe computes op(x, y) exactly and then reduces it by the
modulus the question names, if it names one. These tests pin the data side (problems, wordings, labels), the read
side (which number is the modulus) and the symbolic step (what gets written).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from nsllm_cli.errors import ArtifactError
from nsllm_cli.ns.problems import (
    MODULUS_TYPES,
    PROBLEM_TYPES,
    apply,
    exact_variants,
    make_problem,
    result_digits,
    solve,
)
from nsllm_cli.ns.sampling import training_problems
from nsllm_cli.ns.steps.gather import check_roles
from nsllm_cli.ns.steps.numbers import MODULUS_MIN, pick_modulus
from nsllm_cli.ns.steps.read_data import problem_item
from nsllm_cli.ns.steps.spans import ROLES
from nsllm_cli.ns.wordings import phrase
from nsllm_cli.ns.wordings._compose import without_modulus
from nsllm_cli.ns.wordings._registry import TRAIN_FAMILIES, heldout_families

MODULUS_WORDS = re.compile(r"\bmod(ulo)?\b|%|\bremainder\b|\breduc", re.IGNORECASE)


def test_apply_is_exact_then_reduced() -> None:
    assert apply("multiplication", 656, 236) == 154_816
    assert apply("multiplication", 656, 236, 1000) == 816 == solve("multiplication", 656, 236)
    assert apply("multiplication", 656, 236, 7) == 154_816 % 7
    assert apply("lcm", 804, 987) == 264_516
    assert apply("addition", 12, 35) == 47
    with pytest.raises(ValueError, match="positive"):
        apply("multiplication", 3, 4, 0)
    assert result_digits(2) == len(str(999 * 999)) == 6


def test_problems_exact_and_with_their_own_modulus() -> None:
    exact = make_problem("multiplication", 656, 236, exact=True)
    assert (exact.question, exact.solution, exact.modulus) == ("What is 656 times 236?", 154_816, None)
    paper = make_problem("multiplication", 656, 236)
    assert (paper.question, paper.solution, paper.modulus) == ("What is 656 times 236 mod 1000?", 816, 1000)
    seven = make_problem("lcm", 12, 18, modulus=7)
    assert (seven.question, seven.solution, seven.modulus) == ("What is the LCM of 12 and 18 mod 7?", 36 % 7, 7)
    # the other types have no modulus, whatever is asked
    assert make_problem("gcd", 12, 18, exact=True, modulus=7) == make_problem("gcd", 12, 18)


def test_exact_variants_take_every_second_question_per_type() -> None:
    problems = [make_problem(t, 40 + i, 3 + i, row=i) for t in PROBLEM_TYPES for i in range(4)]
    out = exact_variants(problems)
    for t in PROBLEM_TYPES:
        mine = [p for p in out if p.problem_type == t]
        moduli = [p.modulus for p in mine]
        assert moduli == ([1000, None, 1000, None] if t in MODULUS_TYPES else [None] * 4)
        assert all(p.solution == apply(t, p.x, p.y, p.modulus) for p in mine)
        assert [p.row for p in mine] == [0, 1, 2, 3]


def test_mixed_moduli_in_training_problems() -> None:
    problems = training_problems(400, seed=3, types=["multiplication", "lcm", "gcd"], mixed_moduli=True)
    for t in ("multiplication", "lcm"):
        mine = [p for p in problems if p.problem_type == t]
        exact = sum(p.modulus is None for p in mine) / len(mine)
        paper = sum(p.modulus == 1000 for p in mine) / len(mine)
        other = [p.modulus for p in mine if p.modulus not in (None, 1000)]
        assert 0.35 < exact < 0.6 and 0.2 < paper < 0.45 and len(other) > 0.1 * len(mine), t
        assert all(2 <= m < 1000 for m in other)
        assert all(p.solution == apply(t, p.x, p.y, p.modulus) for p in mine)
    assert all(p.modulus is None for p in problems if p.problem_type == "gcd")
    # off by default: the paper's questions, every multiplication mod 1000, drawn as before
    plain = training_problems(50, seed=3, types=["multiplication"])
    assert all(p.modulus == 1000 for p in plain)


@pytest.mark.parametrize(
    ("template", "exact"),
    [
        ("the product of {x} and {y}, modulo {m}", "the product of {x} and {y}"),
        ("{x}*{y}%{m}=?", "{x}*{y}=?"),
        ("{y} * {x} (mod {m})", "{y} * {x}"),
        ("Multiply {x} and {y}; what is the result mod {m}?", "Multiply {x} and {y}; what is the result?"),
        ("Multiply {x} by {y} and give the result modulo {m}.", "Multiply {x} by {y}."),
        ("A train travels {y} km every hour for {x} hours. How far does it go? Answer mod {m}.",
         "A train travels {y} km every hour for {x} hours. How far does it go?"),
        ("A theater has {x} rows with {y} seats per row. Report the seat count reduced modulo {m}.",
         "A theater has {x} rows with {y} seats per row. Report the seat count."),
        ("Report the remainder of {x} times {y} after division by {m}.", None),
    ],
)  # fmt: skip
def test_without_modulus(template: str, exact: str | None) -> None:
    assert without_modulus(template) == exact


def test_every_family_asked_exactly_names_no_modulus() -> None:
    families = [*TRAIN_FAMILIES.values(), *heldout_families().values()]
    for family in families:
        if family.problem_type not in MODULUS_TYPES:
            continue
        exact = without_modulus(family.template)
        if exact is not None:
            assert "{x}" in exact and "{y}" in exact and not MODULUS_WORDS.search(exact), family.id
    usable = [f for f in families if f.problem_type in MODULUS_TYPES and without_modulus(f.template) is not None]
    assert len(usable) > 0.9 * sum(f.problem_type in MODULUS_TYPES for f in families)


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_modulus_labels_in_wordings_and_paper_items(split: str) -> None:
    rng = np.random.default_rng(5)
    for modulus in (None, 1000, 37):
        for _ in range(60):
            p = make_problem("multiplication", 412, 23, exact=modulus is None, modulus=modulus)
            w = phrase(p, rng, split=split)
            labelled = [w.text[a:b] for a, b, role in w.spans if role == "m"]
            assert labelled == ([str(modulus)] if modulus else []), w.text
    item = problem_item(make_problem("lcm", 12, 18, modulus=37), "chat", None, seed=0)
    assert [(item.question[a:b], role) for a, b, role in item.spans] == [("12", "x"), ("18", "y"), ("37", "m")]
    assert item.modulus == 37 and item.solution == 36
    square = problem_item(make_problem("square_mod", 12, 18), "chat", None, seed=0)
    assert [role for _, _, role in square.spans] == ["x", "other", "y"]  # the 2 of ^2 is no modulus


def test_pick_modulus() -> None:
    m = ROLES.index("m")

    def probs(*rows: dict[int, float]) -> torch.Tensor:
        out = torch.zeros((len(rows), len(ROLES)))
        for i, row in enumerate(rows):
            for k, v in row.items():
                out[i, k] = v
        return out

    role_p = probs({0: 0.9}, {1: 0.9}, {m: 0.8, 2: 0.2}, {m: 0.6})
    assert pick_modulus(role_p, [656, 236, 1000, 7], (0, 1)) == 1000  # the most likely of the others
    assert pick_modulus(role_p, [656, 236, 1000, 7], (2, 1)) == 7  # an operand is never the modulus
    weak = probs({0: 0.9}, {1: 0.9}, {m: MODULUS_MIN - 0.01, 2: 0.51})
    assert pick_modulus(weak, [656, 236, 2024], (0, 1)) is None
    assert pick_modulus(probs({0: 1.0}, {1: 1.0}), [3, 4], (0, 1)) is None


def test_train_refuses_a_gather_labelled_before_the_modulus_role(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ArtifactError, match="before the modulus role"):
        check_roles({"config": {"ops": ["gcd"]}}, tmp_path)
    check_roles({"config": {"roles": list(ROLES)}}, tmp_path)


def test_a_read_modulus_is_shown_with_the_operation() -> None:
    from nsllm_cli.ns.bench_report import operation_text, read_error_kind

    assert operation_text({"type": "lcm", "x": 12, "y": 18, "m": 7}) == "lcm(12, 18) mod 7"
    assert operation_text({"type": "gcd", "x": 12, "y": 18, "m": None}) == "gcd(12, 18)"
    read = {"type": "multiplication", "x": 236, "y": 656, "m": None, "gate": True}
    record = {"problem_type": "multiplication", "x": 656, "y": 236, "modulus": 1000, "ns_read": read}
    assert read_error_kind(record) == "wrong modulus"  # "mod 1000" missed: the whole product was written
    assert read_error_kind({**record, "ns_read": {**read, "x": 5}}) == "wrong operands"
