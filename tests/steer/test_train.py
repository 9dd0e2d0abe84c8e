"""Steering-model training (`nsllm_cli.steer.training`): SFT and DPO with trl on the tiny model, on the CPU.

The training tests share one SFT run (module fixture) on a toy set of 8 two-round conversations whose
assistant turns are fixed strings, trained with a high learning rate so that 40 steps show a falling loss.
DPO then starts from its adapter. Data-error and qlora tests prove that nothing is loaded: the model
loader is replaced by one that fails.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from nsllm_cli.errors import ConfigError, DataError, NsllmError
from nsllm_cli.steer.training import (
    FORMAT,
    PRESETS,
    TrainReport,
    TrainSettings,
    describe_presets,
    read_manifest,
    resolve_hparams,
    sft_features,
    split_records,
    train_steerer,
    validate_dataset,
)
from nsllm_cli.steer.training import models as training_models

ANSWERS = ("<<<Code>>>", "Use code: sum 12 and 35.")
"""The fixed assistant turns of every toy conversation (round 1, round 2)."""
PROBE = [{"role": "user", "content": "Question 3: what is 3 + 4?"}]
TRAIN_HP: dict[str, Any] = {"lr": 5e-3, "grad_accum": 1, "eval_fraction": 0.0}
"""Hyper-parameter overrides of every training test (run with device="cpu")."""


def conversation(k: int) -> list[dict[str, str]]:
    return [
        {"role": "user", "content": f"Question {k}: what is {k} + {k + 1}?"},
        {"role": "assistant", "content": ANSWERS[0]},
        {"role": "user", "content": f"Execution output: {2 * k + 1}"},
        {"role": "assistant", "content": ANSWERS[1]},
    ]


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def sft_rows(n: int = 8) -> list[Any]:
    return [{"messages": conversation(k), "task": "toy", "id": f"s{k}"} for k in range(n)]


def dpo_rows(n: int = 8) -> list[Any]:
    return [
        {
            "prompt": conversation(k)[:1],
            "chosen": [{"role": "assistant", "content": ANSWERS[0]}],
            "rejected": [{"role": "assistant", "content": "<<<Text>>>"}],
            "score_chosen": 13.0,
            "score_rejected": -2.0,
            "task": "toy",
            "id": f"d{k}",
        }
        for k in range(n)
    ]


def metrics(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def probe_logits(model: Any, tok: Any) -> torch.Tensor:
    ids = tok.apply_chat_template(PROBE, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    model.eval()
    with torch.no_grad():
        logits: torch.Tensor = model(input_ids=ids["input_ids"]).logits
    return logits.detach().clone()


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """Small kernels on a shared 2-core CPU run several times faster on one thread (as in test_loop_over_http)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def no_model_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any model load fail loudly, to prove an error came before it."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a model was loaded")

    monkeypatch.setattr(training_models, "load_base", refuse)


