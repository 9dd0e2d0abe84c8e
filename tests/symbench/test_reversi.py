"""S27 Reversi: stored boards pass and match a simulation, perturbed boards fail, generated boards verify."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.reversi import play
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("reversi")
    for inst, gold in stored_golds(task, symbench_dir, list):
        simulated = ",".join(cell for row in play(inst.data["board_size"], inst.data["moves"]) for cell in row)
        assert simulated == inst.data["solution"], inst.id
        rejects(task, inst, ["0" if gold[0] != "0" else "1", *gold[1:]])


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("reversi")
    batches = generated_batches(task, range(1, 6), n=4, seed=7)
    for inst in (inst for batch in batches for inst in batch):
        board = play(inst.data["board_size"], inst.data["moves"])
        assert ",".join(c for row in board for c in row) == inst.data["solution"]
    assert_grows([(batch[0].data["board_size"], len(batch[0].data["moves"])) for batch in batches])
    assert_reproducible(task, n=2, seed=3, complexity=4)


def test_parse_edge_cases() -> None:
    task = get_task("reversi")
    assert task.parse("nothing") is None
    assert task.parse("<<<1,1>>> and finally <<< [ '*', '0' ,\n'1', '*' ] >>>") == ["*", "0", "1", "*"]
    assert task.parse("<<<*01*\n*10*>>>") == list("*01**10*")
