"""`bench math`: exact-match accuracy and answer cross-entropy per problem type, per method.

Methods: ``base`` (the 2-shot prompt, greedy, <= c + 5 new tokens), ``cot`` (step by step, parsed
with the 'Final Answer' regex), ``ns`` (the base prompt with the neurosymbolic intervention in the
prefill), ``lora`` (the base prompt on the model with a trained PEFT LoRA adapter). Records are
appended per sample to `samples.jsonl`, so a killed run resumes where it stopped, and the
aggregates are always recomputed from the records.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from nsllm_cli.events import Event, ignore
from nsllm_cli.jsonl import append_jsonl, read_jsonl
from nsllm_cli.ns.batches import answer_ids, answer_loss, build_batch
from nsllm_cli.ns.bench_report import counterfactual, error_split
from nsllm_cli.ns.injection import attach
from nsllm_cli.ns.problems import ALL_TYPES, TRAIN_TYPES, Problem
from nsllm_cli.ns.prompts import (
    answer_text,
    cot_messages,
    ns_messages,
    parse_cot,
    parse_lenient,
    parse_strict,
    render_prompt,
)
from nsllm_cli.ns.trainer import forward_answers

METHODS = ("base", "cot", "ns", "ns-shuffled", "lora", "adapter")
"""`ns-shuffled` is the counterfactual check of the step-wise NS model: the same hook, but each question is written
another question's result; an output that follows the injection then equals that result, not the gold."""


