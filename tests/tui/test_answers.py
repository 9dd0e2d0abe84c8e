"""Side-by-side answers: bench math grouped by id, SymBench by (task, id), across methods."""

from __future__ import annotations

from nsllm_cli.runs.answers import AnswerGroups, answer_cell, question_key, record_kind
from tests.tui._runs import bench_math_samples, symbench_samples


def test_bench_math_records_group_by_question_id() -> None:
    groups = AnswerGroups()
    changed = groups.add(bench_math_samples())
    assert groups.kind == "bench-math" and groups.methods == ["base", "ns"]
    assert changed == {"0", "1", "2"} == set(groups.rows)
    row = groups.rows["0"]
    assert (row.label, row.question, row.gold) == ("0 addition", "What is 622 plus 406?", "1028")
    assert (row.cells["base"].answer, row.cells["base"].correct) == ("1089", False)
    assert (row.cells["ns"].answer, row.cells["ns"].correct) == ("1028", True)
    assert groups.accuracy() == {"base": (1, 3), "ns": (2, 3)}


def test_symbench_records_group_by_task_and_id() -> None:
    groups = AnswerGroups()
    groups.add(symbench_samples())
    assert groups.kind == "symbench" and groups.methods == ["only-question", "codesteer"]
    assert list(groups.rows) == ["game24/sample_0", "game24/sample_1", "game24/sample_9"]
    row = groups.rows["game24/sample_1"]
    assert row.question == "Use 4 numbers #1 to make 24."
    assert (row.cells["only-question"].answer, row.cells["only-question"].correct) == ("(1+2+3)*4 #1", False)
    assert (row.cells["codesteer"].answer, row.cells["codesteer"].correct) == ("code says 1", True)
    assert row.cells["codesteer"].full.startswith("<<<answer 1>>>")
    failed = groups.rows["game24/sample_9"].cells["codesteer"]
    assert failed.answer.startswith("error: ProviderError") and failed.correct is False


def test_later_record_replaces_and_unplaceable_records_are_counted() -> None:
    groups = AnswerGroups()
    groups.add([{"id": 1, "method": "a", "answer": "x"}, {"method": "a"}, {"id": 2}])
    assert groups.add([{"id": 1, "method": "a", "answer": "y", "correct": True}]) == {"1"}
    assert groups.rows["1"].cells["a"].answer == "y" and groups.skipped == 2
    assert groups.kind == "samples"


def test_helpers_on_odd_records() -> None:
    assert question_key({"task": "t", "id": 0}) == "t/0" and question_key({"method": "m"}) is None
    assert record_kind({"task": "t", "response": ""}) == "symbench"
    assert answer_cell({"output": "\n  42\nmore"}).answer == "42"
    assert answer_cell({"verdict": "yes", "answer": 3}).correct is None


def test_ns_records_say_what_was_read_and_where_a_wrong_answer_failed() -> None:
    base = {"id": 3, "problem_type": "gcd", "question": "gcd(120, 84)?", "gold": 12, "method": "ns"}
    read = {"type": "gcd", "x": 120, "y": 84, "score": 0.97, "gate": True, "result": 12}
    written_wrong = answer_cell({**base, "output": "13", "correct": False, "ns_read": read, "read_right": True})
    assert written_wrong.note == "read gcd(120, 84) p=0.97, wrote 12 · read right, written wrong"
    misread = {**read, "x": 126, "result": 42}
    read_wrong = answer_cell({**base, "output": "42", "correct": False, "ns_read": misread, "read_right": False})
    assert read_wrong.note.endswith("· read wrong") and "gcd(126, 84)" in read_wrong.note
    shut = answer_cell(
        {**base, "output": "7", "correct": False, "ns_read": {**read, "gate": False}, "read_right": False}
    )
    assert shut.note.startswith("gate shut") and shut.note.endswith("· read wrong")
    right = answer_cell({**base, "output": "12", "correct": True, "ns_read": read, "read_right": True})
    assert right.note == "read gcd(120, 84) p=0.97, wrote 12"
    assert answer_cell({**base, "method": "base", "output": "12", "correct": True}).note == ""
