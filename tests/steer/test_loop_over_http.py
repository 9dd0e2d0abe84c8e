"""The whole CodeSteer loop over HTTP: two `nsllm serve` processes, the openai client, the sandbox, a transcript.

The tiny model is random, so its greedy answers are noise. The module fixture first trains two copies of it
(a few dozen Adam steps on CPU) until, for any chat prompt, one greedily answers `<<<Code>>>` (the steerer)
and the other a Python block printing 6 * 7 (the solver). Both are then served with `nsllm serve`, and
`nsllm steer` drives them through the official openai client; nothing is mocked.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import torch
from openai import OpenAI

from nsllm_cli.providers.base import GenParams, Message
from nsllm_cli.providers.registry import get_provider
from nsllm_cli.providers.scripted import ScriptedProvider
from nsllm_cli.steer.loop import steer
from tests._serve import serving, stop
from tests.conftest import nsllm_env

QUESTION = "What is 6 times 7? Answer as <<<N>>>."
STEER_TARGET = "<<<Code>>>"
TASK_TARGET = "```python\nprint(6*7)"
"""An unterminated fence still counts as the answer's code (no repeated tokens: quicker to learn)."""

TRAIN_QUESTIONS = (QUESTION, "Sort the numbers 5 2 9 1 in ascending order. Answer as <<<a b c d>>>.")
UNSEEN_QUESTION = "How many letters r are in 'strawberry'? Answer as <<<N>>>."
GENERIC: list[list[Message]] = [
    [{"role": "user", "content": "Hello!"}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Name a prime number."}],
    [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "And times 3?"},
    ],
    [{"role": "user", "content": "Write a haiku about the sea, please, in English."}],
]
UNSEEN_CHAT: list[Message] = [{"role": "user", "content": "Tell me a joke about cats."}]
CONTEXT = 2048
"""Context of the trained copies: the steerer's round-1 prompt (about 760 tokens) exceeds the tiny model's 512."""
MAX_STEPS = 150
ROLES = (("steerer", "steer"), ("solver", "task"))
"""Each served model's name and its role in the loop's transcript."""
TARGETS = {"steerer": STEER_TARGET, "solver": TASK_TARGET}
"""What each trained model answers to any prompt."""


def loop_prompts(question: str) -> dict[str, list[list[Message]]]:
    """The messages the loop really sends each role (max_rounds=1, no self-check), captured with scripted models."""
    task = ScriptedProvider([TASK_TARGET] * 2, name="solver")
    steerer = ScriptedProvider([STEER_TARGET] * 2, name="steerer")
    steer(question, task=task, steer=steerer, allow_code=True, max_rounds=1, self_check_enabled=False)
    return {"steer": steerer.requests, "task": task.requests}


def prompt_ids(tok: Any, messages: list[Message]) -> list[int]:
    """Token ids of `messages` rendered by the chat template, ready for the assistant's answer."""
    return list(
        tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]
    )


def greedy(model: Any, tok: Any, messages: list[Message], max_new_tokens: int) -> str:
    """The greedy answer to `messages`, special tokens included."""
    ids = torch.tensor([prompt_ids(tok, messages)])
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tok.pad_token_id,
        )
    return str(tok.decode(out[0, ids.shape[1] :], skip_special_tokens=False))


def train_copy(
    source: Path, dest: Path, target: str, prompts: list[list[Message]], unseen: list[list[Message]]
) -> Path:
    """Copy the model in `source` to `dest` and overfit it to answer `target` (then end of turn) to any prompt.

    Full-model Adam on CPU, one sequence at a time, until every target token is the argmax with a margin;
    then greedy generation must give exactly `target` on `unseen` prompts and on the training ones.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    shutil.copytree(source, dest)
    tok = AutoTokenizer.from_pretrained(str(dest))
    tok.model_max_length = CONTEXT
    model: Any = AutoModelForCausalLM.from_pretrained(str(dest), dtype=torch.float32).eval()  # no dropout anyway
    model.config.max_position_embeddings = CONTEXT  # RoPE: no learned positions, only the server's limit changes
    answer = tok.encode(target, add_special_tokens=False) + [tok.eos_token_id]
    n = len(answer)
    rows = [torch.tensor([prompt_ids(tok, p) + answer]) for p in prompts]
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    for _ in range(MAX_STEPS):
        opt.zero_grad()
        worst, exact = 0.0, True
        for ids in rows:
            # The head only at the answer's positions: the 49k-token vocabulary is most of the cost.
            logits = model.lm_head(model.model(input_ids=ids).last_hidden_state[0, -n - 1 : -1])
            loss = torch.nn.functional.cross_entropy(logits, ids[0, -n:])
            (loss / len(rows)).backward()
            worst = max(worst, loss.item())
            exact = exact and bool((logits.argmax(-1) == ids[0, -n:]).all())
        if exact and worst < 0.05:
            break
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    else:
        pytest.fail(f"training {dest.name} did not converge in {MAX_STEPS} steps (worst loss {worst:.3f})")
    model.zero_grad(set_to_none=True)
    for messages in [*unseen, *prompts]:
        assert greedy(model, tok, messages, n + 3) == target + tok.eos_token, (dest.name, messages[-1]["content"])
    model.save_pretrained(str(dest))  # safetensors
    tok.save_pretrained(str(dest))
    return dest


@pytest.fixture(scope="module")
def trained(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Folders of the trained steerer and solver (named so that `nsllm serve` serves them as `steerer`, `solver`)."""
    seen = [loop_prompts(q) for q in TRAIN_QUESTIONS]
    unseen = loop_prompts(UNSEEN_QUESTION)
    root = tmp_path_factory.mktemp("trained")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # these small kernels run several times faster on one thread of a busy CPU
    try:
        return {
            name: train_copy(
                tiny_dir,
                root / name,
                TARGETS[name],
                [p for s in seen for p in s[role]] + GENERIC,
                [*unseen[role], UNSEEN_CHAT],
            )
            for name, role in ROLES
        }
    finally:
        torch.set_num_threads(threads)


