"""S17 Mahjong: stored gold passes, perturbed fails, generated instances verify themselves."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from nsllm_cli.symbench.registry import get_task
from tests.symbench._shapes import assert_reproducible, generated_batches, rejects, stored_golds_with_errata

TASK = "mahjong"


def _final_hand(initial: str, rounds: list[dict[str, str]]) -> Counter[str]:
    """The hand before the final card is added (each earlier round adds, then removes a held card)."""
    hand = Counter(initial)
    for rnd in rounds[:-1]:
        hand[rnd["add"]] += 1
        if rnd.get("remove") and hand[rnd["remove"]] > 0:
            hand[rnd["remove"]] -= 1
    return hand


def test_gold_answers_pass_and_perturbed_fail(symbench_dir: Path) -> None:
    task = get_task(TASK)
    good, bad = stored_golds_with_errata(task, symbench_dir, int, paper=True)
    for inst, gold in good:
        rejects(task, inst, (gold + 1) % 3, (gold + 2) % 3)
    instances = [inst for inst, _ in good + bad]
    assert all(("Chi" in i.question) == (i.complexity is not None and i.complexity > 2) for i in instances)
    # the excused ones contradict the stated rules: gold 2 (Chi) in questions whose rules have no Chi (sample_2, 6,
    # 104), or gold 0 although the new card forms a run with two held cards under the Chi rule (e.g. sample_38: Z with
    # X, Y in hand) and is no Peng
    assert bad
    for inst, gold in bad:
        hand = _final_hand(inst.data["initial_cards"], inst.data["rounds"])
        card = ord(inst.data["rounds"][-1]["add"])
        runs = [[chr(x) for x in range(lo, lo + 3) if x != card] for lo in (card - 2, card - 1, card)]
        chi = hand[chr(card)] < 2 and any(all(hand[x] for x in run) for run in runs)
        if gold == 2:
            assert "Chi" not in inst.question, inst.id
        else:
            assert gold == 0 and "Chi" in inst.question and chi, inst.id


def test_generated_instances_verify_and_grow_with_complexity() -> None:
    task = get_task(TASK)
    batches = generated_batches(task, range(1, 6), n=20, seed=1)
    assert all(len(inst.data["rounds"]) == c for c, batch in enumerate(batches, start=1) for inst in batch)
    assert {inst.data["solution"] for batch in batches for inst in batch} == {0, 1, 2}
    assert_reproducible(task, n=2, seed=4, complexity=3)


def test_parse_edge_cases() -> None:
    task = get_task(TASK)
    assert task.parse("1") is None
    assert task.parse("<<<0>>> no, <<< '2' >>>") == 2
    assert task.parse("<<<Peng>>>") == 1
    assert task.parse("<<<?>>>") is None
