"""S14 New Operator: stored gold passes except the known-bad items, perturbed fails, generation verifies."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.new_operator import evaluate

TASK = "new_operator"
# Complexity-5 items whose stored solution matches no reading of the expression: the original generator stored
# either the last operation alone (sample_0: 90 = 5@6 for "(3~4)&5@6") or the first two steps without the last.
KNOWN_BAD = {f"sample_{k}" for k in range(0, 200, 2)} - {"sample_68"}


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task(TASK)
    instances = task.load(symbench_dir)
    assert instances
    bad = set()
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, float)
        assert task.verify_paper(inst, gold).correct
        if not task.verify(inst, gold).correct:
            bad.add(inst.id)
        value = float(evaluate(inst.data["expression"], inst.data["operator_definitions"]))
        assert task.verify(inst, task.parse(f"<<<{value}>>>")).correct
        assert not task.verify(inst, value * 1.01 + 1).correct
        assert not task.verify_paper(inst, gold + 1e-9 * max(1.0, abs(gold))).correct
    present = {i.id for i in instances}
    assert bad == KNOWN_BAD & present
    assert "<<<number>>>" in task.prompt(instances[0])


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task(TASK)
    sizes = []
    for c in range(1, 7):
        insts = task.generate(5, seed=2, complexity=c)
        for inst in insts:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct, inst.data
        sizes.append(sum(inst.data["expression"].count("(") for inst in insts))
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    assert task.generate(2, seed=7, complexity=4)[1].to_dict() == task.generate(2, seed=7, complexity=4)[1].to_dict()


def test_parse_edge_cases() -> None:
    task = get_task(TASK)
    assert task.parse("90") is None
    assert task.parse("<<<1>>> and finally <<< 90.0 >>>") == 90.0
    assert task.parse("<<<'9/7'>>>") == 9 / 7
    assert task.parse("<<<[1,234.5]>>>") == 1234.5
    assert task.parse("<<<none>>>") is None