def generate_batch(
    model: Any, tok: Any, prompts: Sequence[str], *, max_new_tokens: int, ns: Any | None = None
) -> list[str]:
    """Greedy answers for left-padded prompts; with `ns`, the intervention acts on the prefill only."""
    side = tok.padding_side
    tok.padding_side = "left"
    try:
        enc = tok(list(prompts), return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
    finally:
        tok.padding_side = side
    kwargs = {
        "max_new_tokens": max_new_tokens,
        "do_sample": False,
        "pad_token_id": tok.pad_token_id,
        "temperature": None,
        "top_p": None,
        "top_k": None,
    }
    with torch.inference_mode():
        if ns is None:
            out = model.generate(**enc, **kwargs)
        else:
            with attach(model, ns):
                out = model.generate(**enc, **kwargs)
    new = out[:, enc["input_ids"].shape[1] :]
    return [str(t) for t in tok.batch_decode(new, skip_special_tokens=True)]


PROMPTS = ("two-shot", "chat")
WORDINGS = ("paper", "train", "heldout")


def bench_messages(
    problem: Problem, *, prompt: str, wording: str, seed: int, complexity: int, shots: int
) -> tuple[list[dict[str, str]], str]:
    """The chat for one test question and its text (see `bench_prompt`, which also names the wording family)."""
    messages, text, _ = bench_prompt(
        problem, prompt=prompt, wording=wording, seed=seed, complexity=complexity, shots=shots
    )
    return messages, text


def bench_prompt(
    problem: Problem, *, prompt: str, wording: str, seed: int, complexity: int, shots: int
) -> tuple[list[dict[str, str]], str, str]:
    """The chat for one test question and its text: the paper's 2-shot prompt or the plain chat (the
    question alone, as `nsllm chat` sends it), in the paper's wording or a paraphrase drawn (seeded per
    question) from the train or the held-out wording families."""
    import numpy as np

    from nsllm_cli.ns.prompts import messages_for

    text, family = problem.question, f"{problem.problem_type}/paper"
    if wording != "paper":
        from nsllm_cli.ns.wordings import phrase

        rng = np.random.default_rng([seed, 101, problem.type_index, problem.x, problem.y])
        drawn = phrase(problem, rng, split=wording, complexity=complexity)
        text, family = drawn.text, drawn.family
    if prompt == "chat":
        return messages_for(text, "chat"), text, family
    messages = ns_messages(problem, seed=seed, complexity=complexity, shots=shots)
    return [*messages[:-1], {"role": "user", "content": text}], text, family


def decoded_items(ns: Any, n: int) -> list[dict[str, Any] | None]:
    """What the NS hook read and wrote for each of the last batch's items (None without a read)."""
    last = getattr(ns, "last", None)
    if last is None:
        return [None] * n
    types = getattr(ns, "types", None) or ns.vsa.types
    out: list[dict[str, Any] | None] = []
    for b in range(n):
        gate = bool(last.gate[b])
        out.append(
            {
                "type": types[int(last.type_idx[b])],
                "x": int(last.x[b]),
                "y": int(last.y[b]),
                **({"m": last.modulus[b]} if getattr(last, "modulus", None) is not None else {}),
                "score": round(float(last.score[b]), 4),
                "gate": gate,
                "result": int(last.result[b]) if gate else None,
                "reason": reason[b] if (reason := getattr(last, "reason", None)) else ("open" if gate else "shut"),
            }
        )
    return out


def read_right(decoded: dict[str, Any] | None, problem: Problem) -> bool:
    """Whether the hook read the problem right: its type and operands (either order for a commutative type), and its
    modulus where the hook reads one (the steps recipe: "m" in `decoded`)."""
    from nsllm_cli.ns.problems import COMMUTATIVE

    if decoded is None or not decoded["gate"] or decoded["type"] != problem.problem_type:
        return False
    if "m" in decoded and decoded["m"] != problem.modulus:
        return False
    pair = (decoded["x"], decoded["y"])
    if problem.problem_type in COMMUTATIVE:
        return sorted(pair) == sorted((problem.x, problem.y))
    return pair == (problem.x, problem.y)


def answer_ce(
    model: Any,
    tok: Any,
    problems: Sequence[Problem],
    *,
    seed: int,
    complexity: int,
    shots: int,
    ns: Any | None = None,
    prompt: str = "two-shot",
    wording: str = "paper",
) -> list[float]:
    """Teacher-forced CE over the answer tokens (without the end token), per problem."""
    pairs = []
    for p in problems:
        messages, _ = bench_messages(p, prompt=prompt, wording=wording, seed=seed, complexity=complexity, shots=shots)
        p_ids, a_ids = answer_ids(tok, messages, answer_text(p.solution))
        pairs.append((p_ids, a_ids[:-1]))
    batch = build_batch(tok, pairs).to(model.device)
    with torch.no_grad():
        logits, labels = forward_answers(model, batch, ns)
    return [float(v) for v in answer_loss(logits, labels, per_item=True)]


def run_bench(
    model: Any,
    tok: Any,
    problems: Sequence[Problem],
    methods: Sequence[str],
    out: Path,
    *,
    ns: Any = None,
    lora_model: Any = None,
    adapter: Any = None,
    seed: int = 0,
    complexity: int = 2,
    shots: int = 2,
    batch_size: int = 16,
    cot_max_new_tokens: int = 256,
    prompt: str = "two-shot",
    wording: str = "paper",
    on_event: Event = ignore,
) -> list[dict[str, Any]]:
    """Evaluate every method on every problem, appending to `out/samples.jsonl`; returns all records."""
    path = out / "samples.jsonl"
    done = {(r["method"], r["id"]) for r in read_jsonl(path)}
    total = len(problems) * len(methods)
    on_event("start", {"total": total, "done": len(done)})
    count, t0 = len(done), time.perf_counter()
    for method in methods:
        todo = [(i, p) for i, p in enumerate(problems) if (method, i) not in done]
        for b in range(0, len(todo), batch_size):
            chunk = todo[b : b + batch_size]
            probs = [p for _, p in chunk]
            use_ns = {"ns": ns, "ns-shuffled": ns, "adapter": adapter}.get(method)
            if use_ns is not None and method.startswith("ns") and hasattr(use_ns, "shuffle"):
                use_ns.shuffle = torch.Generator().manual_seed(seed * 7 + b) if method == "ns-shuffled" else None
            lm = lora_model if method == "lora" else model
            if use_ns is not None and getattr(use_ns, "stepwise", False):  # ablation: the true (type, x, y)
                use_ns.forced = use_ns.truth([(*p.key, p.modulus) for p in probs]) if use_ns.oracle else None
            elif use_ns is not None and getattr(use_ns, "oracle", False):  # ablation: the true (x, y, type)
                use_ns.truth = (
                    torch.tensor([p.x for p in probs]),
                    torch.tensor([p.y for p in probs]),
                    torch.tensor([p.type_index for p in probs]),
                )
            if method == "cot":
                prompts = [render_prompt(tok, cot_messages(p)) for p in probs]
                texts = generate_batch(lm, tok, prompts, max_new_tokens=cot_max_new_tokens)
                ces = [math.nan] * len(probs)
            else:
                built = [
                    bench_prompt(p, prompt=prompt, wording=wording, seed=seed, complexity=complexity, shots=shots)
                    for p in probs
                ]
                questions = [q for _, q, _ in built]
                families = [f for _, _, f in built]
                prompts = [render_prompt(tok, m) for m, _, _ in built]
                texts = generate_batch(lm, tok, prompts, max_new_tokens=complexity + 5, ns=use_ns)
                reads = decoded_items(use_ns, len(probs)) if method.startswith("ns") else [None] * len(probs)
                ces = answer_ce(
                    lm,
                    tok,
                    probs,
                    seed=seed,
                    complexity=complexity,
                    shots=shots,
                    ns=use_ns,
                    prompt=prompt,
                    wording=wording,
                )
            if method == "cot":
                questions = [p.question for p in probs]
                families = [f"{p.problem_type}/paper" for p in probs]
                reads = [None] * len(probs)
            for (i, p), text, ce, question, family, read in zip(
                chunk, texts, ces, questions, families, reads, strict=True
            ):
                strict = parse_cot(text) if method == "cot" else parse_strict(text)
                lenient = strict if method == "cot" else parse_lenient(text)
                record = {
                    "id": i,
                    "method": method,
                    "problem_type": p.problem_type,
                    "x": p.x,
                    "y": p.y,
                    "modulus": p.modulus,
                    "question": question,
                    "prompt": "cot" if method == "cot" else prompt,
                    "wording": wording,
                    "family": family,
                    "gold": p.solution,
                    "output": text.strip(),
                    "correct": strict == p.solution,
                    "correct_lenient": lenient == p.solution,
                    "answer_ce": None if math.isnan(ce) else ce,
                }
                if read is not None:
                    record["ns_read"] = read
                    record["read_right"] = read_right(read, p)
                append_jsonl(path, record)
            count += len(chunk)
            on_event(
                "progress",
                {
                    "done": count,
                    "total": total,
                    "method": method,
                    "samples_per_s": (count - len(done)) / (time.perf_counter() - t0),
                },
            )
    return list(read_jsonl(path))


def aggregate(
    records: Sequence[dict[str, Any]], methods: Sequence[str], *, trained: Sequence[str] = TRAIN_TYPES
) -> dict[str, Any]:
    """Per-type accuracy (strict, lenient), answer CE and n; means over the `trained` types (the NS run's operations;
    the paper's 8 by default); NS ratios. The other types are the run's unseen ones."""
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for method in methods:
        table[method] = {}
        for t in ALL_TYPES:
            rs = [r for r in records if r["method"] == method and r["problem_type"] == t]
            if not rs:
                continue
            ces = [r["answer_ce"] for r in rs if r.get("answer_ce") is not None]
            table[method][t] = {
                "n": len(rs),
                "accuracy": 100 * sum(r["correct"] for r in rs) / len(rs),
                "accuracy_lenient": 100 * sum(r["correct_lenient"] for r in rs) / len(rs),
                "answer_ce": sum(ces) / len(ces) if ces else None,
            }
    means = {m: _mean([table[m][t]["accuracy"] for t in trained if t in table[m]]) for m in methods}
    errors = error_split([r for r in records if r["method"] == "ns"], trained=trained)
    shuffled = counterfactual([r for r in records if r["method"] == "ns-shuffled"])
    ratios: dict[str, Any] = {}
    if "ns" in methods:
        for base in (m for m in methods if not m.startswith("ns")):
            per_type = [
                table["ns"][t]["accuracy"] / table[base][t]["accuracy"]
                for t in trained
                if t in table["ns"] and t in table[base] and table[base][t]["accuracy"] > 0
            ]
            ns_mean, base_mean = means["ns"], means[base]
            ratios[base] = {
                "mean_of_ratios": _mean(per_type),
                "types_used": len(per_type),
                "ratio_of_means": ns_mean / base_mean if ns_mean is not None and base_mean else None,
            }
    return {
        "per_type": table,
        "trained_types": list(trained),
        "mean_trained": means,
        "ns_ratios": ratios,
        "ns_errors": errors,
        "counterfactual": shuffled,
    }


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def plot_accuracy(summary: dict[str, Any], methods: Sequence[str], path: Path) -> None:
    """Grouped bars per problem type, one bar per method (like the paper's figure)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    types = [t for t in ALL_TYPES if any(t in summary["per_type"][m] for m in methods)]
    width = 0.8 / max(len(methods), 1)
    fig, ax = plt.subplots(figsize=(11, 4.5))
    for k, method in enumerate(methods):
        values = [summary["per_type"][method].get(t, {}).get("accuracy", 0.0) for t in types]
        ax.bar([i + k * width for i in range(len(types))], values, width, label=method)
    ax.set_xticks([i + width * (len(methods) - 1) / 2 for i in range(len(types))])
    trained = summary.get("trained_types", TRAIN_TYPES)
    ax.set_xticklabels([t + ("*" if t not in trained else "") for t in types], rotation=30, ha="right")
    ax.set_ylabel("exact-match accuracy %")
    ax.set_ylim(0, 100)
    ax.set_title("Accuracy per problem type (* = unseen in training)")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
