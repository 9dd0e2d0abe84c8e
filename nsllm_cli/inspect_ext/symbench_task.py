"""`nsllm/symbench`: SymBench as an Inspect task, with the test sets, gold check and validators of `bench symbench`.

The samples are the frozen, seeded test sets of `nsllm bench symbench` (`symbench.splits.test_set`): the same
tasks, seed, limit and data give the same questions. Stored instances whose gold fails their own validator are left
out first (the gold check), unless `paper_scoring` is set, exactly as in the CLI; the task's metadata lists them
(`gold_check`). The scorer reads the answer as the bench runner does (`steer.final_answer.extract`: the text answer
outside the code, the code answer from its program's output) and judges it with the task's validator
(`symbench.scoring.verdicts`): `success` is the paper's rule (the text or the code answer passes), `strict` the code
answer when code ran, else the text answer, `partial` the partial ratio (BoxLift, BoxNet). `success` is also reported
per task. When the model role `extractor` is bound (`--model-role extractor=<model>`, the CLI's `--extractor-llm`),
an answer the parser cannot read is restated by that model, and the score's metadata says so (`llm_rescued`).

Options (`-T`), as in the CLI: tasks, limit, data_dir, paper_scoring, seed, max_tokens. The method is the solver
(`--solver nsllm/codesteer`; see `solvers.SOLVER_OF`), the steering model a model role, the concurrency
`--max-samples`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspect_ai import Task, task
from inspect_ai._util.error import PrerequisiteError  # private, but the one error Inspect prints as one line
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import GenerateConfig, get_model, model_roles
from inspect_ai.scorer import Score, Scorer, Target, grouped, mean, scorer, stderr
from inspect_ai.solver import TaskState

from nsllm_cli.inspect_ext.bridge import InspectProvider, run_engine
from nsllm_cli.inspect_ext.namespace import in_namespace
from nsllm_cli.inspect_ext.solvers import RESULT_KEY, only_question

if TYPE_CHECKING:
    from nsllm_cli.symbench.base import Instance
    from nsllm_cli.symbench.base import Task as SymbenchTask

logger = logging.getLogger(__name__)

PAPER_MAX_TOKENS = 2000
"""The paper's answer budget (`bench symbench` uses it for API models)."""
EXTRACTOR_ROLE = "extractor"
"""The model role that restates an answer the parser could not read (`bench symbench --extractor-llm`)."""


@task
@in_namespace
def symbench(
    tasks: str | list[str] = "all",
    limit: int | None = None,
    data_dir: str | None = None,
    paper_scoring: bool = False,
    seed: int | None = None,
    max_tokens: int = PAPER_MAX_TOKENS,
) -> Task:
    """SymBench's 37 tasks (or those chosen), scored by nsllm's validators.

    Args:
        tasks: task names or codes (S1..S28, U1..U9), or all/seen/unseen; a list or comma-separated.
        limit: at most N instances per task (default: the paper's n, mostly 50).
        data_dir: a copy of SymBench's dataset_gather (default NSLLM_SYMBENCH_DIR); without it, generated tasks.
        paper_scoring: the original validators, bugs included, and no gold check (for Table 1 comparisons).
        seed: the test-set seed (default: nsllm's settings, NSLLM_SEED, 0).
        max_tokens: most new tokens per answer (the paper's 2000); `--max-tokens` overrides it.
    """
    from nsllm_cli.config import load_settings
    from nsllm_cli.errors import NsllmError
    from nsllm_cli.symbench.gold import GoldProblem, gold_summary
    from nsllm_cli.symbench.registry import data_folder, select_tasks
    from nsllm_cli.symbench.splits import test_set

    spec = ",".join(tasks) if isinstance(tasks, list) else str(tasks)
    folder = data_folder(Path(data_dir).expanduser() if data_dir else None)
    if folder is not None and not folder.is_dir():
        raise PrerequisiteError(f"{folder}: no such folder (expected a copy of SymBench's dataset_gather)")
    try:
        selected = select_tasks(spec)
    except NsllmError as exc:
        raise PrerequisiteError(str(exc)) from exc
    test_seed = load_settings(None).seed if seed is None else int(seed)
    samples: list[Sample] = []
    excluded: list[GoldProblem] = []
    skipped: list[str] = []
    notes: dict[str, str] = {}
    for t in selected:
        sel = test_set(t, data_dir=folder, limit=limit, seed=test_seed, gold_check=not paper_scoring)
        if sel.source == "none":
            skipped.append(t.name)
            continue
        if sel.note not in ("", "generated"):  # unreadable samples, errata, a task generated for want of data
            notes[t.name] = sel.note
            logger.warning("%s: %s", t.name, sel.note)
        excluded += sel.excluded
        samples += [_sample(t, inst) for inst in sel.instances]
    if skipped:
        where = f"not in {folder}" if folder else "pass -T data_dir=... or set NSLLM_SYMBENCH_DIR"
        logger.warning("skipped, these tasks need their original data (%s): %s", where, ", ".join(skipped))
    if not samples:
        raise PrerequisiteError("no instances to run: every selected task needs data (-T data_dir=...)")
    gold = gold_summary(excluded, on=not paper_scoring)
    if gold["excluded"]:
        logger.warning("excluded %d instance(s) whose stored gold fails its own rule", gold["excluded"])
    return Task(
        dataset=MemoryDataset(samples, name="symbench"),
        solver=only_question(),
        scorer=symbench_scorer(paper_scoring=paper_scoring),
        config=GenerateConfig(temperature=0.0, max_tokens=max_tokens, seed=test_seed),
        metadata={
            "gold_check": gold,
            "skipped_tasks": skipped,
            "notes": notes,
            "seed": test_seed,
            "data_dir": str(folder or ""),
        },
    )