class Recorder:
    """on_event sink: keeps every event and the probe logits of the in-memory trained model."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.logits: torch.Tensor | None = None

    def __call__(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "trained":
            self.logits = probe_logits(payload["model"], payload["tokenizer"])
            payload = {}
        self.events.append((kind, payload))

    def kinds(self) -> list[str]:
        return [k for k, _ in self.events]


@pytest.fixture(scope="module")
def sft_run(
    tiny_dir: Path, model_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[TrainReport, Recorder]:
    root = tmp_path_factory.mktemp("sft")
    data = write_jsonl(root / "sft.jsonl", sft_rows(10))
    rec = Recorder()
    hp = {**TRAIN_HP, "eval_fraction": 0.2}  # 8 conversations to train on, 2 to evaluate
    hp |= {"max_steps": 40, "logging_steps": 5, "save_steps": 20, "eval_steps": 20}
    settings = TrainSettings(
        "sft", str(tiny_dir), data, root / "out", overrides=hp, model_cache=model_cache, device="cpu"
    )
    report = train_steerer(settings, on_event=rec)
    return report, rec


# -- pure functions: no model --------------------------------------------------------------------------------------


def test_presets_follow_the_spec() -> None:
    table = describe_presets()
    paper, cpu = table["paper"], table["cpu"]
    assert (paper["sft"]["peft"], paper["sft"]["lr"], paper["sft"]["epochs"]) == ("full", 1e-5, 12)
    assert (paper["sft"]["scheduler"], paper["sft"]["warmup_ratio"]) == ("cosine", 0.1)
    assert (paper["sft"]["batch_size"], paper["sft"]["grad_accum"], paper["sft"]["max_length"]) == (1, 2, 7024)
    assert (paper["dpo"]["loss_type"], paper["dpo"]["beta"], paper["dpo"]["lr"]) == ("sigmoid", 0.1, 5e-6)
    assert (cpu["sft"]["peft"], cpu["sft"]["lr"], cpu["sft"]["epochs"]) == ("lora", 2e-4, 3)
    assert (cpu["sft"]["batch_size"], cpu["sft"]["grad_accum"], cpu["sft"]["max_length"]) == (1, 8, 4096)
    assert (cpu["sft"]["lora_r"], cpu["sft"]["lora_alpha"], cpu["sft"]["lora_dropout"]) == (16, 32, 0.05)
    assert cpu["sft"]["lora_targets"] == "all-linear"
    assert (cpu["dpo"]["lr"], cpu["dpo"]["beta"], cpu["dpo"]["loss_type"]) == (5e-6, 0.1, "sigmoid")
    for stages in PRESETS.values():
        for hp in stages.values():
            assert (hp.eval_fraction, hp.eval_steps, hp.save_steps, hp.logging_steps) == (0.1, 200, 200, 20)
    json.dumps(table)  # the CLI can print it as is


def test_resolve_hparams_applies_overrides_and_rejects_bad_ones() -> None:
    hp = resolve_hparams("dpo", "paper", {"peft": "lora", "lr": None, "lora_r": 8})
    assert (hp.peft, hp.lr, hp.lora_r, hp.beta) == ("lora", 5e-6, 8, 0.1)
    with pytest.raises(ConfigError, match="unknown hyper-parameter"):
        resolve_hparams("sft", "cpu", {"learning_rate": 1.0})
    with pytest.raises(ConfigError, match="unknown preset"):
        resolve_hparams("sft", "gpu")
    with pytest.raises(ConfigError, match="unknown training stage"):
        resolve_hparams("ppo")
    with pytest.raises(ConfigError, match="peft='adapter'.*lr=0"):
        resolve_hparams("sft", "cpu", {"peft": "adapter", "lr": 0})


def test_split_is_seeded_and_keeps_a_training_record() -> None:
    records = [{"i": i} for i in range(20)]
    train_a, eval_a = split_records(records, 0.1, seed=1)
    assert split_records(records, 0.1, seed=1) == (train_a, eval_a)
    assert len(eval_a) == 2 and len(train_a) == 18 and sorted(r["i"] for r in train_a + eval_a) == list(range(20))
    assert split_records(records[:5], 0.1, seed=1) == (records[:5], [])  # floor(0.5) = 0: no eval set
    assert len(split_records(records[:2], 0.9, seed=1)[0]) == 1


def test_validate_reports_bad_lines_with_numbers_and_keeps_the_rest(tmp_path: Path) -> None:
    rows: list[Any] = sft_rows(2)
    rows.insert(1, "{not json")
    rows.insert(2, {"messages": [{"role": "user", "content": "only a question"}]})
    rows.insert(3, {"messages": [{"role": "robot", "content": "x"}]})
    rows.insert(4, "[1, 2]")
    path = write_jsonl(tmp_path / "sft.jsonl", rows)
    check = validate_dataset("sft", path)
    assert len(check.records) == 2 and check.records[0] == {"messages": conversation(0)}
    assert [n for n, _ in check.bad] == [2, 3, 4, 5]
    reasons = dict(check.bad)
    assert "not JSON" in reasons[2] and "no assistant turn" in reasons[3]
    assert "role" in reasons[4] and "not a JSON object" in reasons[5]

    dpo = dpo_rows(2)
    dpo.append({**dpo_rows(1)[0], "prompt": conversation(0)[:2]})  # ends with an assistant turn
    dpo.append({**dpo_rows(1)[0], "rejected": dpo_rows(1)[0]["chosen"]})
    dpo.append({"prompt": PROBE, "chosen": [{"role": "user", "content": "x"}], "rejected": []})
    check = validate_dataset("dpo", write_jsonl(tmp_path / "dpo.jsonl", dpo))
    assert len(check.records) == 2 and set(check.records[0]) == {"prompt", "chosen", "rejected"}
    assert [n for n, _ in check.bad] == [3, 4, 5]
    assert "end with a user turn" in dict(check.bad)[3] and "equals" in dict(check.bad)[4]


@pytest.mark.parametrize("stage", ["sft", "dpo"])
def test_empty_or_malformed_dataset_fails_before_any_model_load(
    stage: str, tmp_path: Path, no_model_load: None
) -> None:
    cases = {
        "empty": (write_jsonl(tmp_path / "empty.jsonl", []), "empty dataset"),
        "blank": (write_jsonl(tmp_path / "blank.jsonl", ["", "   "]), "empty dataset"),
        "bad": (
            write_jsonl(tmp_path / "bad.jsonl", ["{oops", {"id": 1}, "3", {"x": 1}, {"y": 2}]),
            "no usable .* record in 5 line.*line 1: not JSON.*line 2: .*and 2 more",
        ),
        "missing": (tmp_path / "nope.jsonl", "not found"),
    }
    if stage == "dpo":  # SFT records are not DPO records
        cases["other"] = (write_jsonl(tmp_path / "sft.jsonl", sft_rows(2)), "missing field")
    for path, pattern in cases.values():
        with pytest.raises(DataError, match=pattern) as info:
            train_steerer(TrainSettings(stage, "tiny", path, tmp_path / "out", device="cpu"))  # type: ignore[arg-type]
        assert "\n" not in str(info.value)
    assert not (tmp_path / "out").exists()


def test_qlora_on_cpu_is_a_one_line_error(tmp_path: Path, no_model_load: None) -> None:
    data = write_jsonl(tmp_path / "sft.jsonl", sft_rows(2))
    with pytest.raises(NsllmError, match="qlora.*CUDA GPU") as info:
        train_steerer(TrainSettings("sft", "tiny", data, tmp_path / "out", overrides={"peft": "qlora"}, device="cpu"))
    assert "\n" not in str(info.value)


def test_init_adapter_needs_a_peft_mode(tmp_path: Path, no_model_load: None) -> None:
    data, out = write_jsonl(tmp_path / "dpo.jsonl", dpo_rows(2)), tmp_path / "out"
    with pytest.raises(ConfigError, match="model/ folder"):
        train_steerer(TrainSettings("dpo", "tiny", data, out, preset="paper", init_adapter=tmp_path, device="cpu"))
    with pytest.raises(ConfigError, match="not a peft adapter"):
        train_steerer(TrainSettings("dpo", "tiny", data, out, init_adapter=tmp_path, device="cpu"))


def test_importing_the_module_loads_nothing_heavy() -> None:
    heavy = ("torch", "transformers", "trl", "peft", "datasets", "typer", "rich", "textual")
    code = f"import sys, nsllm_cli.steer.training; print(' '.join(n for n in {heavy!r} if n in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []


# -- assistant mask (tokenizer only) ---------------------------------------------------------------------------------


def test_smollm2_template_has_no_generation_markers(tiny_dir: Path) -> None:
    """Why nsllm builds the mask itself: trl's assistant_only_loss needs {% generation %} in the template."""
    from transformers import AutoTokenizer
    from trl.chat_template_utils import has_generation_markers

    tok = AutoTokenizer.from_pretrained(str(tiny_dir))
    assert not has_generation_markers(tok.chat_template)
    assert has_generation_markers("{% generation %}{{ m }}{% endgeneration %}")


