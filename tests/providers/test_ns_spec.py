"""`ns:<finetune run>`: the neurosymbolic model as a provider spec, and the runs it refuses (one line each)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import cast

import pytest

from nsllm_cli.errors import ArtifactError, ConfigError
from nsllm_cli.providers import SPEC_FORMS, GenParams, get_provider
from nsllm_cli.providers import local as local_module
from nsllm_cli.providers.local import LocalProvider
from nsllm_cli.providers.ns_local import NSLocalProvider, ns_pair
from nsllm_cli.providers.registry import split_spec
from tests.providers.ns_runs import QUESTION, make_tiny_ns_run

GREEDY = GenParams(temperature=0.0, max_tokens=6)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, tiny_dir: Path, model_cache: Path) -> Path:
    """A folder of tiny NS runs: open and closed gate, with and without a config.yaml."""
    root = tmp_path_factory.mktemp("ns-runs")
    make_tiny_ns_run(root, "open", model_cache=model_cache)
    make_tiny_ns_run(root, "closed", model_cache=model_cache, gate=1e9)
    make_tiny_ns_run(root, "no-config", model_cache=model_cache, recorded=None)
    return root


def test_ns_spec_is_the_runs_model_with_the_hook(runs: Path, model_cache: Path) -> None:
    plain = cast(LocalProvider, get_provider("local:tiny", device="cpu", model_cache=model_cache))
    ns = cast(NSLocalProvider, get_provider(f"ns:{runs / 'open'}", device="cpu", model_cache=model_cache))
    assert isinstance(ns, NSLocalProvider) and ns.name == f"ns:{runs / 'open'}"
    assert ns.loaded.model.model is plain.loaded.model  # one shared copy of the weights
    answer = ns.complete(QUESTION, GREEDY)
    assert ns.generations == 1 and answer.usage.completion_tokens > 0
    assert answer.text != plain.complete(QUESTION, GREEDY).text
    assert "".join(ns.stream(QUESTION, GREEDY)) == answer.text and ns.generations == 2


def test_closed_gate_answers_like_the_plain_model(runs: Path, model_cache: Path) -> None:
    plain = get_provider("local:tiny", device="cpu", model_cache=model_cache)
    ns = cast(NSLocalProvider, get_provider(f"ns:{runs / 'closed'}/", device="cpu", model_cache=model_cache))
    assert ns.name == f"ns:{runs / 'closed'}"  # a trailing slash does not change the name
    assert ns.complete(QUESTION, GREEDY).text == plain.complete(QUESTION, GREEDY).text
    assert ns.generations == 1


def test_run_without_config_takes_the_model_from_its_manifest(runs: Path, tiny_dir: Path, model_cache: Path) -> None:
    ns = cast(NSLocalProvider, get_provider(f"ns:{runs / 'no-config'}", device="cpu", model_cache=model_cache))
    assert Path(ns.model) == tiny_dir.resolve()
    assert ns.complete(QUESTION, GREEDY).text and ns.generations == 1


def test_spec_forms_and_split() -> None:
    assert "ns:<finetune run folder>" in SPEC_FORMS
    assert split_spec("ns:runs/demo/finetune") == ("ns", "runs/demo/finetune")


@pytest.mark.parametrize(
    ("where", "message"),
    [("missing", "(no such folder)"), ("empty", "(no artifacts/ns)")],
)
def test_not_a_finished_run_fails_before_any_model_loads(tmp_path: Path, where: str, message: str) -> None:
    run = tmp_path / where
    if where == "empty":
        (run / "artifacts").mkdir(parents=True)
    local_module.unload_all()
    with pytest.raises(ArtifactError, match="finetune run") as err:
        get_provider(f"ns:{run}")
    assert str(err.value) == f"{run} is not a finished finetune run {message}"
    assert local_module._LOADED == {}  # nothing loaded


def test_ns_spec_refuses_a_base_url(runs: Path) -> None:
    with pytest.raises(ConfigError, match="does not apply to ns: models"):
        get_provider(f"ns:{runs / 'open'}", base_url="http://127.0.0.1:1/v1")


def test_run_of_another_model_names_both(tmp_path: Path, model_cache: Path) -> None:
    run = make_tiny_ns_run(tmp_path, "other", model_cache=model_cache, fingerprint={"config_sha256": "0" * 64})
    with pytest.raises(ArtifactError) as err:
        ns_pair("local:tiny", run, model_cache=model_cache, device="cpu")
    assert str(err.value) == f"{run} was trained on tiny (tiny-llama), not tiny (same name, another config)"


def test_alias_mismatch_is_refused_before_loading(tmp_path: Path, model_cache: Path) -> None:
    embedded = {"name_or_path": "/models/smollm2-135m-instruct", "config_sha256": "e" * 64}
    run = make_tiny_ns_run(tmp_path, "emb", model_cache=model_cache, recorded="embedded", fingerprint=embedded)
    local_module.unload_all()
    with pytest.raises(ArtifactError) as err:
        ns_pair("local:tiny", run, model_cache=model_cache, device="cpu")
    assert str(err.value) == f"{run} was trained on embedded (smollm2-135m-instruct), not tiny"
    assert local_module._LOADED == {}


@pytest.mark.parametrize(
    ("changed", "what"),
    [({"chat_template_sha256": "c" * 64}, "chat template"), ({"tokenizer_len": 7}, "vocabulary size")],
)
def test_run_of_another_tokenizer_is_refused(
    tmp_path: Path, model_cache: Path, changed: dict[str, object], what: str
) -> None:
    run = make_tiny_ns_run(tmp_path, "tok", model_cache=model_cache, fingerprint=changed)
    with pytest.raises(ArtifactError) as err:
        get_provider(f"ns:{run}", device="cpu", model_cache=model_cache)
    assert str(err.value) == f"{run} was trained with another tokenizer than tiny's ({what})"


def test_atoms_with_another_checksum_are_refused(tmp_path: Path, model_cache: Path) -> None:
    from nsllm_cli.ns.problems import PROBLEM_TYPES
    from nsllm_cli.ns.vsa import VSA

    run = make_tiny_ns_run(tmp_path, "atoms", model_cache=model_cache)
    shutil.rmtree(run / "artifacts" / "ns" / "vsa_atoms")
    VSA.generate(types=PROBLEM_TYPES, dim=256, seed=1).save(run / "artifacts" / "ns" / "vsa_atoms")
    with pytest.raises(ArtifactError, match="made with another vsa_atoms") as err:
        get_provider(f"ns:{run}", device="cpu", model_cache=model_cache)
    assert "\n" not in str(err.value)


def test_a_run_whose_model_is_gone_says_so(tmp_path: Path, model_cache: Path) -> None:
    gone = {"name_or_path": str(tmp_path / "deleted-model")}
    run = make_tiny_ns_run(tmp_path, "gone", model_cache=model_cache, recorded=None, fingerprint=gone)
    with pytest.raises(ArtifactError, match="cannot find the model it was trained on") as err:
        get_provider(f"ns:{run}")
    assert str(tmp_path / "deleted-model") in str(err.value)
