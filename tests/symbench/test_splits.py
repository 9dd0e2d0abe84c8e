"""Frozen, seeded test selections: same seed, same questions; test and training pools apart."""

from __future__ import annotations

from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.splits import generate_test, instance_hash, paper_n, select, split_seed, test_set


def test_generated_test_sets_are_seeded_and_mix_complexities() -> None:
    task = get_task("pooling")
    a, b = generate_test(task, 7, seed=0), generate_test(task, 7, seed=0)
    assert [instance_hash(i) for i in a] == [instance_hash(i) for i in b]
    assert [i.complexity for i in a] == [1, 2, 3, 4, 5, 1, 2]
    other = generate_test(task, 7, seed=1)
    assert {instance_hash(i) for i in a}.isdisjoint(instance_hash(i) for i in other)
    assert all(task.verify(i, task.parse(task.gold_answer(i))).correct for i in a)


def test_test_and_training_seeds_differ() -> None:
    for name in ("pooling", "mahjong", "boxnet"):
        for seed in range(50):
            assert split_seed("test", name, seed) != split_seed("train", name, seed)
    assert split_seed("test", "pooling", 0) == split_seed("test", "pooling", 0)
    assert split_seed("test", "pooling", 0) != split_seed("test", "mahjong", 0)


def test_selection_is_stable_and_grows_by_prefix(symbench_dir: Path) -> None:
    task = get_task("pooling")
    instances = task.load(symbench_dir)
    small, large = select(task, instances, 5, seed=0), select(task, instances, 20, seed=0)
    assert [i.id for i in large[:5]] == [i.id for i in small]
    assert [i.id for i in select(task, list(reversed(instances)), 5, seed=0)] == [i.id for i in small]
    assert [i.id for i in select(task, instances, 5, seed=1)] != [i.id for i in small]


def test_test_set_uses_data_when_present_and_generates_otherwise(symbench_dir: Path, tmp_path: Path) -> None:
    task = get_task("pooling")
    from_data = test_set(task, data_dir=symbench_dir, limit=None, seed=0)
    assert from_data.source == "data" and len(from_data.instances) == paper_n(task) == 50
    elsewhere = test_set(task, data_dir=tmp_path, limit=3, seed=0)
    assert elsewhere.source == "generated" and len(elsewhere.instances) == 3 and "no pooling_dataset" in elsewhere.note
    external = test_set(get_task("navigate"), data_dir=None, limit=3, seed=0)
    assert external.source == "none" and not external.instances and "needs its original data" in external.note
    assert paper_n(get_task("navigate")) == 63 and paper_n(get_task("game24")) == 28
