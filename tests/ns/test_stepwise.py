"""The step-wise NS model: step codes, question spans, token labels, the hook's exact no-change and write
placement, generation, save/load, and the whole steps pipeline through the CLI on the tiny model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from nsllm_cli.cli import app
from nsllm_cli.ns.problems import PROBLEM_TYPES, TRAIN_TYPES, make_problem
from nsllm_cli.ns.steps.model import StepDecoded, StepwiseNS
from nsllm_cli.ns.steps.read_data import problem_item, reader_items
from nsllm_cli.ns.steps.reader import SpanReader
from nsllm_cli.ns.steps.spans import (
    NO_ROLE,
    NOT_DIGIT,
    ROLES,
    digit_token_ids,
    query_start,
    token_labels,
    user_header_ids,
)
from nsllm_cli.ns.steps.writer import StepWriter, answer_digits, digit_codes, end_code, step_codes
from nsllm_cli.ns.vsa import VSA

runner = CliRunner()


@pytest.fixture(scope="module")
def vsa() -> VSA:
    return VSA.generate(types=PROBLEM_TYPES, dim=512, seed=0)


@pytest.fixture(scope="module")
def tiny(tiny_dir: Path) -> tuple[Any, Any]:
    from nsllm_cli.models.resolve import load_model, resolve_model

    return load_model(resolve_model(str(tiny_dir), cache=tiny_dir.parent), device="cpu", dtype="float32")


def test_step_codes_unbind_digits_left_to_right_then_end(vsa: VSA) -> None:
    digits, length = answer_digits(vsa, torch.tensor([306, 7, 0, 1000]))
    assert length.tolist() == [3, 1, 1, 4]
    codes, lengths = step_codes(vsa, torch.tensor([306, 7]), steps=6)
    assert lengths.tolist() == [4, 2]
    book = digit_codes(vsa)
    assert (codes[0, :3] @ book.T).argmax(-1).tolist() == [3, 0, 6]
    assert float(codes[0, :3].abs().max()) < 0.2  # every digit code is dense, 0 too (X^0 = δ is not used)
    assert (codes[1, :1] @ book.T).argmax(-1).tolist() == [7]
    end = end_code(vsa)
    assert torch.allclose(codes[0, 3], end) and torch.allclose(codes[1, 1], end)
    assert float((book @ end).abs().max()) < 0.3  # the end code is not a digit
    assert codes[0, 4:].abs().sum() == 0 and codes[1, 2:].abs().sum() == 0  # nothing past the end


def test_user_header_and_query_start_find_the_last_user_turn(tiny: tuple[Any, Any]) -> None:
    _, tok = tiny
    header = user_header_ids(tok)
    assert tok.decode(header) == "<|im_start|>user"
    item = problem_item(make_problem("gcd", 120, 84), "two-shot", None, seed=0)
    prompt = tok.apply_chat_template(item.messages, tokenize=False, add_generation_prompt=True)
    ids = tok(prompt, add_special_tokens=False).input_ids
    start = query_start(ids, header)
    assert tok.decode(ids[start:]).strip().startswith("What is the GCD of 120 and 84?")
    assert query_start([5, 6, 7], header) == 0


def test_token_labels_mark_digits_and_operand_roles(tiny: tuple[Any, Any]) -> None:
    _, tok = tiny
    item = problem_item(make_problem("square_mod", 933, 81), "chat", None, seed=0)
    prompt = tok.apply_chat_template(item.messages, tokenize=False, add_generation_prompt=True)
    ids = tok(prompt, add_special_tokens=False).input_ids
    start = query_start(ids, user_header_ids(tok))
    digits, roles = token_labels(tok, prompt, ids, start, item.question, item.spans)
    pieces = [tok.decode([i]) for i in ids[start:]]
    labelled = [(p, d, r) for p, d, r in zip(pieces, digits, roles, strict=True) if d != NOT_DIGIT]
    assert [(p, ROLES[r]) for p, _, r in labelled] == [
        ("9", "x"), ("3", "x"), ("3", "x"), ("2", "other"), ("8", "y"), ("1", "y"),
    ]  # fmt: skip
    assert all(r == NO_ROLE for d, r in zip(digits, roles, strict=True) if d == NOT_DIGIT)


def test_only_ascii_digit_tokens_are_digits(tiny: tuple[Any, Any]) -> None:
    """Byte-level BPE spells the byte 0xB2 as '²' (the second byte of '²' and of 'ò'): not a digit, no crash."""
    _, tok = tiny
    from nsllm_cli.ns.steps.spans import digit_of

    text = "680² mod 497, sò ³ ¹ ٣"
    found = [digit_of(tok, i) for i in tok(text, add_special_tokens=False).input_ids]
    assert [d for d in found if d != NOT_DIGIT] == [6, 8, 0, 4, 9, 7]


def test_commutative_operands_are_labelled_in_reading_order() -> None:
    from nsllm_cli.ns import wordings

    rng = __import__("numpy").random.default_rng(0)
    for _ in range(200):
        wording = wordings.phrase(make_problem("gcd", 900, 59), rng)
        item = problem_item(make_problem("gcd", 900, 59), "chat", wording, seed=0)
        (xa, xb), (ya, yb) = ((a, b) for a, b, r in sorted(item.spans) if r in ("x", "y"))
        assert (int(item.question[xa:xb]), int(item.question[ya:yb])) == (item.x, item.y)
        assert {item.x, item.y} == {900, 59}


def _ns(model: Any, tok: Any, vsa: VSA, *, open_gate: bool) -> StepwiseNS:
    d = int(model.config.hidden_size)
    reader = SpanReader(d_model=d, n_slots=1, digit_slots=[0], type_slots=[0], ood_slot=0, n_types=len(TRAIN_TYPES))
    writer = StepWriter(vsa.dim, d)
    with torch.no_grad():
        writer.decoder.weight.normal_(0, 5.0, generator=torch.Generator().manual_seed(0))
    ns = StepwiseNS(
        vsa, reader, writer, types=TRAIN_TYPES, read_layers=[0], write_layer=1, header=user_header_ids(tok),
        digit_ids=digit_token_ids(tok),
    )  # fmt: skip
    if open_gate:  # a fixed read, as training feeds it: gcd(120, 84) -> 12
        t = torch.tensor([TRAIN_TYPES.index("gcd")])
        ns.forced = ns.compute(
            t, torch.ones(1), torch.tensor([120]), torch.tensor([84]), torch.ones(1, dtype=torch.bool)
        )
    return ns


def _logits(model: Any, ids: torch.Tensor, ns: StepwiseNS | None, position: int | None = None) -> torch.Tensor:
    from nsllm_cli.ns.injection import attach

    with torch.no_grad():
        if ns is None:
            out: torch.Tensor = model(input_ids=ids).logits
            return out
        with attach(model, ns) as handle:
            handle.position = position
            hooked: torch.Tensor = model(input_ids=ids).logits
            return hooked


def test_closed_gate_gives_bit_identical_logits(tiny: tuple[Any, Any], vsa: VSA) -> None:
    model, tok = tiny
    ns = _ns(model, tok, vsa, open_gate=False)
    with torch.no_grad():
        ns.reader.type_head.linear.bias.fill_(0)
        ns.reader.type_head.linear.bias[-1] = 100.0  # the reader says "none" for everything
    for text in ("Name three colors.", "What is the GCD of 84 and 120?", "Is $499 a good price for a bike?"):
        ids = tok.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=True,
                                      return_tensors="pt", return_dict=True)["input_ids"]  # fmt: skip
        assert torch.equal(_logits(model, ids, ns), _logits(model, ids, None))
        assert ns.last is not None and not bool(ns.last.gate.any())


def test_open_gate_writes_from_the_last_prompt_token_on_only(tiny: tuple[Any, Any], vsa: VSA) -> None:
    model, tok = tiny
    ns = _ns(model, tok, vsa, open_gate=True)
    ids = tok("What is the GCD of 120 and 84? 1 2 <|im_end|>", return_tensors="pt").input_ids
    p = ids.shape[1] - 5
    plain, hooked = _logits(model, ids, None), _logits(model, ids, ns, position=p)
    assert torch.equal(plain[:, :p], hooked[:, :p])  # nothing before the last prompt token changes
    changed = [bool((plain[0, t] != hooked[0, t]).any()) for t in range(p, ids.shape[1])]
    assert changed[:3] == [True, True, True]  # "1", "2", end: three steps written
    assert ns.last is not None and ns.last.result.tolist() == [12]


def test_generation_writes_one_step_code_per_new_token(tiny: tuple[Any, Any], vsa: VSA) -> None:
    from nsllm_cli.ns.injection import attach

    model, tok = tiny
    ns = _ns(model, tok, vsa, open_gate=True)
    enc = tok("What is the GCD of 120 and 84?", return_tensors="pt")
    kwargs = {"max_new_tokens": 5, "do_sample": False, "pad_token_id": tok.pad_token_id}
    with torch.no_grad(), attach(model, ns) as handle:
        hooked = model.generate(**enc, **kwargs)
        calls = handle.applied
    plain = model.generate(**enc, **kwargs)
    assert calls == 5  # the prefill and each decode step
    assert ns._step == 5 and not torch.equal(hooked, plain)


def test_save_and_load_round_trip_and_refuse_other_atoms(tiny: tuple[Any, Any], vsa: VSA, tmp_path: Path) -> None:
    from nsllm_cli.errors import ArtifactError
    from nsllm_cli.ns.steps.store import save_stepwise
    from nsllm_cli.ns.store import load_ns

    model, tok = tiny
    ns = _ns(model, tok, vsa, open_gate=False)
    save_stepwise(tmp_path / "ns", ns, meta={"note": "x"})
    loaded, manifest = load_ns(tmp_path / "ns")
    assert isinstance(loaded, StepwiseNS) and manifest["meta"]["recipe"] == "steps"
    assert torch.equal(loaded.writer.decoder.weight, ns.writer.decoder.weight)
    assert loaded.read_layers == [0] and loaded.layer == 1 and loaded.header == ns.header
    assert loaded.digit_ids == ns.digit_ids and len(ns.digit_ids) == 10
    VSA.generate(types=PROBLEM_TYPES, dim=512, seed=1).save(tmp_path / "ns" / "vsa_atoms")
    with pytest.raises(ArtifactError, match="checksum|another vsa_atoms"):
        load_ns(tmp_path / "ns")


def test_reader_items_mix_formats_and_keep_unseen_types_out() -> None:
    items = reader_items(n_pos=200, n_neg=80, seed=0, split="train")
    assert sum(it.problem_type is None for it in items) == 80
    assert {it.fmt for it in items} == {"two-shot", "chat", "multi"}
    assert not {it.problem_type for it in items} & {"addition", "division"}
    paper = [it for it in items if it.family.endswith("/paper")]
    assert {"two-shot", "chat"} <= {it.fmt for it in paper}  # "What is 84 mod 5?" is typed into chats too
    held = reader_items(n_pos=100, n_neg=0, seed=0, split="heldout")
    from nsllm_cli.ns.wordings import heldout_family

    assert all(heldout_family(it.family) for it in held)


def test_steps_pipeline_through_the_cli(tiny_dir: Path, tmp_path: Path) -> None:
    g, t, f, b = (tmp_path / n for n in "gtfb")
    model = ["--model", str(tiny_dir)]
    args = ["gather", *model, "--ops", "paper", "--n-train", "48", "--n-val", "8", "--run-dir", str(g)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads((g / "activations" / "manifest.json").read_text())
    assert manifest["recipe"] == "steps" and manifest["read_layers"] == [0]
    assert manifest["counts"] == {"train": 48 + 19, "val": 8 + 3 + 2, "heldout": 8 + 3 + 2}  # + unseen types
    result = runner.invoke(app, ["train", "--gather", str(g), "--reader-epochs", "2", "--run-dir", str(t)])
    assert result.exit_code == 0, result.output
    assert "held-out" in result.output and (t / "artifacts" / "reader" / "manifest.json").is_file()
    assert "operation read per block" in result.output and "(chosen)" in result.output
    trained = json.loads((t / "results.json").read_text())
    assert trained["type_layers"] and trained["layer_table"] and "unseen_open" in trained["splits"]["heldout"]
    result = runner.invoke(
        app, ["finetune", *model, "--train-run", str(t), "--n-train", "16", "--steps", "2", "--run-dir", str(f)]
    )
    assert result.exit_code == 0, result.output
    keys = {tuple(k) for k in json.loads((f / "artifacts" / "training_keys.json").read_text())}
    assert len(keys) > 48
    result = runner.invoke(
        app,
        ["bench", "math", *model, "--method", "base,ns", "--ns-run", str(f), "--per-type", "2", "--prompt", "chat",
         "--wording", "heldout", "--run-dir", str(b)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    samples = [json.loads(line) for line in (b / "samples.jsonl").read_text().splitlines()]
    ns_samples = [s for s in samples if s["method"] == "ns"]
    assert all(
        "ns_read" in s and {"type", "x", "y", "gate", "score", "reason"} <= set(s["ns_read"]) for s in ns_samples
    )
    assert all(s["ns_read"]["gate"] == (s["ns_read"]["reason"] == "open") for s in ns_samples)
    assert all(s["prompt"] == "chat" and s["wording"] == "heldout" and "-h" in s["family"] for s in ns_samples)
    for s in samples:  # test questions never overlap training questions (either order for commutative types)
        assert (s["problem_type"], s["x"], s["y"]) not in keys and (s["problem_type"], s["y"], s["x"]) not in keys
    results = json.loads((b / "results.json").read_text())
    assert results["ns_errors"]["n"] == 16
    assert results["ns_errors"]["unseen_n"] == 4 and set(results["ns_errors"]["unseen_open_by_family"]) <= {
        s["family"] for s in ns_samples
    }
    zero = tmp_path / "zero"
    result = runner.invoke(
        app,
        ["bench", "math", *model, "--method", "ns", "--ns-run", str(f), "--per-type", "1", "--prompt", "chat",
         "--slice", "zero", "--run-dir", str(zero)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    sliced = [json.loads(line) for line in (zero / "samples.jsonl").read_text().splitlines()]
    assert len(sliced) == 7 and all(s["gold"] == 0 for s in sliced)  # the 7 types that can give 0
    bad = runner.invoke(app, ["bench", "math", *model, "--ns-run", str(f), "--slice", "tiny"])
    assert bad.exit_code != 0 and "unknown --slice 'tiny'" in bad.output


def test_a_closed_stepwise_decision_object_reports_no_result() -> None:
    d = StepDecoded(torch.tensor([0]), torch.tensor([0.2]), torch.tensor([5]), torch.tensor([3]),
                    torch.tensor([0]), torch.tensor([False]))  # fmt: skip
    assert d.item(0, TRAIN_TYPES)["result"] is None and d.item(0, TRAIN_TYPES)["gate"] is False


def test_oracle_truth_opens_the_gate_on_trained_types_only(tiny: tuple[Any, Any], vsa: VSA) -> None:
    model, tok = tiny
    ns = _ns(model, tok, vsa, open_gate=False)
    d = ns.truth([("gcd", 120, 84, None), ("addition", 5, 3, None), ("square_mod", 12, 5, None),
                  ("multiplication", 65, 23, None), ("multiplication", 65, 23, 1000), ("lcm", 12, 18, 7)])  # fmt: skip
    assert d.gate.tolist() == [True, False, True, True, True, True]
    assert d.result.tolist() == [12, 0, 4, 1495, 495, 1]
    assert d.item(4, TRAIN_TYPES)["m"] == 1000 and d.item(3, TRAIN_TYPES)["m"] is None


def test_a_result_the_writer_cannot_spell_shuts_the_gate_with_the_reason(tiny: tuple[Any, Any], vsa: VSA) -> None:
    model, tok = tiny
    d = int(model.config.hidden_size)
    types = ("addition", "gcd")
    reader = SpanReader(d_model=d, n_slots=1, digit_slots=[0], type_slots=[0], ood_slot=0, n_types=len(types))
    ns = StepwiseNS(
        vsa, reader, StepWriter(vsa.dim, d), types=types, read_layers=[0], write_layer=1,
        header=user_header_ids(tok), max_steps=3,
    )  # fmt: skip
    decided = ns.truth(
        [("addition", 60, 50, None), ("addition", 6, 5, None), ("gcd", 120, 84, None), ("modulo", 7, 5, None)]
    )
    assert decided.gate.tolist() == [False, True, True, False]  # 110 needs 3 digit steps + the end: only 2 + 1 here
    assert decided.result.tolist() == [0, 11, 12, 0]  # nothing half-written
    reasons = [decided.item(b, types)["reason"] for b in range(4)]
    assert reasons == ["result too long", "open", "open", "shut"]
    assert ns.unwritable(-3) == "negative result" and ns.unwritable(99) is None
    assert StepwiseNS(
        vsa, reader, StepWriter(vsa.dim, d), types=types, read_layers=[0], write_layer=1,
        header=user_header_ids(tok), max_steps=9,
    ).unwritable(10**vsa.max_digits) == "result too long"  # fmt: skip  # more digits than the atoms' slots


def test_shuffled_results_go_to_other_open_items_only() -> None:
    d = StepDecoded(torch.tensor([0, 1, 2, 3]), torch.ones(4), torch.tensor([5, 6, 7, 8]), torch.tensor([1, 2, 3, 4]),
                    torch.tensor([10, 20, 30, 40]), torch.tensor([True, True, False, True]))  # fmt: skip
    for seed in range(5):
        out = StepwiseNS._shuffled(d, torch.Generator().manual_seed(seed))
        assert out.result[2] == 30  # a closed item keeps its (unused) result
        moved = out.result[[0, 1, 3]].tolist()
        assert sorted(moved) == [10, 20, 40] and all(a != b for a, b in zip(moved, [10, 20, 40], strict=True))


def test_counterfactual_counts_outputs_that_follow_the_written_result() -> None:
    from nsllm_cli.ns.bench_report import counterfactual

    read = {"type": "gcd", "x": 1, "y": 1, "score": 1.0, "gate": True}
    records = [
        {"gold": 12, "output": "30", "correct": False, "ns_read": {**read, "result": 30}},
        {"gold": 7, "output": "7", "correct": True, "ns_read": {**read, "result": 44}},
        {"gold": 5, "output": "5", "correct": True, "ns_read": {**read, "result": 5}},  # same result: not counted
        {"gold": 9, "output": "3", "correct": False, "ns_read": {**read, "gate": False, "result": None}},
    ]
    assert counterfactual(records) == {"n": 2, "follows_injection": 0.5, "says_gold": 0.5}