@pytest.mark.parametrize("system", [False, True])
def test_assistant_mask_covers_exactly_the_assistant_tokens(tiny_dir: Path, system: bool) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_dir))
    messages = conversation(7)
    messages[3] = {"role": "assistant", "content": "Line one\nline 2: 1234 <<<Text>>>"}
    if system:
        messages.insert(0, {"role": "system", "content": "You steer another model."})
    ids, mask = sft_features(tok, messages)
    # The same tokens as the model's own template gives (what the served model sees).
    rendered: Any = tok.apply_chat_template(messages, tokenize=True, return_dict=True)
    assert ids == list(rendered["input_ids"])
    assert len(mask) == len(ids) and set(mask) == {0, 1}
    spans: list[list[int]] = []
    for i, bit in enumerate(mask):
        if bit and (i == 0 or not mask[i - 1]):
            spans.append([])
        if bit:
            spans[-1].append(ids[i])
    assistant = [m["content"] for m in messages if m["role"] == "assistant"]
    assert [tok.decode(s) for s in spans] == [c + tok.eos_token for c in assistant]
    expected = [tok(c + tok.eos_token, add_special_tokens=False)["input_ids"] for c in assistant]
    assert spans == expected
    # Everything else (default or given system prompt, user turns, role headers, newlines) carries no label.
    unmasked = tok.decode([t for t, b in zip(ids, mask, strict=True) if not b])
    assert "Execution output: 15" in unmasked and "<|im_start|>assistant\n" in unmasked
    assert ANSWERS[0] not in unmasked and "1234" not in unmasked


