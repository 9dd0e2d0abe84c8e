"""The neurosymbolic chat on the embedded model, through a pipe: it answers a math question right and leaves
a question without math exactly as the plain model answers it (slow: trains a small NS run once)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import nsllm_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # the first test builds the NS run (~9 min)


def _columns(run: Path, prompt: str, cwd: Path) -> tuple[str, str]:
    args = ["chat", "--plain", "--ns-run", str(run), "--temperature", "0", "--max-tokens", "48"]
    proc = subprocess.run(
        [sys.executable, "-m", "nsllm_cli", *args],
        input=prompt + "\n",
        capture_output=True,
        text=True,
        timeout=300,
        env=nsllm_env(),
        cwd=cwd,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    plain_at, ns_at = out.index("[plain · local:embedded]\n"), out.index("[neurosymbolic · local:embedded+ns]\n")
    return out[plain_at:ns_at].split("\n", 1)[1].strip(), out[ns_at:].split("\n", 1)[1].strip()


def test_gcd_question_gets_12_in_the_neurosymbolic_column(embedded_ns_run: Path, tmp_path: Path) -> None:
    plain, ns = _columns(embedded_ns_run, "What is the GCD of 84 and 120?", tmp_path)
    assert ns == "12", (plain, ns)


def test_the_default_run_adds_and_multiplies_exactly(embedded_ns_run: Path, tmp_path: Path) -> None:
    """The default run trains every operation (--ops all): an addition, and a product of 6 digits with no modulus
    asked (the paper's operations would have given it mod 1000 or not at all)."""
    plain, ns = _columns(embedded_ns_run, "What is 12 + 35?", tmp_path)
    assert ns == "47", (plain, ns)
    plain, ns = _columns(embedded_ns_run, "What is 656 times 236?", tmp_path)
    assert ns == "154816", (plain, ns)


def test_an_operand_longer_than_trained_leaves_the_plain_answer(embedded_ns_run: Path, tmp_path: Path) -> None:
    """1234 is past the operands the run trained on (up to 999): the gate stays shut, nothing is invented."""
    plain, ns = _columns(embedded_ns_run, "What is 1234 mod 7?", tmp_path)
    assert ns == plain


def test_a_question_without_math_gets_the_same_text_in_both_columns(embedded_ns_run: Path, tmp_path: Path) -> None:
    plain, ns = _columns(embedded_ns_run, "Name three colors.", tmp_path)
    assert plain and ns == plain


def test_closed_gate_on_shipped_non_math_prompts_keeps_logits_identical(embedded_ns_run: Path) -> None:
    """Every shipped non-math prompt, in the chat and the 2-shot format: where the gate stays shut the logits are
    bit-identical to the plain model's; and it stays shut on nearly all of them (false-open at most 2%)."""
    import torch

    from nsllm_cli.config import load_settings
    from nsllm_cli.models.resolve import load_model, resolve_model
    from nsllm_cli.ns.injection import attach
    from nsllm_cli.ns.problems import make_problem
    from nsllm_cli.ns.prompts import few_shot_examples, messages_for, render_prompt
    from nsllm_cli.providers.ns_local import load_ns_run

    s = load_settings(None, model="embedded")
    model, tok = load_model(resolve_model(s.model, cache=s.cache_dir), device="cpu", dtype="float32")
    ns = load_ns_run(embedded_ns_run, model, tok)
    data = Path(__file__).resolve().parents[1] / "data" / "non_math_prompts.txt"
    texts = [line.strip() for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
    shots = few_shot_examples(make_problem("gcd", 120, 84), seed=0)
    opened = total = 0
    for fmt in ("chat", "two-shot"):
        for i in range(0, len(texts), 16):
            prompts = [render_prompt(tok, messages_for(q, fmt, shots=shots)) for q in texts[i : i + 16]]
            tok.padding_side = "left"
            enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
            with torch.no_grad():
                plain = model(**enc).logits
                with attach(model, ns):
                    hooked = model(**enc).logits
            gate = ns.last.gate
            opened += int(gate.sum())
            total += len(prompts)
            for b in range(len(prompts)):
                if not bool(gate[b]):
                    assert torch.equal(plain[b], hooked[b]), texts[i + b]
    assert total == 2 * len(texts) >= 400
    assert opened <= 0.02 * total, f"the gate opened on {opened} of {total} non-math prompts"
