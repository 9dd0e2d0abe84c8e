"""A malformed sample never aborts loading: it becomes an instance with `error` set, which `bench validate` counts as
a failure (naming the file) without ever passing it to the validator; a missing folder stays a one-line error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Verdict, load_each
from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.validate import validate_task

runner = CliRunner()


def _copy_three(src: Path, dst: Path) -> list[Path]:
    """The first three sample folders of `src` (sorted by name) copied into `dst`."""
    copied = []
    for sample in sorted(p for p in src.iterdir() if p.is_dir())[:3]:
        shutil.copytree(sample, dst / sample.name)
        copied.append(dst / sample.name)
    assert len(copied) == 3
    return copied


def _check_one_broken(instances: list[Instance], bad_file: Path, bad_id: str) -> None:
    assert len(instances) == 3
    broken = [i for i in instances if i.error is not None]
    assert [i.id for i in broken] == [bad_id]
    assert str(bad_file) in str(broken[0].error) and "\n" not in str(broken[0].error)
    assert broken[0].data == {} and broken[0].question == "" and broken[0].to_dict()["error"] == broken[0].error
    assert all(i.data and i.question for i in instances if i.error is None)


def test_logic_game_sample_with_bad_json(symbench_dir: Path, tmp_path: Path) -> None:
    samples = _copy_three(symbench_dir / "pooling_dataset", tmp_path / "pooling_dataset")
    bad = samples[1] / "solution.json"
    bad.write_text("{not json")
    _check_one_broken(get_task("pooling").load(tmp_path), bad, samples[1].name)
    assert "cannot read JSON" in str(next(i for i in get_task("pooling").load(tmp_path) if i.error).error)
    bad.unlink()  # a missing file is a broken sample too
    _check_one_broken(get_task("pooling").load(tmp_path), bad, samples[1].name)


def test_logic_game_sample_failing_the_task_check(symbench_dir: Path, tmp_path: Path) -> None:
    samples = _copy_three(symbench_dir / "standard_sudoku", tmp_path / "standard_sudoku")
    bad = samples[0] / "solution.json"
    data = json.loads(bad.read_text())
    data["puzzle"] = data["puzzle"][:3]
    bad.write_text(json.dumps(data))
    _check_one_broken(get_task("standard_sudoku").load(tmp_path), bad, samples[0].name)


def test_boxlift_sample_with_bad_json(symbench_dir: Path, tmp_path: Path) -> None:
    group = sorted((symbench_dir / "BoxLift_dataset").iterdir())[0]
    samples = _copy_three(group, tmp_path / "BoxLift_dataset" / group.name)
    bad = samples[2] / "BoxLift.json"
    bad.write_text(json.dumps({"boxes": "heavy", "lifters": [1]}))
    _check_one_broken(get_task("boxlift").load(tmp_path), bad, f"{group.name}/{samples[2].name}")


def test_letters_and_logical_equation_samples_with_bad_json(symbench_dir: Path, tmp_path: Path) -> None:
    group = sorted((symbench_dir / "Letters").iterdir())[0]
    samples = _copy_three(group, tmp_path / "Letters" / group.name)
    bad = samples[0] / "test_words.json"
    bad.write_text('"unterminated')
    _check_one_broken(get_task("letters").load(tmp_path), bad, f"{group.name}/{samples[0].name}")

    samples = _copy_three(symbench_dir / "logical_equation", tmp_path / "logical_equation")
    bad = samples[1] / "solution.json"
    bad.write_bytes(b"\xff\xfe not utf-8")
    _check_one_broken(get_task("logical_equation").load(tmp_path), bad, samples[1].name)


def test_jsonl_line_that_is_not_a_record(tmp_path: Path) -> None:
    lines = [json.dumps({"input": "1+1?", "code": "", "target": 2}), "not json", '{"input": "2+2?", "target": 4}']
    (tmp_path / "gsmhardv2.jsonl").write_text("\n".join(lines) + "\n")
    instances = get_task("gsm_hard").load(tmp_path)
    assert [i.id for i in instances] == ["0", "1", "2"]
    assert [i.error is None for i in instances] == [True, False, True]
    assert f"{tmp_path / 'gsmhardv2.jsonl'}:2" in str(instances[1].error)


def test_load_each_names_the_source_of_any_read_error() -> None:
    task = get_task("pooling")

    def fill(inst: Instance, item: dict[str, int]) -> None:
        if item.get("value") == 2:
            raise DataError("two lines\nof text")
        inst.data = {"value": item["value"]}
        inst.question = "q"

    items = [("a", "/x/a.json", {"value": 1}), ("b", "/x/b.json", {}), ("c", "/x/c.json", {"value": 2})]
    found = load_each(task, items, fill)
    assert found[0].error is None and found[0].data == {"value": 1}
    assert found[1].error == "/x/b.json: KeyError: 'value'" and found[1].data == {}
    assert found[2].error == "/x/c.json: two lines of text" and found[2].source == "/x/c.json"


def test_broken_instances_are_failures_never_verified(
    symbench_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = _copy_three(symbench_dir / "pooling_dataset", tmp_path / "pooling_dataset")
    (samples[0] / "solution.json").write_text("[1,")
    task = get_task("pooling")
    seen: list[str] = []
    verify, gold_answer = task.verify, task.gold_answer

    def spy_gold(inst: Instance) -> str:
        assert inst.error is None
        seen.append(inst.id)
        return gold_answer(inst)

    def spy_verify(inst: Instance, answer: object) -> Verdict:
        assert inst.error is None
        return verify(inst, answer)

    monkeypatch.setattr(task, "gold_answer", spy_gold)
    monkeypatch.setattr(task, "verify", spy_verify)
    report = validate_task(task, tmp_path)
    assert report.passed == 2 and seen == [samples[1].name, samples[2].name]
    assert [(i, "solution.json" in r) for i, r in report.failures] == [(samples[0].name, True)]


def test_validate_reports_the_error_and_the_good_samples(symbench_dir: Path, tmp_path: Path) -> None:
    samples = _copy_three(symbench_dir / "pooling_dataset", tmp_path / "pooling_dataset")
    bad = samples[2] / "solution.json"
    bad.write_text("")
    result = runner.invoke(app, ["bench", "validate", str(tmp_path), "--tasks", "pooling"])
    assert result.exit_code == 3  # the data has errors
    assert "pooling: 2 passed, 1 failed" in result.output and "total: 2 passed, 1 failed" in result.output
    assert f"  {samples[2].name}: {bad}: cannot read JSON" in result.output
    assert "Traceback" not in result.output


def test_missing_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="pooling_dataset: no such folder") as caught:
        get_task("pooling").load(tmp_path)
    assert "\n" not in str(caught.value)
    missing = runner.invoke(app, ["bench", "validate", str(tmp_path / "nope")])
    assert missing.exit_code == 1
    assert "nope: no such folder" in missing.stderr and missing.stderr.strip().count("\n") == 0
    assert "Traceback" not in missing.output
