"""S25 String Deletion and Modification: stored answers pass and the rule engine reproduces every stored state."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.string_deletion_and_modification import RULES, run_rules


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("string_deletion_and_modification")
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, str), inst.id
        assert task.verify(inst, gold).correct, inst.id
        states = run_rules(inst.data["initial_string"], inst.data["selected_rules"])
        assert states == inst.data["intermediate_states"], inst.id
        assert not task.verify(inst, gold + "a").correct
        assert not task.verify(inst, inst.data["initial_string"]).correct


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("string_deletion_and_modification")
    lengths = []
    for complexity in range(1, 6):
        generated = task.generate(4, seed=5, complexity=complexity)
        for inst in generated:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
            assert len(inst.data["intermediate_states"]) - 1 >= 2 + complexity
            assert set(inst.data["selected_rules"]) <= set(RULES)
        lengths.append(len(generated[0].data["initial_string"]))
    assert lengths == sorted(lengths) and lengths[0] < lengths[-1]
    assert task.generate(2, seed=3, complexity=3)[1].data == task.generate(2, seed=3, complexity=3)[1].data


def test_parse_edge_cases() -> None:
    task = get_task("string_deletion_and_modification")
    assert task.parse("abc") is None
    assert task.parse('<<<"x">>> then <<<  "bcab"  >>>') == "bcab"
    assert task.parse("<<<'a b'>>>") == "ab"
    assert len(RULES) == 20
