"""U1 Letters: stored words verify with their computed positions, perturbed answers fail, generation scales."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.base import Instance
from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.letters import LEVELS
from tests.symbench._shapes import assert_reproducible, generated_batches, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("letters")
    for inst, gold in stored_golds(task, symbench_dir, dict):
        assert len(gold["positions"]) == inst.data["frequency"], inst.id  # folder name agrees with the word
        count, found = gold["count"], gold["positions"]
        rejects(
            task, inst, {"count": count + 1, "positions": found}, {"count": count, "positions": [p + 1 for p in found]}
        )


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("letters")
    batches = generated_batches(task, range(1, max(LEVELS) + 1), n=10, seed=3)
    assert all(i.data["word"].count(i.data["letter"]) == i.data["frequency"] for batch in batches for i in batch)
    lengths = [sum(len(i.data["word"]) for i in batch) for batch in batches]
    assert lengths == sorted(lengths) and len(set(lengths)) == len(lengths)
    assert_reproducible(task, n=3, seed=7, complexity=2)


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
