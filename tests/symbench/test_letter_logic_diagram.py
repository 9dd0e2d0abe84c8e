"""S24 Letter Logic Diagram: stored solutions pass, broken grids fail, other valid completions pass (the fix)."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.base import Instance
from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.tasks.letter_logic_diagram import LETTERS
from tests.symbench._shapes import assert_reproducible, generated_batches, stored_golds


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task("letter_logic_diagram")
    for inst, gold in stored_golds(task, symbench_dir, list, paper=True):
        r, c = next((r, c) for r in range(7) for c in range(7) if inst.data["grid"][r][c] is None)
        bad = [row[:] for row in gold]
        bad[r][c] = LETTERS[(LETTERS.index(bad[r][c]) + 1) % 7]
        assert not task.verify(inst, bad).correct, inst.id


def test_any_valid_completion_passes() -> None:
    task = get_task("letter_logic_diagram")
    inst = task.generate(1, seed=1, complexity=5)[0]
    relabel = dict(zip(LETTERS, LETTERS[1:] + LETTERS[0], strict=True))
    other = [[relabel[x] for x in row] for row in inst.data["solution"]]
    blank = Instance(
        inst.task, "blank", "", {"grid": [[None] * 7 for _ in range(7)], "solution": inst.data["solution"]}
    )
    assert task.verify(blank, other).correct
    assert not task.verify_paper(blank, other).correct
    assert not task.verify(inst, other).correct  # givens changed


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task("letter_logic_diagram")
    batches = generated_batches(task, range(1, 6), n=3, seed=6)
    assert [sum(x is None for row in batch[0].data["grid"] for x in row) for batch in batches] == [15, 20, 25, 30, 30]
    assert_reproducible(task, n=2, seed=3, complexity=3)


def test_parse_edge_cases() -> None:
    task = get_task("letter_logic_diagram")
    assert task.parse("a,b,c") is None
    row = "a,b,c,d,e,f,g"
    parsed = task.parse(f"<<<x>>>\n<<<\n{row}\n\n" + "\n".join([" A, B ,C,D,E,F,G"] * 6) + "\n>>>")
    assert parsed is not None and len(parsed) == 7 and parsed[1] == list("abcdefg")
    assert task.parse("<<<" + "abcdefg" * 7 + ">>>") == [list("abcdefg")] * 7
