"""Aggregate SymBench sample records into per-task success rates, seen/unseen/total means and the paper's score.

Everything is recomputed from `samples.jsonl`, so a resumed or partly failed run reports exactly what its
records hold. A run's methods are compared with the paper's 13 (Table 1) through the normalised score, on
the tasks this run scored; the compared set M is written next to every normalised number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from nsllm_cli.symbench_run.paper import compare, paper_table, skipped_zero_tasks


def run_method_name(method: str, task_llm: str) -> str:
    """How a method of this run is named beside the paper's methods, e.g. "only-question [local:embedded]"."""
    return f"{method} [{task_llm}]"


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def aggregate(records: Iterable[Mapping[str, Any]], *, task_llm: str, paper_scoring: bool = False) -> dict[str, Any]:
    """Per (method, task) counts and rates, per-method means by split, and Ave. Norm. against the paper.

    `success` is the paper's rule (correct if the text answer or the code answer passes, codesteer.md §7);
    `strict` counts only the code answer when code ran, else the text answer.

    Records with an `error` are counted as errors and left out of the rates; for each (task, id, method) only
    the last good record counts (a resumed run may have retried a sample).
    """
    verdict_key = "verdict_paper" if paper_scoring else "verdict"
    strict_key = verdict_key + "_strict"
    latest: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    failed: set[tuple[str, str, str]] = set()
    for rec in records:
        key = (str(rec.get("task")), str(rec.get("id")), str(rec.get("method")))
        if rec.get("error"):
            failed.add(key)
        else:
            latest[key] = rec
    errors: dict[tuple[str, str], int] = {}
    for task, _id, method in failed - set(latest):  # a sample retried successfully is no longer an error
        errors[(method, task)] = errors.get((method, task), 0) + 1
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    for (task, _id, method), rec in latest.items():
        cell = cells.setdefault(method, {}).setdefault(
            task,
            {"code": rec.get("code", ""), "split": rec.get("split", ""), "n": 0, "correct": 0, "strict_correct": 0,
             "score_sum": 0.0,
             "extracted_llm": 0, "no_answer": 0, "tokens": 0, "seconds": 0.0, "errors": 0},
        )  # fmt: skip
        verdict = rec.get(verdict_key) or {}
        cell["n"] += 1
        cell["correct"] += int(bool(verdict.get("correct")))
        cell["strict_correct"] += int(bool((rec.get(strict_key) or {}).get("correct")))
        cell["score_sum"] += float(verdict.get("score", 0.0))
        cell["extracted_llm"] += int(bool(rec.get("llm_rescued")))
        cell["no_answer"] += int(rec.get("text_answer") is None and rec.get("code_answer") is None)
        cell["tokens"] += int((rec.get("usage") or {}).get("total_tokens", 0))
        cell["seconds"] += float(rec.get("seconds", 0.0))
    for (method, task), count in errors.items():
        if task in cells.get(method, {}):
            cells[method][task]["errors"] = count
    per_method: dict[str, Any] = {}
    run_scores: dict[str, dict[str, float]] = {}
    for method, tasks in sorted(cells.items()):
        for cell in tasks.values():
            n = cell["n"]
            cell["success"] = 100.0 * cell["correct"] / n
            cell["strict"] = 100.0 * cell["strict_correct"] / n
            cell["partial"] = 100.0 * cell["score_sum"] / n
            cell["tokens_per_sample"] = cell["tokens"] / n
            cell["seconds_per_sample"] = cell["seconds"] / n
            del cell["score_sum"]
        by_split = {
            group: _mean([c["success"] for c in tasks.values() if group == "total" or c["split"] == group])
            for group in ("seen", "unseen", "total")
        }
        per_method[method] = {
            "raw_mean_success": by_split,
            "raw_mean_strict": _mean([c["strict"] for c in tasks.values()]),
            "samples": sum(c["n"] for c in tasks.values()),
            "errors": sum(count for (m, _t), count in errors.items() if m == method),
            "extracted_llm": sum(c["extracted_llm"] for c in tasks.values()),
            "no_answer": sum(c["no_answer"] for c in tasks.values()),
            "tasks": dict(sorted(tasks.items())),
        }
        run_scores[run_method_name(method, task_llm)] = {c["code"]: c["success"] for c in tasks.values() if c["code"]}
    codes = sorted({code for scores in run_scores.values() for code in scores})
    norm = compare(run_scores, codes) if run_scores else {}
    table = paper_table()
    return {
        "scoring": "paper" if paper_scoring else "fixed",
        "task_llm": task_llm,
        "methods": per_method,
        "errors_without_score": {f"{m}/{t}": c for (m, t), c in errors.items() if t not in cells.get(m, {})},
        "ave_norm": norm,
        "ave_norm_methods": list(table.methods) + [m for m in run_scores if m not in table.scores],
        "ave_norm_tasks": codes,
        "ave_norm_skipped_zero": skipped_zero_tasks({**table.scores, **run_scores}, codes) if run_scores else [],
    }


def plot_success(summary: Mapping[str, Any], path: Path) -> None:
    """Horizontal bars per task: this run's success rate per method, with the paper's GPT-4o and CodeSteer marks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(summary["methods"])
    tasks = sorted({t for m in methods for t in summary["methods"][m]["tasks"]})
    if not tasks:
        return
    table = paper_table()
    code_of = {t: c["code"] for m in methods for t, c in summary["methods"][m]["tasks"].items()}
    tasks.sort(key=lambda t: (code_of[t][:1] != "S", int(code_of[t][1:] or 0)))
    height = 0.8 / max(len(methods), 1)
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(tasks) + 1.6))
    for k, method in enumerate(methods):
        cells = summary["methods"][method]["tasks"]
        ys = [i + k * height for i, t in enumerate(tasks) if t in cells]
        ax.barh(ys, [cells[t]["success"] for t in tasks if t in cells], height=height, label=method)
    centre = [i + 0.4 - height / 2 for i in range(len(tasks))]
    for ref, marker in (("Only Question", "|"), ("GPT-4o + CodeSteer", "x")):
        xs = [table.scores[ref].get(code_of[t], float("nan")) for t in tasks]
        ax.scatter(xs, centre, marker=marker, color="black", s=40, label=f"paper: {ref} (GPT-4o)", zorder=3)
    ax.set_yticks(centre)
    ax.set_yticklabels([f"{code_of[t]} {t}" for t in tasks], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("success rate (%)")
    ax.set_title(f"SymBench, task model {summary['task_llm']} ({summary['scoring']} validators)")
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