def test_a_template_that_rewrites_history_is_refused(tiny_dir: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_dir))
    tok.chat_template = (
        "{% for m in messages %}{{ m['role'] }}[{{ messages | length }}]: {{ m['content'] }}\n{% endfor %}"
    )
    with pytest.raises(DataError, match="turn by turn"):
        sft_features(tok, conversation(1))


# -- training on the tiny model ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_sft_loss_is_finite_and_falls(sft_run: tuple[TrainReport, Recorder]) -> None:
    report, rec = sft_run
    records = metrics(report.metrics_path)
    losses = [r["loss"] for r in records if r["loss"] is not None]
    assert len(losses) >= 8 and all(math.isfinite(x) for x in losses)
    evals = [(r["step"], r["eval_loss"]) for r in records if r["eval_loss"] is not None]
    assert [s for s, _ in evals] == [20, 40] and all(math.isfinite(x) for _, x in evals)
    assert report.eval_loss == evals[-1][1]  # the last step's evaluation, not a second one
    assert losses[-1] < losses[0] - 0.3, losses
    assert (report.first_loss, report.last_loss) == (losses[0], losses[-1])
    fields = {"step", "total_steps", "epoch", "phase", "loss", "eval_loss", "lr", "tokens_per_s"}
    fields |= {"elapsed_s", "remaining_s", "time"}
    for r in records:
        assert fields <= set(r) and r["phase"] == "sft" and r["total_steps"] == 40
    assert records[0]["step"] == 1 and records[-1]["step"] == 40 and records[-1]["remaining_s"] == 0
    assert any(r["tokens_per_s"] for r in records)
    assert (report.global_step, report.total_steps, report.stopped) == (40, 40, False)
    assert (report.n_train, report.n_eval, report.n_truncated, report.n_dropped) == (8, 2, 0, 0)
    assert rec.kinds()[:2] == ["data", "start"] and rec.kinds()[-2:] == ["trained", "finish"]
    assert rec.kinds().count("log") == len(records) and rec.kinds().count("checkpoint") == 2