@pytest.mark.slow
def test_steer_runs_the_whole_loop_over_http_with_served_models(trained: dict[str, Path], tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    with ExitStack() as stack:
        servers: dict[str, tuple[subprocess.Popen[str], str]] = {}
        for name, folder in trained.items():
            proc, url, _ = stack.enter_context(serving("--model", str(folder), "--device", "cpu", "--dtype", "float32"))
            servers[name] = (proc, url)
            with OpenAI(base_url=url, api_key="x", max_retries=0, timeout=120) as client:
                assert [m.id for m in client.models.list()] == [name]
            provider: Any = get_provider(name, base_url=url)  # the official openai client, as `nsllm steer` uses
            try:
                reply = provider.complete(UNSEEN_CHAT, GenParams(temperature=0.0, max_tokens=32))
            finally:
                provider.close()
            assert reply.text == TARGETS[name] and reply.usage.completion_tokens > 0
        run_dir = tmp_path / "run"
        args = ["--task-llm", "solver", "--base-url", servers["solver"][1]]
        args += ["--steer-llm", "steerer", "--steer-base-url", servers["steerer"][1]]
        args += ["--allow-code-execution", "--max-rounds", "1", "--no-self-check", "--run-dir", str(run_dir)]
        # A fresh response cache: every answer must come from the servers, not from an earlier run.
        env = nsllm_env(NSLLM_CACHE=str(tmp_path / "cache"), COLUMNS="100")
        command = [sys.executable, "-m", "nsllm_cli", "steer", QUESTION, *args]
        run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
        stopped = {name: stop(proc) for name, (proc, _) in servers.items()}
    assert run.returncode == 0, run.stderr
    assert run.stdout == "42\n"
    assert "max_rounds" in run.stderr
    for name, (code, stderr) in stopped.items():
        assert code == 0, (name, stderr)
        assert "Traceback" not in stderr and "server stopped" in stderr, name

    t = json.loads((run_dir / "transcript.json").read_text())
    assert (t["answer"], t["code_answer"], t["text_answer"]) == ("42", "42", None)
    assert t["stop_reason"] == "max_rounds" and t["error"] is None
    assert [r["index"] for r in t["rounds"]] == [0, 1]
    # Each call's usage is what its server reported: exactly the loop's messages in, the target and EOS out.
    tok = AutoTokenizer.from_pretrained(str(trained["steerer"]))
    history = {"steer": t["steer_messages"], "task": t["task_messages"]}
    answer_tokens = {role: len(tok.encode(TARGETS[name], add_special_tokens=False)) + 1 for name, role in ROLES}
    for r in t["rounds"]:
        assert r["control"] == "Code" and r["steer_output"] == STEER_TARGET
        assert r["answer"] == TASK_TARGET and r["code"] == "print(6*7)"
        assert r["execution"]["stdout"] == "42\n" and r["execution"]["ok"], r["execution"]
        assert [(c["role"], c["model"]) for c in r["calls"]] == [("steer", "steerer"), ("task", "solver")]
        for call in r["calls"]:
            sent = history[call["role"]][: 2 * r["index"] + 1]
            assert not call["cached"]
            assert call["usage"]["prompt_tokens"] == len(prompt_ids(tok, sent))
            assert call["usage"]["completion_tokens"] == answer_tokens[call["role"]]
    assert t["rounds"][1]["calls"][0]["usage"]["prompt_tokens"] > 512  # the tiny model's own context
    assert t["final_execution"]["stdout"] == "42\n"
    assert t["usage_by_role"]["steer"]["total_tokens"] > 0 and t["usage_by_role"]["task"]["total_tokens"] > 0
    assert t["usage"]["total_tokens"] == sum(v["total_tokens"] for v in t["usage_by_role"].values())
    assert json.loads((run_dir / "status.json").read_text())["state"] == "finished"
