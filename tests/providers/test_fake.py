"""The scripted FakeProvider that drives the steering loop in tests."""

from __future__ import annotations

from nsllm_cli.providers import GenParams, Provider, get_provider
from nsllm_cli.providers.fake import FakeProvider


async def test_fake_replays_queued_answers_then_echoes() -> None:
    p = FakeProvider(answers=["first answer"])
    assert isinstance(p, Provider)
    p.enqueue(["second  one "])
    assert p.complete([{"role": "user", "content": "q1"}]).text == "first answer"
    assert list(p.stream([{"role": "user", "content": "q2"}], GenParams(seed=1))) == ["second", "  one", " "]
    assert p.last_usage.completion_tokens == 2
    assert (await p.acomplete([{"role": "user", "content": "echo me"}])).text == "echo me"
    assert [c async for c in p.astream([{"role": "user", "content": "a b"}])] == ["a", " b"]
    assert [m[-1]["content"] for m in p.requests] == ["q1", "q2", "echo me", "a b"]
    assert p.params[1].seed == 1
    assert isinstance(get_provider("fake"), FakeProvider)
