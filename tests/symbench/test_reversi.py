"""S27 Reversi: stored boards pass and match a simulation, perturbed boards fail, generated boards verify."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.reversi import play


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("reversi")
    instances = task.load(symbench_dir)
    assert instances
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, list), inst.id
        assert task.verify(inst, gold).correct, inst.id
        simulated = ",".join(cell for row in play(inst.data["board_size"], inst.data["moves"]) for cell in row)
        assert simulated == inst.data["solution"], inst.id
        bad = list(gold)
        bad[0] = "0" if bad[0] != "0" else "1"
        assert not task.verify(inst, bad).correct, inst.id


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("reversi")
    sizes = []
    for complexity in range(1, 6):
        generated = task.generate(4, seed=7, complexity=complexity)
        for inst in generated:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
            board = play(inst.data["board_size"], inst.data["moves"])
            assert ",".join(c for row in board for c in row) == inst.data["solution"]
        sizes.append((generated[0].data["board_size"], len(generated[0].data["moves"])))
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    assert task.generate(2, seed=3, complexity=4)[1].data == task.generate(2, seed=3, complexity=4)[1].data


def test_parse_edge_cases() -> None:
    task = get_task("reversi")
    assert task.parse("nothing") is None
    assert task.parse("<<<1,1>>> and finally <<< [ '*', '0' ,\n'1', '*' ] >>>") == ["*", "0", "1", "*"]
    assert task.parse("<<<*01*\n*10*>>>") == list("*01**10*")
