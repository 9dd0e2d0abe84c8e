"""`--model` classification and the locked build-once used for conversions."""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

import pytest
import torch

from nsllm_cli.errors import ModelNotFoundError, NsllmError
from nsllm_cli.models.build_once import build_once
from nsllm_cli.models.device import pick_device, pick_dtype
from nsllm_cli.models.resolve import classify, load_model, resolve_model


def test_classify(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text("{}")
    assert classify("embedded") == "embedded"
    assert classify("tiny") == "tiny"
    assert classify(str(tmp_path / "m")) == "local"
    assert classify("meta-llama/Llama-3.1-8B-Instruct") == "hub"
    with pytest.raises(ModelNotFoundError, match="unknown model 'gpt five'"):
        classify("gpt five")
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        classify("./nowhere/model")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ModelNotFoundError, match="no config.json"):
        classify(str(tmp_path / "file"))


def test_a_run_folder_resolves_to_its_model_folder(tmp_path: Path) -> None:
    """A `finetune steer` run keeps its servable model in model/: `--model runs/<run>` finds it."""
    (tmp_path / "run" / "model").mkdir(parents=True)
    (tmp_path / "run" / "model" / "config.json").write_text("{}")
    assert classify(str(tmp_path / "run")) == "local"
    assert resolve_model(str(tmp_path / "run"), cache=tmp_path).source == str((tmp_path / "run" / "model").resolve())
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match="no config.json"):
        classify(str(tmp_path / "empty"))


def test_hub_id_offline_is_a_clear_error(tmp_path: Path) -> None:
    resolved = resolve_model("nsllm-test/definitely-not-cached", cache=tmp_path)
    assert resolved.kind == "hub"
    with pytest.raises(ModelNotFoundError, match="cannot load hub model 'nsllm-test/definitely-not-cached'"):
        load_model(resolved, device="cpu")


def _build_slowly(target: str, log: str) -> None:
    def build(tmp: Path) -> None:
        with open(log, "a") as fh:
            fh.write("built\n")
        time.sleep(1.0)
        (tmp / "done").write_text("ok")

    build_once(Path(target), build, marker="done")


def test_build_once_across_racing_processes(tmp_path: Path) -> None:
    target, log = tmp_path / "models" / "x", tmp_path / "log"
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_build_slowly, args=(str(target), str(log))) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert log.read_text() == "built\n"  # exactly one process built it
    assert (target / "done").read_text() == "ok"
    assert not list(target.parent.glob(".x.tmp-*"))  # no temporary leftovers


def test_failed_build_leaves_nothing_and_can_be_retried(tmp_path: Path) -> None:
    target = tmp_path / "y"

    def broken(tmp: Path) -> None:
        (tmp / "half").write_text("partial")
        raise RuntimeError("killed halfway")

    with pytest.raises(RuntimeError):
        build_once(target, broken, marker="done")
    assert not target.exists()

    def working(tmp: Path) -> None:
        (tmp / "done").write_text("ok")

    build_once(target, working, marker="done")
    assert (target / "done").exists()


def test_devices() -> None:
    assert pick_device("cpu").type == "cpu"
    assert pick_dtype("auto", torch.device("cpu")) == torch.float32
    assert pick_dtype("auto", torch.device("cuda")) == torch.bfloat16
    assert pick_dtype("float16", torch.device("cpu")) == torch.float16
    with pytest.raises(NsllmError, match="unknown device"):
        pick_device("toaster")
    if not torch.cuda.is_available():
        assert pick_device("auto").type == "cpu"
        with pytest.raises(NsllmError, match="CUDA is not available"):
            pick_device("cuda")
