"""Cutting generated text at OpenAI-style stop strings, whole or while it streams.

The API returns an answer up to, not including, the first stop string. A streamed answer must not show the
start of a stop string that the next piece completes, so a streamer holds back the end that could still grow
into one. `nsllm serve` and the `local:` provider both cut this way, with these functions (no torch here).

Example:
    >>> cut_at_stop("x = 1</code>rest", ["</code>"])
    ('x = 1', True)
    >>> "".join(cut_stream(["ab", "c</c", "ode>tail"], ("</code>",)))
    'abc'
    >>> held_back("abc</co", ["</code>"])
    4
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

__all__ = ["cut_at_stop", "cut_stream", "find_stop", "held_back"]


def find_stop(text: str, stops: Iterable[str]) -> int | None:
    """Index of the earliest (non-empty) stop string in `text`, or None."""
    found = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(found) if found else None


def cut_at_stop(text: str, stops: Iterable[str]) -> tuple[str, bool]:
    """Text up to (not including) the first stop string, as the OpenAI API returns it, and whether one was found."""
    cut = find_stop(text, stops)
    return (text[:cut], True) if cut is not None else (text, False)


def held_back(text: str, stops: Sequence[str]) -> int:
    """Length of the longest end of `text` that could still grow into a stop string."""
    best = 0
    for s in stops:
        for k in range(min(len(s) - 1, len(text)), best, -1):
            if s.startswith(text[-k:]):
                best = k
                break
    return best


def cut_stream(pieces: Iterable[str], stops: tuple[str, ...]) -> Iterator[str]:
    """Stream text up to the first stop string, holding back just enough to catch a stop split across pieces."""
    stops = tuple(s for s in stops if s)
    if not stops:
        yield from (p for p in pieces if p)
        return
    hold = max(len(s) for s in stops) - 1
    buf = ""
    for piece in pieces:
        buf += piece
        text, stopped = cut_at_stop(buf, stops)
        if stopped:
            if text:
                yield text
            return
        if len(buf) > hold:
            yield buf[: len(buf) - hold]
            buf = buf[len(buf) - hold :]
    if buf:
        yield buf
