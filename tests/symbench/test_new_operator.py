"""S14 New Operator: stored gold passes except the known-bad items, perturbed fails, generation verifies."""

from __future__ import annotations

import math
from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.new_operator import evaluate
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, stored_golds_with_errata

TASK = "new_operator"


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task(TASK)
    good, bad = stored_golds_with_errata(task, symbench_dir, float, paper=True)
    for inst, gold in good + bad:
        value = float(evaluate(inst.data["expression"], inst.data["operator_definitions"]))
        assert task.verify(inst, task.parse(f"<<<{value}>>>")).correct
        assert not task.verify(inst, value * 1.01 + 1).correct
        assert not task.verify_paper(inst, gold + 1e-9 * max(1.0, abs(gold))).correct
    # the excused ones: complexity-5 items whose stored solution matches no reading of the expression (the original
    # generator stored either the last operation alone, e.g. sample_0: 90 = 5@6 for "(3~4)&5@6", or the first two
    # steps without the last)
    assert bad
    for inst, gold in bad:
        assert inst.complexity == 5, inst.id
        defs = inst.data["operator_definitions"]
        readings = {float(evaluate(inst.data["expression"], defs, right_to_left=r)) for r in (False, True)}
        assert not any(math.isclose(gold, v, rel_tol=1e-6) for v in readings), (inst.id, gold, readings)
    assert "<<<number>>>" in task.prompt(good[0][0])


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task(TASK)
    batches = generated_batches(task, range(1, 7), n=5, seed=2)
    assert_grows([sum(inst.data["expression"].count("(") for inst in batch) for batch in batches])
    assert_reproducible(task, n=2, seed=7, complexity=4)


def test_parse_edge_cases() -> None:
    task = get_task(TASK)
    assert task.parse("90") is None
    assert task.parse("<<<1>>> and finally <<< 90.0 >>>") == 90.0
    assert task.parse("<<<'9/7'>>>") == 9 / 7
    assert task.parse("<<<[1,234.5]>>>") == 1234.5
    assert task.parse("<<<none>>>") is None
