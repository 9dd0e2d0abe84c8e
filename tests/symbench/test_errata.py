"""errata.json: each known-bad stored instance matches the shared data by hash, a changed copy is not excused, and
`bench validate` on the shared data has no failures left, with the excluded ones counted apart."""

from __future__ import annotations

import copy
import hashlib
import re
from collections import defaultdict
from pathlib import Path

from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.symbench.base import Instance
from nsllm_cli.symbench.errata import Erratum, data_sha256, erratum_for, load_errata
from nsllm_cli.symbench.registry import all_tasks, get_task

runner = CliRunner()


def test_errata_file_is_well_formed() -> None:
    errata = load_errata()
    assert errata and load_errata() is errata  # cached
    for (task, inst_id), erratum in errata.items():
        assert (erratum.task, erratum.id) == (task, inst_id)
        assert task in all_tasks()
        assert re.fullmatch(r"[0-9a-f]{64}", erratum.sha256)
        assert len(erratum.reason) > 30 and "\n" not in erratum.reason and ": " in erratum.reason


def test_data_hash_is_canonical() -> None:
    text = '{"a":"é","b":[1,2.5]}'
    assert data_sha256({"b": [1, 2.5], "a": "é"}) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert data_sha256({"a": "é", "b": [1, 2.5]}) != data_sha256({"a": "é", "b": [2.5, 1]})


def test_every_erratum_matches_the_shared_data(symbench_dir: Path) -> None:
    by_task: dict[str, list[Erratum]] = defaultdict(list)
    for erratum in load_errata().values():
        by_task[erratum.task].append(erratum)
    for name, errata in by_task.items():
        instances = {inst.id: inst for inst in get_task(name).load(symbench_dir)}
        for erratum in errata:
            assert erratum.id in instances, (name, erratum.id)
            assert data_sha256(instances[erratum.id].data) == erratum.sha256, (name, erratum.id)
            assert erratum_for(instances[erratum.id]) == erratum


def test_changed_data_is_not_excused(symbench_dir: Path) -> None:
    erratum = next(iter(load_errata().values()))
    inst = next(i for i in get_task(erratum.task).load(symbench_dir) if i.id == erratum.id)
    assert erratum_for(inst) == erratum
    changed = copy.deepcopy(inst)
    changed.data["sample_2"] = "another copy"
    assert erratum_for(changed) is None
    changed = copy.deepcopy(inst)
    key = next(iter(changed.data))
    changed.data[key] = [changed.data[key]]
    assert erratum_for(changed) is None
    assert erratum_for(Instance(inst.task, "another id", inst.question, inst.data)) is None
    assert erratum_for(Instance("pooling", inst.id, inst.question, inst.data)) is None
    assert erratum_for(Instance(inst.task, inst.id, "", {}, error="unreadable")) is None


def test_validate_shared_data_has_no_failures(symbench_dir: Path) -> None:
    result = runner.invoke(app, ["bench", "validate", str(symbench_dir)])
    assert result.exit_code == 0, result.output
    excluded = len(load_errata())
    assert re.search(rf"^total: \d+ passed, 0 failed, {excluded} excluded \(known bad data\)", result.output, re.M)
    per_task: dict[str, int] = defaultdict(int)
    for erratum in load_errata().values():
        per_task[erratum.task] += 1
    for name, count in per_task.items():
        assert re.search(rf"^{name}: \d+ passed, 0 failed, {count} excluded \(known bad data\)$", result.output, re.M)
    assert re.search(r"^pooling: \d+ passed, 0 failed$", result.output, re.M)  # nothing excluded: no suffix


def test_show_excluded_lists_ids_and_reasons(symbench_dir: Path) -> None:
    errata = [e for e in load_errata().values() if e.task == "mahjong"]
    result = runner.invoke(app, ["bench", "validate", str(symbench_dir), "--tasks", "mahjong", "--show-excluded"])
    assert result.exit_code == 0, result.output
    for erratum in errata:
        assert f"  excluded {erratum.id}: {erratum.reason}\n" in result.output
    quiet = runner.invoke(app, ["bench", "validate", str(symbench_dir), "--tasks", "mahjong"])
    assert quiet.exit_code == 0 and "excluded sample_" not in quiet.output
