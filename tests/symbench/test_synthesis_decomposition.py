"""U7 Synthesis Decomposition: gold answers pass and match the simulator, perturbed ones fail, generated verify."""

from __future__ import annotations

import re
from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.synthesis_decomposition import ORDER, parse_methods, simulate
from tests.symbench._shapes import assert_grows, assert_reproducible, generated_batches, rejects, stored_golds


def _initial(question: str) -> dict[str, int]:
    line = re.search(r"Initially there are (.*)\.", question)
    assert line
    return {k: int(v) for v, k in re.findall(r"(\d+) units? of crop ([A-Z])", line.group(1))}


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("synthesis_decomposition")
    golds = stored_golds(task, symbench_dir, list)
    for inst, gold in golds:
        steps = simulate(parse_methods(inst.question), _initial(inst.question))
        assert [str(steps[-1][k]) for k in ORDER] == inst.data["solution"]["answer"], inst.id
        rejects(task, inst, [*gold[:-1], gold[-1] + 1], gold[:-1])
    # the paper rule compares answer[:3] = [A, B, C] where [A, B, X] is asked: only X == 0 can pass
    assert all(len(gold) == 3 for inst, gold in golds if not task.verify_paper(inst, gold).correct)


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("synthesis_decomposition")
    batches = generated_batches(task, range(1, 6), n=5, seed=19)
    for inst in (inst for batch in batches for inst in batch):
        steps = simulate(parse_methods(inst.question), _initial(inst.question))
        assert [str(steps[-1][k]) for k in ORDER] == inst.data["solution"]["answer"]
    assert_grows([len(parse_methods(batch[0].question)) + len(batch[0].data["initial_state"]) for batch in batches])
    assert_reproducible(task, n=3, seed=1, complexity=5)


def test_parse_edge_cases() -> None:
    task = get_task("synthesis_decomposition")
    assert task.parse("no block") is None
    assert task.parse("<<<[9]>>> final: <<< [ '1', '0',  3 ] >>>") == [1, 0, 3]
