"""S23 String Insertion: stored answers pass and match the T operation, perturbed ones fail, generation verifies."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.string_insertion import apply_t, matches


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("string_insertion")
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, str), inst.id
        assert task.verify(inst, gold).correct, inst.id
        assert apply_t(inst.data["original_string"]) == inst.data["modified_string"], inst.id
        assert not task.verify(inst, gold + "A").correct
        assert not task.verify(inst, inst.data["original_string"]).correct


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("string_insertion")
    lengths = []
    for complexity in range(1, 6):
        generated = task.generate(4, seed=2, complexity=complexity)
        for inst in generated:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
            assert matches(inst.data["original_string"]) >= complexity
        lengths.append(len(generated[0].data["original_string"]))
    assert lengths == sorted(lengths) and lengths[0] < lengths[-1]
    assert task.generate(2, seed=3, complexity=3)[1].data == task.generate(2, seed=3, complexity=3)[1].data


def test_parse_edge_cases() -> None:
    task = get_task("string_insertion")
    assert task.parse("ABCDA") is None
    assert task.parse("<<<X>>> ... <<< 'abcda' >>>") == "ABCDA"
    assert task.parse('<<<"ABC DE">>>') == "ABCDE"
