"""SFT/DPO dataset building: tree scores, pairs, readers that report bad lines, and dataset validation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nsllm_cli.errors import DataError
from nsllm_cli.steer.datasets import (
    count_tokens,
    dpo_pairs,
    drop_long,
    leaf_score,
    load_dataset_jsonl,
    read_trajectories,
    read_trees,
    sft_records,
    tree_scores,
    write_dataset,
)


def node(i: int, parent: int | None, rnd: int | None, guidance: str | None, children: list[int],
         leaf: tuple[bool, int] | None = None, user: str | None = None) -> dict[str, Any]:  # fmt: skip
    outcome = {"correct": leaf[0], "n_rounds": leaf[1], "stop_reason": "x", "trajectory": 0} if leaf else None
    if user is None and rnd is not None:
        user = f"input of round {rnd} after node {parent}"
    return {"node": i, "parent": parent, "round": rnd, "user": user, "guidance": guidance, "control": None,
            "children": children, "leaf": outcome}  # fmt: skip


def paper_tree() -> dict[str, Any]:
    """The paper's figure: leaves 13, 10, -2, -3, -4; mean(10, -4) = 3, mean(-3, 3) = 0, mean(0, 13) = 6.5."""
    nodes = [
        node(0, None, None, None, [1, 2]),
        node(1, 0, 0, "A", [3, 4]),
        node(2, 0, 0, "B", [], leaf=(False, 2)),  # -2
        node(3, 1, 1, "A1", [], leaf=(True, 2)),  # 13
        node(4, 1, 1, "A2", [5, 6]),
        node(5, 4, 2, "A2a", [], leaf=(False, 3)),  # -3
        node(6, 4, 2, "A2b", [7, 8]),
        node(7, 6, 3, "A2b1", [], leaf=(True, 5)),  # 10
        node(8, 6, 3, "A2b2", [], leaf=(False, 4)),  # -4
    ]
    return {"kind": "tree", "task": "pooling", "id": "gen_1_0", "nodes": nodes}


def test_leaf_scores_are_the_papers_examples() -> None:
    assert [leaf_score(c, n) for c, n in [(True, 2), (True, 5), (False, 2), (False, 3), (False, 4)]] == [
        13, 10, -2, -3, -4,
    ]  # fmt: skip


def test_internal_nodes_score_the_mean_of_their_children() -> None:
    scores = tree_scores(paper_tree())
    assert scores[6] == 3.0  # mean(10, -4)
    assert scores[4] == 0.0  # mean(-3, 3)
    assert scores[1] == 6.5  # mean(0, 13)
    assert scores[0] == 2.25  # mean(6.5, -2)
    assert scores[2] == -2.0 and scores[5] == -3.0 and scores[8] == -4.0


def test_pairs_are_between_siblings_and_the_higher_score_is_chosen() -> None:
    pairs = dpo_pairs([paper_tree()])
    got = [
        (p["chosen"][0]["content"], p["rejected"][0]["content"], p["score_chosen"], p["score_rejected"]) for p in pairs
    ]
    assert got == [
        ("A", "B", 6.5, -2.0),
        ("A1", "A2", 13.0, 0.0),
        ("A2b", "A2a", 3.0, -3.0),
        ("A2b1", "A2b2", 10.0, -4.0),
    ]
    deep = pairs[3]
    assert [m["role"] for m in deep["prompt"]] == ["user", "assistant"] * 3 + ["user"]
    assert [m["content"] for m in deep["prompt"] if m["role"] == "assistant"] == ["A", "A2", "A2b"]
    assert deep["prompt"][-1]["content"] == "input of round 3 after node 6"
    assert set(deep) == {"prompt", "chosen", "rejected", "score_chosen", "score_rejected", "task", "id"}
    assert (deep["task"], deep["id"]) == ("pooling", "gen_1_0")