@pytest.mark.slow
def test_sft_writes_adapter_model_and_manifest(sft_run: tuple[TrainReport, Recorder], tiny_dir: Path) -> None:
    report, _ = sft_run
    out = report.out_dir
    assert report.adapter_dir == out / "adapter" and report.model_dir == out / "model"
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    assert (out / "model" / "model.safetensors").is_file() and (out / "model" / "config.json").is_file()
    assert (out / "model" / "tokenizer.json").is_file() and (out / "model" / "chat_template.jinja").is_file()
    assert sorted(p.name for p in (out / "checkpoints").iterdir() if p.is_dir()) == ["checkpoint-20", "checkpoint-40"]
    pickles = [p for p in out.rglob("*") if p.suffix in (".bin", ".pkl", ".pt", ".pth")]
    assert all(p.parent.parent.name == "checkpoints" for p in pickles)  # only the Trainer's optimizer/rng state
    assert not list(out.rglob("training_args.bin"))
    manifest = read_manifest(out)
    assert (manifest["format"], manifest["format_version"], manifest["stage"], manifest["peft"]) == (
        FORMAT,
        1,
        "sft",
        "lora",
    )
    assert manifest["created_by"].startswith("nsllm ")
    assert manifest["base_model"]["source"] == str(tiny_dir.resolve())
    assert len(manifest["dataset"]["sha256"]) == 64 and manifest["dataset"]["records"] == 10
    assert manifest["hyperparameters"]["lr"] == 5e-3 and manifest["hyperparameters"]["lora_r"] == 16
    assert manifest["outputs"] == {"adapter": "adapter", "model": "model", "metrics": str(report.metrics_path)}
    assert report.steer_spec == f"local:{out / 'model'}"
    json.dumps(report.to_dict())


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning")  # peft reads it
def test_saved_adapter_reloads_to_the_trained_model(sft_run: tuple[TrainReport, Recorder], tiny_dir: Path) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    report, rec = sft_run
    assert rec.logits is not None and report.adapter_dir is not None
    tok = AutoTokenizer.from_pretrained(str(tiny_dir))
    base = AutoModelForCausalLM.from_pretrained(str(tiny_dir), dtype=torch.float32)
    fresh = probe_logits(base, tok)
    reloaded = probe_logits(PeftModel.from_pretrained(base, str(report.adapter_dir)), tok)
    assert torch.equal(reloaded, rec.logits)
    assert not torch.allclose(fresh, rec.logits, atol=1e-3)  # training changed the model


@pytest.mark.slow
def test_merged_model_loads_through_the_project_loader_and_generates(
    sft_run: tuple[TrainReport, Recorder], model_cache: Path
) -> None:
    from nsllm_cli.models.resolve import load_model, resolve_model
    from nsllm_cli.providers.base import GenParams
    from nsllm_cli.providers.local import unload_all
    from nsllm_cli.providers.registry import get_provider

    report, rec = sft_run
    assert report.model_dir is not None and rec.logits is not None
    resolved = resolve_model(str(report.model_dir), cache=model_cache)
    assert resolved.kind == "local"
    model, tok = load_model(resolved, device="cpu", dtype="float32")
    assert torch.allclose(probe_logits(model, tok), rec.logits, atol=1e-4)  # merged = base + adapter
    provider: Any = get_provider(report.steer_spec or "", device="cpu", dtype="float32", model_cache=model_cache)
    try:
        reply = provider.complete(PROBE, GenParams(temperature=0.0, max_tokens=6))
    finally:
        unload_all()
    assert reply.usage.completion_tokens > 0


@pytest.mark.slow
def test_dpo_from_the_sft_adapter_raises_the_margin(
    sft_run: tuple[TrainReport, Recorder], tiny_dir: Path, model_cache: Path, tmp_path: Path
) -> None:
    sft, _ = sft_run
    data = write_jsonl(tmp_path / "dpo.jsonl", dpo_rows())
    rec = Recorder()
    settings = TrainSettings(
        "dpo",
        tiny_dir,
        data,
        tmp_path / "dpo",
        init_adapter=sft.out_dir,  # the SFT output folder; its adapter/ is found
        overrides={**TRAIN_HP, "max_steps": 30, "logging_steps": 5, "save_steps": 100},
        model_cache=model_cache,
        device="cpu",
    )
    report = train_steerer(settings, on_event=rec)
    records = [r for r in metrics(report.metrics_path) if r["loss"] is not None]
    assert all(r["phase"] == "dpo" for r in records)
    losses = [r["loss"] for r in records]
    margins = [r["rewards_margins"] for r in records]
    assert all(math.isfinite(x) for x in losses + margins)
    # The reference is the SFT adapter itself: the first step's policy equals it exactly.
    assert losses[0] == pytest.approx(math.log(2), abs=1e-6) and margins[0] == pytest.approx(0.0, abs=1e-6)
    assert losses[-1] < losses[0] - 0.05 and margins[-1] > margins[0] + 0.1, (losses, margins)
    assert report.adapter_dir is not None and report.model_dir is not None
    assert not (report.adapter_dir / "ref").exists()  # trl's frozen reference copy is not part of the output
    manifest = read_manifest(report.out_dir)
    assert manifest["stage"] == "dpo" and manifest["init_adapter"]["path"] == str(sft.adapter_dir)
    assert manifest["init_adapter"]["sha256"] and manifest["hyperparameters"]["beta"] == 0.1


