"""U1 Letters: stored words verify with their computed positions, perturbed answers fail, generation scales."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.base import Instance
from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.letters import LEVELS


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("letters")
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, dict)
        assert task.verify(inst, gold).correct, inst.id
        assert len(gold["positions"]) == inst.data["frequency"], inst.id  # folder name agrees with the word
        assert not task.verify(inst, {"count": gold["count"] + 1, "positions": gold["positions"]}).correct
        shifted = [p + 1 for p in gold["positions"]]
        assert not task.verify(inst, {"count": gold["count"], "positions": shifted}).correct


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("letters")
    lengths = []
    for complexity in range(1, max(LEVELS) + 1):
        insts = task.generate(10, seed=3, complexity=complexity)
        for inst in insts:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
            assert inst.data["word"].count(inst.data["letter"]) == inst.data["frequency"]
        lengths.append(sum(len(i.data["word"]) for i in insts))
    assert lengths == sorted(lengths) and len(set(lengths)) == len(lengths)
    assert task.generate(3, seed=7, complexity=2)[1].data == task.generate(3, seed=7, complexity=2)[1].data


def test_parse_edge_cases_and_fixes() -> None:
    task = get_task("letters")
    inst = Instance("letters", "x", "q", {"word": "banana", "letter": "a"})
    assert task.parse("Count: 3, Positions: [2, 4, 6]") is None
    assert task.parse("<<<Count: 1, Positions: [1]>>> <<<Count: 3, Positions: [2, 4, 6]>>>") == {
        "count": 3,
        "positions": [2, 4, 6],
    }
    assert task.verify(inst, task.parse("<<< count:3 , positions : ( 6,4,2 ) >>>")).correct
    assert task.verify(inst, task.parse("<<<[2, 4, 6]>>>")).correct
    assert not task.verify(inst, task.parse("<<<Count: 3, Positions: [2, 4, 4, 6]>>>")).correct
    assert not task.verify(inst, task.parse("<<<3>>>")).correct
    none = Instance("letters", "y", "q", {"word": "kiwi", "letter": "z"})
    assert task.verify(none, task.parse("<<<Count: 0, Positions: []>>>")).correct  # the fix: [] accepted
    assert not task.verify_paper(none, task.parse("<<<Count: 0, Positions: []>>>")).correct
