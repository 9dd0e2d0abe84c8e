"""S21 Constrained Linear Arrangement: stored gold passes, perturbed fails, generated instances verify."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.constrained_linear_arrangement import CARDS, outcome

TASK = "constrained_linear_arrangement"


def test_rules() -> None:
    assert outcome("elements", "C", "E") == "win" and outcome("elements", "A", "B") == "loss"
    assert outcome("elements", "C", "B") == "draw"  # one-sided rule, as the stored data follow it (sample_1)
    assert outcome("stick_game", "D", "A") == "win" and outcome("stick_game", "A", "C") == "draw"
    assert outcome("animal", "H", "A") == "win" and outcome("animal", "A", "H") == "loss"
    assert outcome("animal", "B", "C") == "win"


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task(TASK)
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, list)
        assert task.verify(inst, gold).correct, (inst.id, task.verify(inst, gold).reason)
        assert task.verify_paper(inst, gold).correct
        assert not task.verify(inst, gold[:-1]).correct
        assert not task.verify(inst, [*gold[:-1], gold[0]]).correct
        unused = [c for c in CARDS[inst.data["game_type"]] if c not in gold]
        wrong = [
            c
            for c in gold
            if outcome(inst.data["game_type"], inst.data["player_moves"][0], c) != inst.data["results"][0]
        ]
        if wrong:
            assert not task.verify(inst, [wrong[0], *gold[1:]]).correct
        assert unused or wrong


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task(TASK)
    sizes = []
    for c in range(1, 4):
        insts = task.generate(6, seed=1, complexity=c)
        for inst in insts:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
        sizes.append(sum(len(i.data["player_moves"]) for i in insts))
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    assert task.generate(2, seed=4, complexity=3)[1].to_dict() == task.generate(2, seed=4, complexity=3)[1].to_dict()


def test_parse_edge_cases() -> None:
    task = get_task(TASK)
    assert task.parse("A,B,C") is None
    assert task.parse("<<<A,B>>> so <<< ['d', 'E' ,\"b\"] >>>") == ["D", "E", "B"]
    assert task.parse("<<<C D A>>>") == ["C", "D", "A"]