@pytest.mark.slow
def test_stop_then_resume_continues_from_the_checkpoint(tiny_dir: Path, model_cache: Path, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "sft.jsonl", sft_rows(4))
    out = tmp_path / "out"
    stop = threading.Event()

    def stop_at_3(kind: str, payload: dict[str, Any]) -> None:
        if kind == "log" and payload["step"] >= 3:
            stop.set()  # as the CLI does on Ctrl-C

    hp = {**TRAIN_HP, "max_steps": 8, "logging_steps": 1, "save_steps": 100}
    settings = TrainSettings("sft", tiny_dir, data, out, overrides=hp, model_cache=model_cache, device="cpu")
    first = train_steerer(settings, stop=stop, on_event=stop_at_3)
    assert first.stopped and first.model_dir is None and first.manifest_path is None
    assert first.global_step == 4 and [p.name for p in (out / "checkpoints").iterdir() if p.is_dir()] == [
        "checkpoint-4"
    ]
    with pytest.raises(NsllmError, match="earlier run"):
        train_steerer(settings)

    second = train_steerer(replace(settings, resume=True))
    assert second.resumed_from == out / "checkpoints" / "checkpoint-4"
    assert (second.global_step, second.stopped) == (8, False) and second.model_dir is not None
    steps = [r["step"] for r in metrics(out / "metrics.jsonl") if r["loss"] is not None]
    assert steps == [1, 2, 3, 4, 5, 6, 7, 8]  # appended: the resumed run logs steps 5-8
    assert read_manifest(out)["training"]["resumed_from"] == str(out / "checkpoints" / "checkpoint-4")


@pytest.mark.slow
def test_full_fine_tune_sft_then_dpo_from_its_model(tiny_dir: Path, model_cache: Path, tmp_path: Path) -> None:
    """The paper's path (peft full, without bf16/DeepSpeed on a CPU): no adapter, a full model/ folder."""
    from safetensors.torch import load_file

    from nsllm_cli.models.resolve import load_model, resolve_model

    hp = {**TRAIN_HP, "max_steps": 3, "logging_steps": 1, "activation_checkpointing": False}
    kw: dict[str, Any] = {"preset": "paper", "overrides": hp, "model_cache": model_cache, "device": "cpu"}
    sft_data = write_jsonl(tmp_path / "sft.jsonl", sft_rows(3))
    sft = train_steerer(TrainSettings("sft", tiny_dir, sft_data, tmp_path / "sft", **kw))
    assert sft.peft == "full" and sft.adapter_dir is None and sft.model_dir == tmp_path / "sft" / "model"
    assert not (tmp_path / "sft" / "adapter").exists()
    trained, base = (load_file(str(d / "model.safetensors")) for d in (sft.model_dir, tiny_dir))
    assert trained.keys() == base.keys() and any(not torch.equal(trained[k], base[k]) for k in base)
    model, tok = load_model(resolve_model(str(sft.model_dir), cache=model_cache), device="cpu", dtype="float32")
    assert probe_logits(model, tok).isfinite().all()

    dpo_data = write_jsonl(tmp_path / "dpo.jsonl", dpo_rows(3))
    dpo = train_steerer(TrainSettings("dpo", sft.model_dir, dpo_data, tmp_path / "dpo", **kw))
    losses = [r["loss"] for r in metrics(dpo.metrics_path) if r["loss"] is not None]
    assert losses[0] == pytest.approx(math.log(2), abs=1e-6)  # the reference is a frozen copy of the SFT model
    assert dpo.model_dir is not None and (dpo.model_dir / "model.safetensors").is_file()
    assert read_manifest(dpo.out_dir)["base_model"]["source"] == str(sft.model_dir.resolve())
