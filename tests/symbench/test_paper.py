"""The paper's Table 1 ships with nsllm and its normalised score reproduces every published average."""

from __future__ import annotations

import pytest

from nsllm_cli.symbench.registry import all_tasks
from nsllm_cli.symbench_run.paper import ave_norm, compare, paper_table, skipped_zero_tasks


def test_all_39_published_averages_are_reproduced() -> None:
    table = paper_table()
    assert len(table.methods) == 13 and len(table.codes("seen")) == 28 and len(table.codes("unseen")) == 9
    checked = 0
    for group in ("seen", "unseen", "total"):
        got = ave_norm(table.scores, table.codes(None if group == "total" else group))
        for method, published in table.published[group].items():
            assert got[method] == pytest.approx(published, abs=0.05 + 1e-9), (group, method)
            checked += 1
    assert checked == 39


def test_every_task_has_a_paper_row() -> None:
    table = paper_table()
    tasks = all_tasks().values()
    assert {t.code for t in tasks} == set(table.codes())
    assert all((table.split[t.code] == "seen") == t.seen for t in tasks)


def test_adding_a_method_changes_everyones_score_and_names_do_not_clash() -> None:
    table = paper_table()
    base = compare({})["total"]["GPT-4o + CodeSteer"]
    assert base is not None and base == pytest.approx(86.4, abs=0.05)
    perfect = {"mine": dict.fromkeys(table.codes(), 100.0)}
    shifted = compare(perfect)
    assert shifted["total"]["mine"] == 100.0
    assert (shifted["total"]["GPT-4o + CodeSteer"] or 0.0) < base
    clash = compare({"o1": {"S1": 50.0}}, ["S1"])  # a run method named like a paper method is kept apart
    assert clash["total"]["o1 (this run)"] == pytest.approx(100 * 50 / 93)
    assert clash["total"]["o1"] == pytest.approx(100 * 80 / 93)


def test_a_task_nobody_solves_is_skipped_and_reported() -> None:
    scores = {"a": {"x": 0.0, "y": 50.0}, "b": {"x": 0.0, "y": 25.0}}
    assert ave_norm(scores, ["x", "y"]) == {"a": 100.0, "b": 50.0}
    assert skipped_zero_tasks(scores, ["x", "y"]) == ["x"]
    assert ave_norm(scores, ["x"]) == {"a": None, "b": None}