def _sample(task: SymbenchTask, inst: Instance) -> Sample:
    """One instance as a sample: the prompt, its gold answer as the target (for reading), everything to score it."""
    from nsllm_cli.symbench.splits import instance_hash

    try:
        gold = task.gold_answer(inst)
    except Exception:  # noqa: BLE001 - a generated instance may have no stored answer; the validator decides anyway
        gold = ""
    return Sample(
        id=f"{task.name}/{inst.id}",
        input=task.prompt(inst),
        target=gold,
        metadata={
            "task": task.name,
            "code": task.code,
            "split": "seen" if task.seen else "unseen",
            "instance_hash": instance_hash(inst),
            "instance": inst.to_dict(),
        },
    )


@scorer(metrics={"success": [mean(), stderr(), grouped(mean(), "task")], "strict": [mean()], "partial": [mean()]})
@in_namespace
def symbench_scorer(paper_scoring: bool = False) -> Scorer:
    """nsllm's SymBench verdicts: `success` (text or code answer passes), `strict`, `partial`; 1.0 = correct.

    Args:
        paper_scoring: judge with the original validators (`Task.verify_paper`).
    """

    async def score(state: TaskState, target: Target) -> Score:
        from nsllm_cli.steer.final_answer import extract
        from nsllm_cli.steer.records import SteerResult
        from nsllm_cli.symbench.base import Instance
        from nsllm_cli.symbench.registry import get_task
        from nsllm_cli.symbench.scoring import verdicts

        task = get_task(state.metadata["task"])
        inst = Instance(**state.metadata["instance"])
        stored = state.store.get(RESULT_KEY)
        if stored:
            result = SteerResult.from_dict(stored)
        else:  # another solver (e.g. Inspect's generate()): its last answer is the response
            result = SteerResult(state.input_text, final_response=state.output.completion)
        if EXTRACTOR_ROLE in model_roles():  # the logged, counted fallback of --extractor-llm
            found = await run_engine(extract, task, inst, result, InspectProvider(get_model(role=EXTRACTOR_ROLE)))
        else:
            found = extract(task, inst, result)
        judged = verdicts(task.verify_paper if paper_scoring else task.verify, inst, found)
        either, strict = judged["or"], judged["strict"]
        shown = found.code_answer if found.code_ran and found.code_answer is not None else found.text_answer
        return Score(
            value={"success": float(either["correct"]), "strict": float(strict["correct"]), "partial": either["score"]},
            answer=None if shown is None else str(shown),
            explanation=either["reason"] or ("correct" if either["correct"] else ""),
            metadata={
                "text_answer": _plain(found.text_answer),
                "code_answer": _plain(found.code_answer),
                "code_ran": found.code_ran,
                "extracted_by": {"text": found.text_via, "code": found.code_via},
                "llm_rescued": found.rescued_by_llm,
                "verdicts": judged,
                "scoring": "paper" if paper_scoring else "fixed",
            },
        )

    return score


def _plain(value: Any) -> Any:
    """A parsed answer as JSON-able data (parsers may return tuples or other objects)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)
