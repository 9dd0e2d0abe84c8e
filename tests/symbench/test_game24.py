"""S1 Game 24: gold expressions verify exactly (known float-only stored solutions listed), perturbed ones fail."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nsllm_cli.symbench.base import Instance, NeedsExternalData
from nsllm_cli.symbench.registry import get_task

# Stored solutions of the scaling variants that only approximate the target (e.g. 41 + 56/(63*...) - 17 = 24.0000009):
# their generator must have used a tolerance; neither the exact rule nor the original's float `==` accepts them.
KNOWN_BAD = {"24_8/31"} | {f"24_40/{i}" for i in range(7)} | {f"24_60/{i}" for i in range(10)}
KNOWN_BAD |= {f"24_80/{i}" for i in range(17)}


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("game24")
    instances = task.load(symbench_dir)
    assert len([i for i in instances if i.id.startswith("24/")]) > 1000
    bad = set()
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, str)
        if not task.verify(inst, gold).correct:
            bad.add(inst.id)
            continue
        perturbed = re.sub(r"\d+", lambda m: str(int(m.group()) + 1), gold, count=1)
        assert not task.verify(inst, perturbed).correct, inst.id
    assert bad == KNOWN_BAD


def _inst(numbers: list[int], target: int = 24) -> Instance:
    return Instance("game24", "t", "", {"numbers": numbers, "target": target})


def test_exact_evaluation_and_rules() -> None:
    task = get_task("game24")
    inst = _inst([3, 3, 8, 8])
    assert task.verify(inst, task.parse("<<<8/(3-8/3)>>>")).correct  # exact where float eval gives 23.999...
    assert not task.verify_paper(inst, task.parse("<<<8/(3-8/3)>>>")).correct
    assert task.verify(inst, task.parse(r"<<<\frac{8}{3-\frac{8}{3}} = 24>>>")).correct
    assert task.verify(inst, task.parse("<<< 8 ÷ (3 − 8 ÷ 3) >>>")).correct
    assert not task.verify(inst, "8/(3-8/3) = 25").correct
    assert not task.verify(inst, "8*3").correct  # numbers missing
    assert not task.verify(inst, "__import__('os')").correct
    assert not task.verify(inst, "8/(3-3)+8").correct  # division by zero
    assert not task.verify(_inst([1, 1, 4, 6]), "-(1-1-4*6)").correct  # unary minus is not an allowed operation
    assert task.verify(_inst([1, 1, 4, 6]), "(1*1)*(4*6)").correct


def test_parse_edge_cases() -> None:
    task = get_task("game24")
    assert task.parse("no answer here") is None
    assert task.parse("<<<1+1>>> then <<<(4*6) = 24>>>") == "(4*6) = 24"
    assert task.parse("<<<  '4 × 6'  >>>") == "4 * 6"
    assert task.parse("<<<[4*(5+1)]>>>") == "(4*(5+1))"


def test_no_generator() -> None:
    task = get_task("game24")
    assert task.external
    with pytest.raises(NeedsExternalData):
        task.generate(1, seed=0, complexity=1)
