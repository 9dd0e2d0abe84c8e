"""Trajectories for training the steering model: SFT runs and DPO trees on seen-task training instances (issue #6).

Training instances are generated from the seen tasks only, disjoint by content hash from the test sets
(:mod:`.pool`). :func:`collect` runs the steering loop with an API steerer on each and appends one JSONL
trajectory per instance (:mod:`.records`, driven resumably by :mod:`.driver`); :func:`collect_trees` samples
alternative guidances round by round for DPO (:mod:`.trees`). Every run of a collection shares one
:class:`CollectSettings` (:mod:`.settings`). The SFT/DPO datasets are built from these files by
:mod:`nsllm_cli.steer.datasets`.

Example:
    >>> pool = training_pool(["pooling"], n_per_task=10, seed=0)  # doctest: +SKIP
    >>> report = collect(pool.instances, task=gpt4o, steer=gpt4o, out_path=Path("traj.jsonl"))  # doctest: +SKIP
"""

from nsllm_cli.steer.collect.driver import CollectReport, collect, done_keys
from nsllm_cli.steer.collect.pool import MAX_BATCHES, TrainingPool, training_instances, training_pool
from nsllm_cli.steer.collect.records import score, training_turns, trajectory_record
from nsllm_cli.steer.collect.settings import COLLECT_STEER_PARAMS, CollectSettings
from nsllm_cli.steer.collect.trees import TREE_OPTIONS, collect_tree, collect_trees

__all__ = [
    "COLLECT_STEER_PARAMS",
    "MAX_BATCHES",
    "TREE_OPTIONS",
    "CollectReport",
    "CollectSettings",
    "TrainingPool",
    "collect",
    "collect_tree",
    "collect_trees",
    "done_keys",
    "score",
    "training_instances",
    "training_pool",
    "training_turns",
    "trajectory_record",
]
