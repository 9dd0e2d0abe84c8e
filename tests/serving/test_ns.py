"""`--ns-run`: the neurosymbolic intervention acts on the prefill of every served generation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.hooks import intervene
from nsllm_cli.serving import create_app
from tests.serving.conftest import running

QUESTION: list[ChatCompletionMessageParam] = [{"role": "user", "content": "What is 866 gcd 46?"}]


def make_ns_run(root: Path, model: Any, tok: Any, *, gate: float, trained_on: str | None = None) -> Path:
    """A run folder whose artifacts/ns hold an NS intervention for the tiny model.

    The decoder is random and scaled up, and mix 0 replaces the hidden state outright, so an open
    gate (-1e9: every type score passes) must change what the model says; a closed one (1e9) must not.
    `trained_on` replaces the recorded model's config checksum (a run of another model).
    """
    from nsllm_cli.ns.activations import model_fingerprint
    from nsllm_cli.ns.paper.intervention import NSIntervention
    from nsllm_cli.ns.paper.store import save_ns
    from nsllm_cli.ns.problems import PROBLEM_TYPES
    from nsllm_cli.ns.vsa import VSA

    d = int(model.config.hidden_size)
    vsa = VSA.generate(types=PROBLEM_TYPES, dim=256, seed=0)
    gen = torch.Generator().manual_seed(0)
    enc, dec = torch.randn(256, d, generator=gen) * 0.1, torch.randn(d, 256, generator=gen) * 50.0
    ns = NSIntervention(vsa, enc, dec, layer=1, gate=gate, mix=0.0)
    run = root / f"finetune-gate{gate:g}"
    fingerprint = model_fingerprint(model, tok)
    if trained_on is not None:
        fingerprint["config_sha256"] = trained_on
    save_ns(run / "artifacts" / "ns", ns, meta={"model": fingerprint})
    return run


@pytest.fixture(scope="module")
def open_run(tmp_path_factory: pytest.TempPathFactory, tiny_model: tuple[Any, Any]) -> Path:
    return make_ns_run(tmp_path_factory.mktemp("ns"), *tiny_model, gate=-1e9)


def _answer(app_model: Any, tok: Any, ns: Any, model_id: str) -> str:
    with running(create_app(app_model, tok, model_id=model_id, ns=ns)) as url:
        client = OpenAI(base_url=url, api_key="x", max_retries=0, timeout=120)
        assert [m.id for m in client.models.list()] == [model_id]
        resp = client.chat.completions.create(model=model_id, messages=QUESTION, max_tokens=10, temperature=0)
        return resp.choices[0].message.content or ""


def test_ns_intervention_changes_the_greedy_answer(open_run: Path, tiny_model: tuple[Any, Any]) -> None:
    from nsllm_cli.ns.store import load_ns

    model, tok = tiny_model
    plain = _answer(model, tok, None, "tiny")
    ns, _ = load_ns(open_run / "artifacts" / "ns")
    served = _answer(model, tok, ns, "tiny+ns")
    assert ns.last is not None and bool(ns.last.gate.all())  # the hook ran, at the last prompt token, gate open
    assert served != plain
    # exactly what the intervention on the prefill gives when applied by hand
    enc = tok.apply_chat_template(QUESTION, add_generation_prompt=True, return_dict=True, return_tensors="pt")
    with torch.inference_mode(), intervene(model, ns.layer, ns.hook_fn) as handle:
        handle.position = enc["input_ids"].shape[1] - 1
        out = model.generate(**enc, max_new_tokens=10, do_sample=False, pad_token_id=tok.pad_token_id)
    assert served == tok.decode(out[0, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    # the hook was removed after each request: the plain model is untouched afterwards
    assert _answer(model, tok, None, "tiny") == plain


def test_closed_gate_leaves_the_answer_alone(tmp_path: Path, tiny_model: tuple[Any, Any]) -> None:
    from nsllm_cli.ns.store import load_ns

    model, tok = tiny_model
    ns, _ = load_ns(make_ns_run(tmp_path, model, tok, gate=1e9) / "artifacts" / "ns")
    assert _answer(model, tok, ns, "tiny+ns") == _answer(model, tok, None, "tiny")
    assert ns.last is not None and not bool(ns.last.gate.any())


def test_ns_run_without_artifacts_is_a_one_line_error(tmp_path: Path) -> None:
    run = tmp_path / "finetune-unfinished"
    (run / "artifacts").mkdir(parents=True)
    result = CliRunner().invoke(app, ["serve", "--model", "tiny", "--port", "0", "--ns-run", str(run)])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert str(run) in lines[0] and "artifacts/ns" in lines[0]
