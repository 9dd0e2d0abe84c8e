"""Stop strings: the earliest one wins, empty ones are ignored, and a streamer holds back only a possible start."""

from __future__ import annotations

from nsllm_cli.stop_strings import cut_at_stop, find_stop, held_back


def test_the_earliest_stop_string_wins_and_empty_ones_are_ignored() -> None:
    assert find_stop("a;b.c", [".", ";"]) == 1
    assert find_stop("abc", ["", "x"]) is None
    assert cut_at_stop("abc", [""]) == ("abc", False)


def test_only_an_end_that_can_grow_into_a_stop_string_is_held_back() -> None:
    assert held_back("abc</co", ["</code>"]) == 4
    assert held_back("abc<", ["</code>", "<|end|>"]) == 1
    assert held_back("abc", ["</code>"]) == 0
    assert held_back("", ["</code>"]) == 0