def test_equal_scores_identical_guidance_and_failed_branches_make_no_pair() -> None:
    nodes = [
        node(0, None, None, None, [1, 2, 3, 4, 5]),
        node(1, 0, 0, "same", [], leaf=(True, 3), user="u"),
        node(2, 0, 0, "other", [], leaf=(True, 3), user="u"),  # equal score to 1
        node(3, 0, 0, "same", [], leaf=(False, 2), user="u"),  # same text as 1
        node(4, 0, 0, "lost", [], user="u"),  # a branch without an outcome: no score
        node(5, 0, 0, "elsewhere", [], leaf=(False, 6), user="another input"),  # not the same prefix
    ]
    tree = {"kind": "tree", "task": "t", "id": "i", "nodes": nodes}
    assert 4 not in tree_scores(tree)
    pairs = dpo_pairs([tree])
    assert [(p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in pairs] == [("other", "same")]
    assert pairs[0]["prompt"] == [{"role": "user", "content": "u"}]


def trajectory(i: int, correct: bool = True, n: int = 2) -> dict[str, Any]:
    rounds = [{"user": f"u{k}", "assistant": f"g{k}", "control": None} for k in range(n)]
    return {"kind": "trajectory", "task": "pooling", "id": f"s{i}", "correct": correct, "n_rounds": n,
            "rounds": rounds, "error": None}  # fmt: skip


def test_sft_records_alternate_and_end_with_an_assistant_turn_per_guidance() -> None:
    recs = [trajectory(0, n=3), trajectory(1, correct=False), {**trajectory(2), "error": "boom", "rounds": []}]
    sft = sft_records(recs)
    assert len(sft) == 1 and sft[0]["task"] == "pooling" and sft[0]["id"] == "s0"
    msgs = sft[0]["messages"]
    assert [m["role"] for m in msgs] == ["user", "assistant"] * 3
    assert [m["content"] for m in msgs if m["role"] == "assistant"] == ["g0", "g1", "g2"]
    assert [r["id"] for r in sft_records(recs, keep_failed=True)] == ["s0", "s1"]  # never the error record


def test_malformed_lines_are_reported_with_line_numbers_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    good = json.dumps(trajectory(0))
    missing = json.dumps({k: v for k, v in trajectory(1).items() if k != "correct"})
    bad_turn = json.dumps({**trajectory(2), "rounds": [{"user": "u"}]})
    tree = json.dumps({"kind": "tree", "task": "t", "id": "i", "nodes": []})
    lines = [good, "{not json", "", "[1, 2]", missing, bad_turn, tree, good]
    path.write_text("\n".join(lines) + "\n" + '{"task": "cut off', encoding="utf-8")

    records, problems = read_trajectories(path)
    assert len(records) == 2
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:{n}" for n in (2, 4, 5, 6, 7, 9)]
    assert "not JSON" in problems[0] and "not a JSON object" in problems[1] and "'correct'" in problems[2]
    assert "rounds[0]" in problems[3] and "'tree'" in problems[4] and "partial last line" in problems[5]
    trees, tree_problems = read_trees(path)
    assert trees == [] and f"{path}:7: missing 'nodes' (a non-empty list)" in tree_problems
    with pytest.raises(DataError, match="no such file"):
        read_trajectories(tmp_path / "absent.jsonl")


def test_datasets_round_trip_and_an_empty_one_is_a_one_line_error(tmp_path: Path) -> None:
    sft_path, dpo_path = tmp_path / "sft.jsonl", tmp_path / "dpo.jsonl"
    assert write_dataset(sft_records([trajectory(0), trajectory(1)]), sft_path) == 2
    assert write_dataset(dpo_pairs([paper_tree()]), dpo_path) == 4
    assert len(load_dataset_jsonl(sft_path, "sft")) == 2 and len(load_dataset_jsonl(dpo_path, kind="dpo")) == 4

    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_dataset_jsonl(empty, "sft")
    assert "\n" not in str(info.value) and "no valid sft records" in str(info.value)
    with pytest.raises(DataError, match="no records to write"):
        write_dataset([], tmp_path / "nothing.jsonl")
    with pytest.raises(DataError, match="no such file"):
        load_dataset_jsonl(tmp_path / "absent.jsonl")
    with pytest.raises(DataError, match="record 0 is not a valid sft record"):
        write_dataset([{"messages": [{"role": "user", "content": "q"}], "task": "t", "id": "i"}], empty)


def test_a_record_missing_fields_is_named_by_its_line(tmp_path: Path) -> None:
    path = tmp_path / "dpo.jsonl"
    pairs = dpo_pairs([paper_tree()])
    no_rejected = {k: v for k, v in pairs[1].items() if k != "rejected"}
    flipped = {**pairs[2], "score_chosen": -5.0}
    path.write_text("\n".join(json.dumps(r) for r in [pairs[0], no_rejected, flipped, pairs[3]]) + "\n")

    with pytest.raises(DataError) as info:
        load_dataset_jsonl(path, "dpo")
    message = str(info.value)
    assert message.startswith("2 invalid dpo record(s)") and "\n" not in message
    assert f"{path}:2: missing 'rejected'" in message and f"{path}:3: 'score_chosen' must be higher" in message
    assert len(load_dataset_jsonl(path, "dpo", strict=False)) == 2
    with pytest.raises(DataError, match=r":1: missing 'messages'"):
        load_dataset_jsonl(path, "sft")


class ChatTokenizer:
    """Stands in for an HF tokenizer with a chat template: two tokens per turn plus one per word."""

    chat_template = "{{ messages }}"

    def apply_chat_template(self, messages: list[dict[str, str]], **kwargs: Any) -> dict[str, list[int]]:
        assert kwargs["tokenize"] is True
        n = sum(2 + len(m["content"].split()) for m in messages)
        return {"input_ids": list(range(n))}

    def __call__(self, text: str) -> list[int]:
        raise AssertionError("the chat template is used when there is one")


def test_drop_long_counts_prompts_over_the_limit() -> None:
    pairs = dpo_pairs([paper_tree()])  # prompts of 1, 3, 5 and 7 turns
    kept, dropped = drop_long(pairs, ChatTokenizer(), max_tokens=21)  # 9, 21, 33 and 45 tokens
    assert dropped == 2 and [len(p["prompt"]) for p in kept] == [1, 3]
    assert count_tokens([{"role": "user", "content": "a b c"}], ChatTokenizer()) == 5
    assert count_tokens([{"role": "user", "content": "a b c"}], str.split) == 4  # "user:" counts as a word
    sft = sft_records([trajectory(0, n=1), trajectory(1, n=4)])
    kept_sft, dropped_sft = drop_long(sft, lambda text: len(text.split()), max_tokens=10)
    assert dropped_sft == 1 and kept_sft[0]["id"] == "s0"


def test_a_complete_last_line_without_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "sft.jsonl"
    records = sft_records([trajectory(0), trajectory(1)])
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")  # no final newline
    assert [r["id"] for r in load_dataset_jsonl(path, "sft")] == ["s0", "s1"]
