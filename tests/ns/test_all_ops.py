"""`--ops all`: subtraction (negative results, written with a minus) and power modulo, beside the paper's operations.

The data side (wordings, operand roles, negatives that no longer contradict a trained operation), the write side (the
minus code) and the symbolic step (never raising, never writing what it cannot spell).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import torch

from nsllm_cli.ns.problems import ALL_TYPES, PROBLEM_TYPES, apply, make_problem, resolve_ops
from nsllm_cli.ns.sampling import training_problems
from nsllm_cli.ns.steps.model import StepwiseNS
from nsllm_cli.ns.steps.read_data import reader_items
from nsllm_cli.ns.steps.reader import SpanReader
from nsllm_cli.ns.steps.writer import StepWriter, digit_codes, end_code, minus_code, step_codes
from nsllm_cli.ns.vsa import VSA
from nsllm_cli.ns.wordings import negatives, phrase
from nsllm_cli.ns.wordings._asks import asks
from nsllm_cli.ns.wordings._minimal import trained_pairs

MINUS_WORDS = re.compile(r"\bminus\b|subtract|take away|difference|\s-\s", re.IGNORECASE)
POWER_WORDS = re.compile(r"power|\*\*|\bpow\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def tiny_tokenizer(tiny_dir: Any) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_dir))


@pytest.fixture(scope="module")
def vsa() -> VSA:
    return VSA.generate(types=PROBLEM_TYPES, dim=512, seed=0, max_digits=6)


def _ns(vsa: VSA, types: tuple[str, ...], max_steps: int = 7) -> StepwiseNS:
    reader = SpanReader(d_model=8, n_slots=1, digit_slots=[0], type_slots=[0], ood_slot=0, n_types=len(types))
    return StepwiseNS(
        vsa, reader, StepWriter(vsa.dim, 8), types=types, read_layers=[0], write_layer=1, header=[],
        max_steps=max_steps,
    )  # fmt: skip


def test_the_operations_compute_exactly() -> None:
    assert apply("subtraction", 5, 12) == -7 and apply("subtraction", 900, 1) == 899
    assert apply("power_mod", 3, 200, 1000) == pow(3, 200, 1000) and apply("power_mod", 2, 10) == 1024
    with pytest.raises(OverflowError):
        apply("power_mod", 999, 999)  # no modulus: 2 997 digits, never computed
    p = make_problem("power_mod", 7, 5)
    assert (p.question, p.solution, p.modulus) == ("What is 7^5 mod 1000?", 16807 % 1000, 1000)
    assert make_problem("power_mod", 7, 5, modulus=13).solution == pow(7, 5, 13)


def test_a_negative_result_is_written_minus_first(vsa: VSA) -> None:
    codes, lengths = step_codes(vsa, torch.tensor([-47, 47, -5]), steps=7)
    assert lengths.tolist() == [4, 3, 3]
    book, end, minus = digit_codes(vsa), end_code(vsa), minus_code(vsa)
    assert torch.allclose(codes[0, 0], minus) and torch.allclose(codes[0, 3], end)
    assert (codes[0, 1:3] @ book.T).argmax(-1).tolist() == [4, 7]
    assert torch.allclose(codes[1, 0], codes[0, 1]) and not torch.allclose(codes[1, 0], minus)
    assert float((book @ minus).abs().max()) < 0.3 and float((end @ minus).abs()) < 0.3  # its own code
    assert codes[2, 3:].abs().sum() == 0


def test_the_symbolic_step_for_the_new_operations(vsa: VSA) -> None:
    ns = _ns(vsa, ("subtraction", "power_mod", "gcd"))
    d = ns.truth([("subtraction", 5, 12, None), ("power_mod", 3, 200, 1000), ("power_mod", 999, 999, None),
                  ("power_mod", 2, 10, None), ("power_mod", 9, 30, 7)])  # fmt: skip
    assert d.result.tolist() == [-7, pow(3, 200, 1000), 0, 0, pow(9, 30, 7)]
    assert d.gate.tolist() == [True, True, False, False, True]
    # a power modulo read without its modulus ("pow(956, 2) % 631" with the 631 missed) is not written as a power
    assert [d.item(b, ns.types)["reason"] for b in range(5)] == ["open", "open", "no modulus read",
                                                                 "no modulus read", "open"]  # fmt: skip
    assert _symbolic_never_raises()
    unsigned = _ns(vsa, ("gcd", "modulo"))
    assert unsigned.unwritable(-7) == "negative result" and ns.unwritable(-7) is None
    assert _ns(vsa, ("subtraction",), max_steps=3).unwritable(-47) == "result too long"  # sign + 2 digits + end


def _symbolic_never_raises() -> bool:
    from nsllm_cli.ns.steps.model import _symbolic

    return _symbolic("power_mod", 999, 999, None) is None and _symbolic("power_mod", 2, 10, None) == 1024


def test_subtraction_roles_follow_the_meaning() -> None:
    verbs = [t for t in trained_pairs()["subtraction"] if t.startswith("Subtract")]
    assert verbs and all(t.index("{y}") < t.index("{x}") for t in verbs)  # "Subtract {y} from {x}."
    rng = np.random.default_rng(0)
    seen = 0
    for _ in range(300):
        w = phrase(make_problem("subtraction", 84, 9), rng)
        roles = {role: w.text[a:b] for a, b, role in w.spans if role in ("x", "y")}
        assert roles == {"x": "84", "y": "9"}, w.text
        seen += "from 84" in w.text
    assert seen > 0  # the subtrahend first, read by its role


def test_power_mod_wordings_label_the_modulus() -> None:
    rng = np.random.default_rng(1)
    for split in ("train", "heldout"):
        for modulus in (1000, 37):
            w = phrase(make_problem("power_mod", 12, 5, modulus=modulus), rng, split=split)
            roles = {role: w.text[a:b] for a, b, role in w.spans if role != "other"}
            assert roles == {"x": "12", "y": "5", "m": str(modulus)}, w.text


def test_negatives_never_ask_a_trained_operation() -> None:
    rng = np.random.default_rng(2)
    plain = negatives(3000, rng)
    assert any(MINUS_WORDS.search(w.text) for w in plain) and any(POWER_WORDS.search(w.text) for w in plain)
    trained = negatives(3000, rng, trained=ALL_TYPES)
    assert not [w.text for w in trained if MINUS_WORDS.search(w.text) or POWER_WORDS.search(w.text)]
    assert asks("What is {num} minus {num2}?") == {"subtraction"} and asks("Compute {b}**{p}.") == {"power_mod"}
    assert asks("Is {a} prime?") == frozenset()


def test_reader_items_of_all_operations() -> None:
    items = reader_items(n_pos=240, n_neg=80, seed=0, split="train", types=resolve_ops("all"))
    positives = [it for it in items if it.problem_type is not None]
    assert {it.problem_type for it in positives} == set(ALL_TYPES)
    subtraction = [it for it in positives if it.problem_type == "subtraction"]
    assert any(int(it.solution or 0) < 0 for it in subtraction)
    for it in positives:
        assert it.solution == apply(str(it.problem_type), int(it.x or 0), int(it.y or 0), it.modulus)
        marked = [it.question[a:b] for a, b, role in it.spans if role == "m"]
        assert marked == ([str(it.modulus)] if it.modulus else []), it.question
    for it in items[len(positives) :]:
        assert not MINUS_WORDS.search(it.question) and not POWER_WORDS.search(it.question), it.question


def test_training_problems_of_the_new_operations() -> None:
    problems = training_problems(200, seed=0, types=["subtraction", "power_mod"], mixed_moduli=True)
    sub = [p for p in problems if p.problem_type == "subtraction"]
    power: list[Any] = [p for p in problems if p.problem_type == "power_mod"]
    assert any(p.solution < 0 for p in sub) and any(p.solution == 0 for p in sub)
    assert all(p.modulus is not None for p in power) and len({p.modulus for p in power}) > 20
    assert any(p.solution == 0 for p in power)


def test_bench_asks_the_operations_an_ns_run_trains(tmp_path: Any) -> None:
    import json

    from nsllm_cli.ns.bench_questions import run_types, test_problems

    def run(name: str, meta: Any) -> Any:
        folder = tmp_path / name / "artifacts" / "ns"
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(json.dumps({"meta": meta}))
        (folder.parent / "training_keys.json").write_text("[]")  # the questions it saw: none to leave out
        return tmp_path / name

    all_ops, paper, broken = run("all", {"types": list(ALL_TYPES)}), run("paper", {"types": ["gcd"]}), run("x", [])
    assert run_types([]) == run_types([paper]) == run_types([broken, tmp_path / "lora"]) == PROBLEM_TYPES
    assert run_types([paper, all_ops]) == ALL_TYPES
    asked = test_problems(None, per_type=10, seed=0, complexity=2, runs=[all_ops], wording="heldout")
    assert [p.problem_type for p in asked[-20:]] == ["subtraction"] * 10 + ["power_mod"] * 10
    assert [p.modulus for p in asked if p.problem_type == "multiplication"] == [1000, None] * 5
    assert any(p.solution < 0 for p in asked if p.problem_type == "subtraction")  # negative results are asked
    assert all(p.x > p.y for p in asked if p.problem_type != "subtraction")  # the paper's x > y elsewhere


@pytest.mark.parametrize(
    ("text", "negative"),
    [
        ("What is -5 + 3?", [True, False]),
        ("What is 12 - 5?", [False, False]),
        ("12-5=", [False, False]),
        ("2^-3 mod 7", [False, True, False]),
        ("(-12) * 4", [True, False]),
        ("What is 5 minus -3?", [False, True]),
        ("-12", [True]),
        ("From 1990-2000, 40 minus 3", [False, False, False, False]),
    ],
)
def test_a_minus_sign_before_a_number_makes_it_negative(tiny_tokenizer: Any, text: str, negative: list[bool]) -> None:
    from nsllm_cli.ns.steps.numbers import is_negative
    from nsllm_cli.ns.steps.spans import NOT_DIGIT, digit_of, minus_token_ids, number_groups

    ids = torch.tensor(tiny_tokenizer(text, add_special_tokens=False).input_ids)
    minus = torch.isin(ids, torch.tensor(minus_token_ids(tiny_tokenizer)))
    digits = torch.tensor([digit_of(tiny_tokenizer, int(i)) for i in ids])
    runs = number_groups(digits.unsqueeze(0), torch.ones((1, len(ids)), dtype=torch.bool))[0]
    assert [is_negative(run, minus, digits) for run in runs] == negative
    assert all(digits[minus] == NOT_DIGIT)  # a minus token is never a digit


def test_minus_tokens_hold_no_letter_or_digit(tiny_tokenizer: Any) -> None:
    from nsllm_cli.ns.steps.spans import minus_token_ids

    found = [tiny_tokenizer.convert_ids_to_tokens(i) for i in minus_token_ids(tiny_tokenizer)]
    assert "-" in found and "Ġ-" in found and "(-" in found
    assert not any(ch.isalnum() for token in found for ch in token.replace("Ġ", ""))


def test_other_maths_prompts_for_the_gate() -> None:
    from nsllm_cli.ns.bench_negatives import negative_prompts

    chat = negative_prompts(60, seed=0, prompt="chat", split="heldout", trained=ALL_TYPES)
    assert len(chat) == 60 and all(p.family.startswith("neg/") and "-h" in p.family for p in chat)
    assert all(p.messages == [{"role": "user", "content": p.text}] for p in chat)  # the question alone
    assert not [p.text for p in chat if MINUS_WORDS.search(p.text) or POWER_WORDS.search(p.text)]
    shot = negative_prompts(5, seed=0, prompt="two-shot", split="train")
    assert all(len(p.messages) == 6 for p in shot)  # system, two solved examples, the question
    assert negative_prompts(5, seed=0, prompt="chat", split="train") == negative_prompts(
        5, seed=0, prompt="chat", split="train"
    )
