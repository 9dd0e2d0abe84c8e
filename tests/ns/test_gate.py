"""The gate's parts: the pooled type read, the open-set test, the reasons a gate stays shut, old readers refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from nsllm_cli.ns.problems import PROBLEM_TYPES, TRAIN_TYPES
from nsllm_cli.ns.steps.open_set import OpenSet, auroc
from nsllm_cli.ns.steps.reader import ReadOut, SpanReader
from nsllm_cli.ns.steps.type_read import TypeHead, family_folds, open_rate, out_of_family_probs
from nsllm_cli.ns.vsa import VSA


def _clusters(n: int, centres: torch.Tensor, seed: int, spread: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    labels = torch.arange(centres.shape[0]).repeat_interleave(n)
    return centres[labels] + spread * torch.randn((len(labels), centres.shape[1]), generator=gen), labels


def test_open_set_flags_a_cluster_it_never_saw() -> None:
    gen = torch.Generator().manual_seed(0)
    centres = 6 * torch.randn((4, 32), generator=gen)
    x, y = _clusters(60, centres[:3], seed=1)  # three trained types
    test = OpenSet.fit(x, y, n_types=3)
    known, _ = _clusters(30, centres[:3], seed=2)
    unknown, _ = _clusters(30, centres[3:], seed=3)  # a type never fitted
    s_known, s_unknown = test.score(known), test.score(unknown)
    assert auroc(s_known, s_unknown) > 0.99
    test.threshold = float(s_known.quantile(0.97))
    assert float((s_unknown > test.threshold).float().mean()) > 0.9
    assert auroc(s_known, s_known) == pytest.approx(0.5)  # the metric can fail


def test_type_head_reads_separable_types_and_folds_hold_whole_families() -> None:
    centres = 4 * torch.randn((9, 16), generator=torch.Generator().manual_seed(4))
    x, y = _clusters(40, centres, seed=5)
    head = TypeHead.fit(x, y, n_types=8)
    probs = head.probs(x)
    assert float((probs.argmax(-1) == y).float().mean()) > 0.95
    assert open_rate(probs, n_types=8, gate=0.5)[y == 8].float().mean() < 0.05  # the *none* class stays shut
    families = [f"fam-{i % 12}" for i in range(len(y))]
    folds = family_folds(families)
    assert all(len({int(folds[i]) for i in range(len(y)) if families[i] == f}) == 1 for f in set(families))
    oof = out_of_family_probs(x, y, folds, n_types=8)
    assert oof.shape == (len(y), 9) and torch.allclose(oof.sum(-1), torch.ones(len(y)))


def _stepwise(read: ReadOut, complexity: int = 2) -> Any:
    from nsllm_cli.ns.steps.model import StepwiseNS
    from nsllm_cli.ns.steps.writer import StepWriter

    vsa = VSA.generate(types=PROBLEM_TYPES, dim=256, seed=0, max_digits=6)
    reader = SpanReader(d_model=8, n_slots=1, digit_slots=[0], type_slots=[0], ood_slot=0, n_types=len(TRAIN_TYPES))

    def fixed(feats: Any, gate: float = 0.9, digit_ok: Any = None, minus: Any = None) -> ReadOut:
        return read

    reader.read = fixed  # type: ignore[method-assign]
    return StepwiseNS(
        vsa, reader, StepWriter(vsa.dim, 8), types=TRAIN_TYPES, read_layers=[0], write_layer=1, header=[],
        complexity=complexity,
    )  # fmt: skip


def _read(type_name: str, x: int, y: int, others: list[int], modulus: int | None = None) -> ReadOut:
    return ReadOut(
        torch.tensor([TRAIN_TYPES.index(type_name)]), torch.tensor([0.99]), torch.tensor([0.0]), torch.tensor([x]),
        torch.tensor([y]), torch.tensor([True]), torch.tensor([True]), torch.tensor([False]), ["open"], [others],
        [modulus],
    )  # fmt: skip


def test_a_product_is_exact_unless_a_modulus_was_read() -> None:
    feats = [torch.zeros((3, 8))]
    plain = _stepwise(_read("multiplication", 656, 236, [])).decide(feats)
    assert bool(plain.gate[0]) and int(plain.result[0]) == 154_816 and plain.reason == ["open"]
    # a number that is no modulus (a year in the question) changes nothing
    dated = _stepwise(_read("multiplication", 656, 236, [2024])).decide(feats)
    assert int(dated.result[0]) == 154_816
    with_mod = _stepwise(_read("lcm", 456, 789, [1000], 1000)).decide(feats)
    assert bool(with_mod.gate[0]) and int(with_mod.result[0]) == (456 * 789 // 3) % 1000
    assert with_mod.item(0, TRAIN_TYPES)["reason"] == "open" and with_mod.item(0, TRAIN_TYPES)["m"] == 1000
    seven = _stepwise(_read("multiplication", 656, 236, [7], 7)).decide(feats)
    assert int(seven.result[0]) == 154_816 % 7


def test_reasons_for_a_shut_gate_from_the_reader() -> None:
    d = 8
    reader = SpanReader(d_model=d, n_slots=1, digit_slots=[0], type_slots=[0], ood_slot=0, n_types=len(TRAIN_TYPES))
    with torch.no_grad():  # every token reads as the digit 7; the type head says *none*
        reader.digit_head.weight.zero_()
        reader.digit_head.bias.fill_(-10.0)
        reader.digit_head.bias[7] = 10.0
        reader.type_head.linear.weight.zero_()
        reader.type_head.linear.bias.zero_()
        reader.type_head.linear.bias[-1] = 10.0
    out = reader.read([torch.randn((5, d))])
    assert out.reason == ["no operands"] and not bool(out.gate[0])  # one run of digits: one number only
    spaced = torch.randn((7, d))
    with torch.no_grad():  # tokens 0, 2, 4, 6 are digits (three numbers and more), the rest are not
        reader.digit_head.weight[7].zero_()
        reader.digit_head.weight[7, 0] = 40.0
        reader.mean.zero_()
        reader.std.fill_(1.0)
    spaced[:, 0] = torch.tensor([1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0])
    out = reader.read([spaced])
    assert out.reason[0] in ("ambiguous numbers", "no operands", "not a trained operation")
    assert not bool(out.gate[0])


def test_only_the_vocabulary_digit_tokens_are_read_as_digits() -> None:
    """The digit head reads every token as 7 here; told which tokens are digit tokens, the reader finds the two
    numbers 7 and 7 (a '²' after a number no longer becomes its last digit)."""
    d = 8
    reader = SpanReader(d_model=d, n_slots=1, digit_slots=[0], type_slots=[0], ood_slot=0, n_types=len(TRAIN_TYPES))
    with torch.no_grad():
        reader.digit_head.weight.zero_()
        reader.digit_head.bias.fill_(-10.0)
        reader.digit_head.bias[7] = 10.0
    feats = [torch.randn((5, d))]
    assert reader.read(feats).reason == ["no operands"]  # 77777: one number
    ok = torch.tensor([False, True, False, True, False])
    out = reader.read(feats, digit_ok=[ok])
    assert bool(out.found[0]) and (int(out.x[0]), int(out.y[0])) == (7, 7)
    assert reader.read(feats, digit_ok=[torch.zeros(5, dtype=torch.bool)]).reason == ["no operands"]


def test_the_ns_model_knows_its_tokenizer_digit_tokens(tiny: tuple[Any, Any]) -> None:
    from nsllm_cli.ns.steps.spans import digit_token_ids

    _, tok = tiny
    ids = digit_token_ids(tok)
    assert sorted(tok.convert_ids_to_tokens(ids)) == list("0123456789")


def test_a_reader_trained_before_the_open_set_gate_is_refused(tmp_path: Path) -> None:
    from nsllm_cli.artifacts import save_artifact
    from nsllm_cli.errors import ArtifactError
    from nsllm_cli.ns.steps.store import load_reader

    vsa = VSA.generate(types=PROBLEM_TYPES, dim=256, seed=0)
    sha = vsa.save(tmp_path / "reader" / "vsa_atoms")
    old_meta = {"in_dim": 8, "n_types": 8, "hidden": 16, "max_operand": 999}  # the pre-gate reader's manifest
    save_artifact(
        tmp_path / "reader", {"reader.mean": torch.zeros(8)}, fmt="nsllm-reader", meta=old_meta,
        depends_on={"vsa_atoms": sha},
    )  # fmt: skip
    with pytest.raises(ArtifactError, match="retrain"):
        load_reader(tmp_path / "reader")


def test_template_tail_counts_the_assistant_header(tiny: tuple[Any, Any]) -> None:
    from nsllm_cli.ns.steps.spans import template_tail

    _, tok = tiny
    tail = template_tail(tok)
    ids = tok.apply_chat_template([{"role": "user", "content": "What is 7 mod 3?"}], add_generation_prompt=True)
    ids = ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids
    text = tok.decode(ids[-tail:])
    assert 0 < tail < 10 and "?" not in text and "assistant" in text  # only the template's own tokens


def test_content_pooling_leaves_out_digits_and_the_template_tail() -> None:
    from nsllm_cli.ns.steps.reader import content_pooled
    from nsllm_cli.ns.steps.spans import NOT_DIGIT

    feats = torch.arange(6, dtype=torch.float).unsqueeze(1).repeat(1, 2)  # token t has features (t, t)
    digits = torch.tensor([NOT_DIGIT, 4, 2, NOT_DIGIT, NOT_DIGIT, NOT_DIGIT])
    out = content_pooled([feats], [digits], tail=2)
    assert out.tolist() == [[1.5, 1.5]]  # tokens 0 and 3: not the digits 1, 2, not the tail 4, 5
    assert content_pooled([feats], [torch.full((6,), 3)], tail=0).tolist() == [[2.5, 2.5]]  # all digits: all tokens


def test_a_negative_operand_shuts_the_gate() -> None:
    d = 8
    reader = SpanReader(d_model=d, n_slots=1, digit_slots=[0], type_slots=[0], ood_slot=0, n_types=len(TRAIN_TYPES))
    with torch.no_grad():  # every token the vocabulary allows reads as 7; the type head is sure of gcd
        reader.digit_head.weight.zero_()
        reader.digit_head.bias.fill_(-10.0)
        reader.digit_head.bias[7] = 10.0
        reader.type_head.linear.weight.zero_()
        reader.type_head.linear.bias.zero_()
        reader.type_head.linear.bias[TRAIN_TYPES.index("gcd")] = 10.0
    feats = [torch.randn((5, d))]
    digit_ok = [torch.tensor([False, True, False, True, False])]  # "-7 ? 7 ?": two numbers
    signed = reader.read(feats, digit_ok=digit_ok, minus=[torch.tensor([True, False, False, False, False])])
    assert signed.reason == ["negative operand"] and not bool(signed.gate[0])
    infix = reader.read(feats, digit_ok=digit_ok, minus=[torch.tensor([False, False, True, False, False])])
    assert infix.reason != ["negative operand"]  # "7-7": a minus after a digit is the operation, not a sign
    assert reader.read(feats, digit_ok=digit_ok).reason == infix.reason  # no minus ids known: nothing noticed
