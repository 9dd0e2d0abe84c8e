"""U7 Synthesis Decomposition: gold answers pass and match the simulator, perturbed ones fail, generated verify."""

from __future__ import annotations

import re
from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.synthesis_decomposition import ORDER, parse_methods, simulate


def _initial(question: str) -> dict[str, int]:
    line = re.search(r"Initially there are (.*)\.", question)
    assert line
    return {k: int(v) for v, k in re.findall(r"(\d+) units? of crop ([A-Z])", line.group(1))}


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("synthesis_decomposition")
    instances = task.load(symbench_dir)
    assert instances
    paper_fails = []
    for inst in instances:
        gold = task.parse(task.gold_answer(inst))
        assert isinstance(gold, list)
        assert task.verify(inst, gold).correct, inst.id
        if not task.verify_paper(inst, gold).correct:
            paper_fails.append(inst.id)
        steps = simulate(parse_methods(inst.question), _initial(inst.question))
        assert [str(steps[-1][k]) for k in ORDER] == inst.data["solution"]["answer"], inst.id
        bad = list(gold)
        bad[-1] += 1
        assert not task.verify(inst, bad).correct
        assert not task.verify(inst, gold[:-1]).correct
    # the paper rule compares answer[:3] = [A, B, C] where [A, B, X] is asked: only X == 0 can pass
    assert all(len(task.parse(task.gold_answer(i)) or []) == 3 for i in instances if i.id in paper_fails)


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("synthesis_decomposition")
    sizes = []
    for c in range(1, 6):
        batch = task.generate(5, seed=19, complexity=c)
        for inst in batch:
            assert task.verify(inst, task.parse(task.gold_answer(inst))).correct
            steps = simulate(parse_methods(inst.question), _initial(inst.question))
            assert [str(steps[-1][k]) for k in ORDER] == inst.data["solution"]["answer"]
        sizes.append(len(parse_methods(batch[0].question)) + len(batch[0].data["initial_state"]))
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]
    assert task.generate(3, seed=1, complexity=5)[2].data == task.generate(3, seed=1, complexity=5)[2].data


def test_parse_edge_cases() -> None:
    task = get_task("synthesis_decomposition")
    assert task.parse("no block") is None
    assert task.parse("<<<[9]>>> final: <<< [ '1', '0',  3 ] >>>") == [1, 0, 3]
