r"""S11 MATH Geometry: every boxed target passes, a perturbed one fails; equivalence and parsing edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.math_geometry import equivalent, last_boxed
from tests.symbench._shapes import assert_needs_external_data, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("math_geometry")
    for inst, gold in stored_golds(task, symbench_dir):
        rejects(task, inst, f"({gold})+1", "")


@pytest.mark.parametrize(
    ("answer", "target"),
    [
        ("0.25", r"\frac14"),
        ("12650", r"12,\!650"),
        ("66", r"66^\circ"),
        ("250", r"250\text{ inches}"),
        ("8", "K=8"),
        ("3.6", r"\$3.60"),
        ("(18, -18)", "(18,-18)"),
        (r"-4+2\pi", r"2\pi-4"),
        (r"\sqrt{12}", r"2\sqrt{3}"),
        (r"\frac{b x (h-x)}{h}", r"\frac{bx}{h}(h-x)"),
        (r"a^2\pi", r"\pi a^2"),
        (r"\{7,4,5\}", r"\{4,5,7\}"),
        ("72", "072"),
        (r"\dfrac{5}{32}", r"\frac{5}{32}"),
    ],
)
def test_equivalent(answer: str, target: str) -> None:
    assert equivalent(answer, target)


@pytest.mark.parametrize(
    ("answer", "target"),
    [
        ("18", "(18,-18)"),
        ("0.333", r"\frac13"),
        ("362881", r"362,\!880"),
        ("[1,2)", "(1,2)"),
        (r"\text{(B)}", r"\text{(C)}"),
        ("2a", "2b"),
        (r"\{7,4\}", r"\{4,5,7\}"),
        ("2**10**10", "1"),
    ],
)
def test_not_equivalent(answer: str, target: str) -> None:
    assert not equivalent(answer, target)


def test_parse_edge_cases() -> None:
    task = get_task("math_geometry")
    assert task.parse("the answer is 5") is None
    assert task.parse("<<<3>>> so <<< 4 >>>") == "4"
    assert task.parse(r"<<<\boxed{\frac{1}{2}}>>>") == r"\frac{1}{2}"
    assert task.parse(r"so $\boxed{(18, -18)}$.") == "(18, -18)"  # no block: the last \boxed{} of the text
    assert task.parse("<<<'7'>>>") == "7"
    assert last_boxed(r"\boxed{\frac{a}{b}} and \fbox{x^{2}}") == "x^{2}"


def test_generation_needs_external_data() -> None:
    assert_needs_external_data(get_task("math_geometry"))
