"""S21 Constrained Linear Arrangement: stored gold passes, perturbed fails, generated instances verify."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.constrained_linear_arrangement import CARDS, outcome
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds

TASK = "constrained_linear_arrangement"


def test_rules() -> None:
    assert outcome("elements", "C", "E") == "win" and outcome("elements", "A", "B") == "loss"
    assert outcome("elements", "C", "B") == "draw"  # one-sided rule, as the stored data follow it (sample_1)
    assert outcome("stick_game", "D", "A") == "win" and outcome("stick_game", "A", "C") == "draw"
    assert outcome("animal", "H", "A") == "win" and outcome("animal", "A", "H") == "loss"
    assert outcome("animal", "B", "C") == "win"


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task(TASK)
    for inst, gold in stored_golds(task, symbench_dir, list, paper=True):
        rejects(task, inst, gold[:-1], [*gold[:-1], gold[0]])
        unused = [c for c in CARDS[inst.data["game_type"]] if c not in gold]
        wrong = [
            c
            for c in gold
            if outcome(inst.data["game_type"], inst.data["player_moves"][0], c) != inst.data["results"][0]
        ]
        if wrong:
            rejects(task, inst, [wrong[0], *gold[1:]])
        assert unused or wrong


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task(TASK)
    batches = generated_batches(task, range(1, 4), n=6, seed=1)
    assert_grows([sum(len(i.data["player_moves"]) for i in batch) for batch in batches])
    assert_reproducible(task, n=2, seed=4, complexity=3)


def test_parse_edge_cases() -> None:
    task = get_task(TASK)
    assert task.parse("A,B,C") is None
    assert task.parse("<<<A,B>>> so <<< ['d', 'E' ,\"b\"] >>>") == ["D", "E", "B"]
    assert task.parse("<<<C D A>>>") == ["C", "D", "A"]
