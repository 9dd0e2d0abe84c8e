"""`--model nsllm/<model>`: nsllm's local models and the neurosymbolic model `nsllm/ns:<run>` as an Inspect provider."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("inspect_ai")

from inspect_ai import eval as inspect_eval_api  # noqa: E402
from inspect_ai.model import ChatMessageUser, GenerateConfig, get_model  # noqa: E402

from nsllm_cli.errors import ModelNotFoundError  # noqa: E402
from nsllm_cli.inspect_ext.math_task import math  # noqa: E402
from nsllm_cli.inspect_ext.model_api import provider_spec  # noqa: E402
from tests.providers.ns_runs import make_tiny_ns_run  # noqa: E402


def answers(model: str, log_dir: Path) -> list[str]:
    """The model's answers to the first three questions of nsllm/math (two-shot, paper wording)."""
    [log] = inspect_eval_api(
        math(per_type=1, limit=3), model=get_model(model, device="cpu", dtype="float32"), log_dir=str(log_dir),
        display="none",
    )  # fmt: skip
    assert log.status == "success" and log.samples is not None
    return [s.output.completion for s in sorted(log.samples, key=lambda s: int(s.id))]


def test_the_ns_model_answers_otherwise_and_a_shut_gate_changes_nothing(
    tmp_path: Path, tiny_dir: Path, model_cache: Path
) -> None:
    """`nsllm/ns:<run>` is the tiny model with the run's hook: an open gate changes its answers, a shut one does not."""
    opened = make_tiny_ns_run(tmp_path, "open", model_cache=model_cache)
    shut = make_tiny_ns_run(tmp_path, "shut", model_cache=model_cache, gate=1e9)
    plain = answers("nsllm/tiny", tmp_path / "plain")
    assert answers(f"nsllm/ns:{opened}", tmp_path / "open") != plain
    assert answers(f"nsllm/ns:{shut}", tmp_path / "shut") == plain


async def test_generate_reports_usage_and_the_length_stop(tiny_dir: Path) -> None:
    model = get_model("nsllm/tiny", device="cpu", dtype="float32")
    out = await model.generate([ChatMessageUser(content="What is 12 gcd 8?")], config=GenerateConfig(max_tokens=3))
    assert out.usage is not None and out.usage.output_tokens <= 3 and out.usage.input_tokens > 5
    if out.usage.output_tokens == 3:
        assert out.stop_reason == "max_tokens"


def test_provider_spec_names_local_and_ns_models(tiny_dir: Path) -> None:
    assert provider_spec("embedded") == "local:embedded"
    assert provider_spec(str(tiny_dir)) == f"local:{tiny_dir}"
    assert provider_spec("HuggingFaceTB/SmolLM2-135M-Instruct") == "local:HuggingFaceTB/SmolLM2-135M-Instruct"
    assert provider_spec("ns:runs/demo/finetune") == "ns:runs/demo/finetune"
    with pytest.raises(ModelNotFoundError, match="unknown model 'gpt-4o'"):
        provider_spec("gpt-4o")  # API models have their own Inspect providers (openai/gpt-4o)
    with pytest.raises(ValueError, match="empty model name"):
        provider_spec(" ")
