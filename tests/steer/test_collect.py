"""Training instances, trajectory collection and DPO trees with scripted models (issue #6, codesteer.md §9-10)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from nsllm_cli.errors import ConfigError, ProviderError
from nsllm_cli.providers.base import GenParams, Message
from nsllm_cli.providers.scripted import ScriptedProvider
from nsllm_cli.sandbox import ExecResult
from nsllm_cli.steer.collect import (
    collect,
    collect_tree,
    collect_trees,
    training_instances,
    training_pool,
)
from nsllm_cli.steer.datasets import dpo_pairs, read_trajectories, read_trees, sft_records, tree_scores
from nsllm_cli.steer.loop import steer
from nsllm_cli.steer.prefix import prefix_of
from nsllm_cli.steer.prompts import CHOICE_PROMPT, CODE_GUIDE, DECISION_PROMPT, TEXT_GUIDE
from nsllm_cli.symbench.base import Instance, Task, Verdict
from nsllm_cli.symbench.registry import get_task
from nsllm_cli.symbench.splits import instance_hash, test_set

WRONG = "I think it is <<<0>>>."


def no_exec(code: str) -> ExecResult:
    return ExecResult("", "", 0)


def repeat(fn: Callable[[list[Message]], str], name: str, n: int = 200) -> ScriptedProvider:
    """A scripted provider answering every call with `fn(messages)` (and recording the requests)."""
    return ScriptedProvider([fn] * n, name=name)


def solver(instances: Sequence[Instance], *, wrong: Sequence[str] = (), fail: Sequence[str] = ()) -> ScriptedProvider:
    """A TaskLLM that answers each instance with its gold answer (or a wrong one, or a provider error)."""
    by_question = {(inst.question, inst.id): inst for inst in instances}

    def answer(messages: list[Message]) -> str:
        first = messages[0]["content"]
        inst = next(i for (q, _), i in by_question.items() if q in first)
        if inst.id in fail:
            raise ProviderError("HTTP 500 from the test server", status=500)
        if inst.id in wrong or messages[-1]["content"].startswith((CODE_GUIDE, "Check the last")):
            return WRONG
        return "Done. " + get_task(inst.task).gold_answer(inst)

    return repeat(answer, "task")


def text_then_return(messages: list[Message]) -> str:
    return "<<<Text>>>" if len(messages) == 1 else "Looks right. <<<Return Answer>>>"


@pytest.fixture
def pool() -> list[Instance]:
    return training_instances(["pooling"], 3, seed=0)


# ---------------------------------------------------------------- training instances


def test_training_instances_are_seen_deterministic_and_disjoint_from_the_test_set() -> None:
    first = training_instances(["pooling", "boxlift"], 7, seed=1)
    again = training_instances(["pooling", "boxlift"], 7, seed=1)
    other = training_instances(["pooling", "boxlift"], 7, seed=2)

    assert [instance_hash(i) for i in first] == [instance_hash(i) for i in again]
    assert {instance_hash(i) for i in first}.isdisjoint(instance_hash(i) for i in other)
    assert [i.task for i in first].count("pooling") == 7 and [i.task for i in first].count("boxlift") == 7
    assert all(get_task(i.task).seen for i in first)
    assert {i.complexity for i in first if i.task == "pooling"} == {1, 2, 3, 4, 5}
    for name in ("pooling", "boxlift"):
        tests = {instance_hash(i) for i in test_set(get_task(name), data_dir=None, limit=None, seed=0).instances}
        assert tests and tests.isdisjoint(instance_hash(i) for i in first if i.task == name)
        assert not {i.id for i in first if i.task == name} & {
            i.id for i in test_set(get_task(name), data_dir=None, limit=None, seed=0).instances
        }


def test_unseen_tasks_are_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="letters") as info:
        training_instances(["pooling", "letters", "eight_queens"], 2, seed=0)
    assert "eight_queens" in str(info.value) and "pooling" not in str(info.value)
    with pytest.raises(ConfigError, match="unseen"):
        collect([Instance("letters", "x", "Q?")], task=repeat(str, "t"), steer=repeat(str, "s"), out_path=Path("o"))


def test_external_tasks_are_skipped_with_a_note() -> None:
    pool = training_pool(["game24", "pooling"], 2, seed=0)
    assert {i.task for i in pool.instances} == {"pooling"}
    assert any(note.startswith("game24: skipped") for note in pool.notes)


class Levels(Task):
    """A generator with one question per complexity, so training and test sets must overlap."""

    name: ClassVar[str] = "levels_test"
    title: ClassVar[str] = "Levels"
    seen: ClassVar[bool] = True
    folder: ClassVar[str] = "levels"

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        return [Instance(self.name, f"gen_{seed}_{i}", f"level {complexity}", {}, complexity) for i in range(n)]

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        return Verdict.ok()


def test_test_set_overlaps_and_duplicates_are_dropped_and_counted() -> None:
    pool = training_pool([Levels()], 5, seed=0, test_limit=2)
    # the test set holds levels 1 and 2; each of the 4 batches repeats levels 1-5
    assert [i.question for i in pool.instances] == ["level 3", "level 4", "level 5"]
    assert pool.overlaps == {"levels_test": 8} and pool.duplicates == {"levels_test": 9}
    assert pool.notes == ["levels_test: only 3 of 5 distinct training instances"]


# ---------------------------------------------------------------- collection


def test_collect_writes_one_record_per_instance_and_resumes(tmp_path: Path, pool: list[Instance]) -> None:
    out = tmp_path / "trajectories.jsonl"
    task, steerer = solver(pool), repeat(text_then_return, "steer")
    events: list[str] = []
    report = collect(pool, task=task, steer=steerer, out_path=out, on_event=lambda k, p: events.append(k))

    assert (report.total, report.written, report.correct, report.skipped, report.errors) == (3, 3, 3, 0, [])
    records, problems = read_trajectories(out)
    assert problems == [] and [r["id"] for r in records] == [i.id for i in pool]
    rec = records[0]
    assert rec["correct"] and rec["n_rounds"] == 2 and rec["instance_hash"] == instance_hash(pool[0])
    assert rec["instance"] == pool[0].to_dict() and rec["transcript"]["stop_reason"] == "return_answer"
    assert [t["assistant"] for t in rec["rounds"]] == [TEXT_GUIDE, "Return Answer"]
    assert rec["rounds"][0]["user"] == CHOICE_PROMPT + pool[0].question
    assert rec["rounds"][1]["user"].startswith("## Solver's answer")  # training variant: feedback only
    assert DECISION_PROMPT not in rec["rounds"][1]["user"]
    assert steerer.requests[1][-1]["content"].startswith(DECISION_PROMPT)  # the API steerer saw the full input
    assert steerer.params[0] == GenParams(temperature=1.0)
    assert events[:2] == ["skip", "start"] and events[-1] == "done" and events.count("record") == 3

    calls = (len(task.requests), len(steerer.requests))
    assert calls == (3, 6)
    again = collect(pool, task=task, steer=steerer, out_path=out)
    assert (again.skipped, again.written) == (3, 0)
    assert (len(task.requests), len(steerer.requests)) == calls  # nothing asked twice

    more = pool + training_instances(["pooling"], 4, seed=0)[3:]
    third = collect(more, task=solver(more), steer=steerer, out_path=out)
    assert (third.skipped, third.written) == (3, 1) and len(read_trajectories(out)[0]) == 4


def test_a_failing_provider_on_one_instance_does_not_abort(tmp_path: Path, pool: list[Instance]) -> None:
    out = tmp_path / "t.jsonl"
    broken = pool[1].id
    report = collect(pool, task=solver(pool, fail=[broken]), steer=repeat(text_then_return, "s"), out_path=out)

    assert report.written == 2 and len(report.errors) == 1
    assert report.errors[0].startswith(f"pooling/{broken}: ProviderError: HTTP 500")
    failed = [r for r in read_trajectories(out)[0] if r["error"]]
    assert [r["id"] for r in failed] == [broken] and failed[0]["transcript"]["rounds"][0]["guidance"] == TEXT_GUIDE

    healed = collect(pool, task=solver(pool), steer=repeat(text_then_return, "s"), out_path=out)
    assert (healed.skipped, healed.written, healed.errors) == (2, 1, [])  # the failed one is retried
    assert len(sft_records(read_trajectories(out)[0])) == 3


def test_wrong_answers_are_stored_marked_and_filtered_by_the_sft_builder(tmp_path: Path, pool: list[Instance]) -> None:
    out = tmp_path / "t.jsonl"
    wrong = [pool[0].id]
    report = collect(pool, task=solver(pool, wrong=wrong), steer=repeat(text_then_return, "s"), out_path=out)
    assert (report.written, report.correct, report.kept) == (3, 2, 2)
    records = read_trajectories(out)[0]
    assert [r["correct"] for r in records] == [False, True, True]
    assert records[0]["verdict"]["correct"] is False and records[0]["answer"] == "0"

    sft = sft_records(records)
    assert [r["id"] for r in sft] == [pool[1].id, pool[2].id]
    assert len(sft_records(records, keep_failed=True)) == 3
    for rec, source in zip(sft, records[1:], strict=True):
        roles = [m["role"] for m in rec["messages"]]
        assert roles == ["user", "assistant"] * source["n_rounds"]  # one assistant turn per guidance
        assert set(rec) == {"messages", "task", "id"}


# ---------------------------------------------------------------- DPO trees

STEER_SCRIPT = [
    # t0: text, then stop at once (correct, 2 guidances: 15 - 2 = 13)
    "<<<Text>>>", "The answer looks right. <<<Return Answer>>>",
    # t1: t0's round 0, a fresh round 1 (wrong, 3 guidances: -3)
    "<<<Check the last value again>>>", "<<<Terminate>>>",
    # t2: code (wrong), then text (correct), then stop (4 guidances: 11)
    "<<<Code>>>", "<<<Text>>>", "<<<Double-check the result>>>", "<<<Return Answer>>>",
    # t3: t2's round 0, a fresh round 1 (wrong, 2 guidances: -2)
    "<<<Terminate>>>",
]  # fmt: skip


def test_tree_sampling_branches_from_shared_prefixes_and_scores_with_the_own_length(tmp_path: Path) -> None:
    inst = training_instances(["pooling"], 1, seed=3)[0]
    steerer = ScriptedProvider(STEER_SCRIPT, name="steer")
    out = tmp_path / "trees.jsonl"
    tree = collect_tree(
        inst, task=solver([inst]), steer=steerer, branch=2, depth=2, out_path=out, allow_code=True,
        executor=no_exec, self_check_enabled=False, steer_params=GenParams(temperature=1.0, seed=5),
    )  # fmt: skip

    assert steerer.remaining == 0 and tree["errors"] == [] and tree["n_trajectories"] == 4
    assert steerer.requests[2] == steerer.requests[1]  # t1's round 1 has t0's round-1 input: same prefix
    assert steerer.requests[8] == steerer.requests[5]
    assert [p.seed if p else None for p in steerer.params] == [5, 5, 6, 6, 7, 7, 7, 7, 8]  # one seed each
    assert [(t["correct"], t["n_rounds"]) for t in tree["trajectories"]] == [
        (True, 2),
        (False, 3),
        (True, 4),
        (False, 2),
    ]
    nodes = tree["nodes"]
    assert [(n["round"], n["guidance"]) for n in nodes] == [
        (None, None), (0, TEXT_GUIDE), (1, "Return Answer"), (1, "Check the last value again"),
        (0, CODE_GUIDE), (1, "Text"), (1, "Terminate"),
    ]  # fmt: skip
    assert nodes[0]["children"] == [1, 4] and nodes[1]["children"] == [2, 3] and nodes[4]["children"] == [5, 6]
    assert (
        nodes[2]["user"] == nodes[3]["user"] == tree["trajectories"][0]["transcript"]["rounds"][1]["steer_input_train"]
    )
    assert tree_scores(tree) == {2: 13.0, 3: -3.0, 1: 5.0, 5: 11.0, 6: -2.0, 4: 4.5, 0: 4.75}

    pairs = dpo_pairs([tree])
    assert [(p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in pairs] == [
        (TEXT_GUIDE, CODE_GUIDE), ("Return Answer", "Check the last value again"), ("Text", "Terminate"),
    ]  # fmt: skip
    assert pairs[0]["prompt"] == [{"role": "user", "content": CHOICE_PROMPT + inst.question}]
    assert [m["role"] for m in pairs[1]["prompt"]] == ["user", "assistant", "user"]
    assert pairs[1]["prompt"][1]["content"] == TEXT_GUIDE and pairs[1]["prompt"][2]["content"] == nodes[2]["user"]
    assert all(p["score_chosen"] > p["score_rejected"] for p in pairs)

    trees, problems = read_trees(out)
    assert problems == [] and trees[0]["id"] == inst.id and json.dumps(trees[0]) == json.dumps(tree)


def test_a_resampled_branch_keeps_the_one_round_budget() -> None:
    inst = training_instances(["pooling"], 1, seed=3)[0]
    again = "<<<Try once more>>>"
    first = steer(
        inst.question, task=solver([inst]), steer=ScriptedProvider(["<<<Text>>>", again, again]), max_rounds=2
    )
    assert len(first.rounds) == 3 and first.stop_reason == "max_rounds"
    cut = prefix_of(first, 2)
    more = ScriptedProvider([again] * 5)
    branch = steer(inst.question, task=solver([inst]), steer=more, max_rounds=2, prefix=cut)
    assert len(branch.rounds) == 3 and more.remaining == 4  # one new guidance, not a fresh budget of 2
    assert branch.rounds[1].to_dict() == first.rounds[1].to_dict()
    with pytest.raises(ValueError, match="no round 3"):
        prefix_of(first, 3)


def test_collect_trees_resumes_and_keeps_going_past_a_failed_branch(tmp_path: Path, pool: list[Instance]) -> None:
    out = tmp_path / "trees.jsonl"
    calls = 0

    def flaky(messages: list[Message]) -> str:
        nonlocal calls
        calls += 1
        if calls == 3:  # the resampled round 1 of the first tree
            raise ProviderError("rate limited", status=429)
        return text_then_return(messages)

    report = collect_trees(pool, task=solver(pool), steer=repeat(flaky, "s"), out_path=out, branch=2, depth=2)
    assert (report.written, report.errors) == (3, [])
    trees = read_trees(out)[0]
    assert trees[0]["errors"] == ["branch after round 0: ProviderError: rate limited"]
    assert [t["n_trajectories"] for t in trees] == [3, 4, 4] and all(t["correct"] for t in trees)
    assert dpo_pairs(trees) == []  # every branch scored the same: no preference

    before = calls
    again = collect_trees(pool, task=solver(pool), steer=repeat(flaky, "s"), out_path=out)
    assert (again.skipped, again.written, calls) == (3, 0, before)


def test_tree_options_match_collect_tree_and_unknown_ones_are_refused(tmp_path: Path) -> None:
    import inspect

    from nsllm_cli.steer.collect import TREE_OPTIONS

    own = {"instance", "task", "steer", "branch", "depth", "out_path", "on_event"}
    assert set(inspect.signature(collect_tree).parameters) - own == TREE_OPTIONS
    with pytest.raises(TypeError, match="max_round"):
        collect_trees([], task=repeat(str, "t"), steer=repeat(str, "s"), out_path=tmp_path / "x", max_round=3)


def test_collect_on_threads_writes_every_instance_once(tmp_path: Path, pool: list[Instance]) -> None:
    out = tmp_path / "t.jsonl"
    report = collect(pool, task=solver(pool), steer=repeat(text_then_return, "s"), out_path=out, concurrency=2)
    assert report.written == 3
    assert sorted(r["id"] for r in read_trajectories(out)[0]) == sorted(i.id for i in pool)
