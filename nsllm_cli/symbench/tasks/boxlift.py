"""S3 BoxLift: plan `Step k: [(weight, [lifter ids]), ...]` so that all boxes are lifted within N steps.

Data: `BoxLift_dataset/BoxLift_{B}_{L}/BoxLift{i}/BoxLift.json` `{"boxes": [w], "lifters": [cap]}`; the prompt and
N (the original's greedy `estimate_steps`) are rebuilt from it. The stored data has no answer, so the gold answer is
the greedy plan itself, which by construction fits in N steps.

Fixes over the original: no `eval` of the step text (each step's list is read with `ast.literal_eval`, with a
regex fallback), and an invalid assignment (unknown box weight, bad lifter id, lifter reused, too weak) makes the
plan wrong instead of being skipped silently. Success iff every box is lifted within N steps; `score` is the
lifted-weight ratio, as the original logged.
"""

from __future__ import annotations

import ast
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_each, numbered_dirs, read_json, register

Step = list[tuple[int, list[int]]]
_STEP = re.compile(r"step\s*\d+\s*:?", re.I)
_PAIR = re.compile(r"\(\s*(\d+)\s*,\s*\[([\d\s,]*)\]\s*\)")
# complexity -> (boxes, lifters, min box, max box, min capacity, max capacity); 1-4 are the original's four sets.
CONFIGS = {
    1: (10, 3, 10, 100, 40, 80),
    2: (15, 4, 20, 200, 30, 120),
    3: (20, 5, 30, 300, 40, 160),
    4: (25, 6, 40, 400, 50, 200),
    5: (30, 7, 50, 500, 60, 240),
}


def greedy_plan(boxes: Sequence[int], lifters: Sequence[int]) -> list[Step]:
    """The original's `estimate_steps` greedy (heaviest box first, lifters in index order), keeping the plan."""
    if not boxes:
        return []
    if max(boxes) > sum(lifters):
        raise ValueError(f"box {max(boxes)} is heavier than all lifters together ({sum(lifters)})")
    remaining = sorted(boxes, reverse=True)
    plan: list[Step] = []
    while remaining:
        available = list(range(len(lifters)))
        step: Step = []
        i = 0
        while i < len(remaining) and available:
            box = remaining[i]
            if sum(lifters[j] for j in available) >= box:
                used, strength = [], 0
                for j in available:
                    used.append(j)
                    strength += lifters[j]
                    if strength >= box:
                        break
                available = [j for j in available if j not in used]
                step.append((box, used))
                remaining.pop(i)
            else:
                i += 1
        plan.append(step)
    return plan


def question_text(boxes: Sequence[int], lifters: Sequence[int], max_steps: int) -> str:
    """The original's prompt, rebuilt from the data."""
    return f"""Task: BoxLift

You are given a list of boxes with the following weights: {list(boxes)}
And a list of lifters with the following maximum lifting capacities: {list(lifters)}

Your task is to assign the lifters to lift all the boxes in multiple steps, following these rules:
1. Multiple boxes can be lifted in each step.
2. Each lifter can only lift one box at a time.
3. Each lifting agent can be used only once in each step.
4. Multiple lifters can combine together to lift one box if the box is too heavy for a single lifter.
5. Try to lift all the boxes using the minimum number of steps possible.
6. You need to lift all the boxes in less than or equal to {max_steps} steps.

Please provide your solution in the following format:
Step 1: [(Box weight, [Lifter indices]), (Box weight, [Lifter indices]), ...]
Step 2: [(Box weight, [Lifter indices]), (Box weight, [Lifter indices]), ...]
...

For example:
Step 1: [(50, [0, 2]), (30, [1]), (20, [3])]
This means in Step 1, lifters 0 and 2 are lifting a box weighing 50, lifter 1 is lifting a box weighing 30, \
and lifter 3 is lifting a box weighing 20.

Surround the answer with <<<content>>>.

For example, <<<Step 1: [(50, [0, 2]), (30, [1]), (20, [3])]\\nStep 2: [(40, [0, 1]), (20, [2]), (20, [3])]\\n\
Step 3:...>>>

Ensure all boxes are lifted and provide the most efficient solution possible.

Your answer:
"""


def render(plan: Sequence[Step]) -> str:
    """A plan as the original's step text."""
    return "\n".join(f"Step {k + 1}: {[(w, list(ids)) for w, ids in step]}" for k, step in enumerate(plan))


def _parse_step(body: str) -> Step | None:
    try:
        value = ast.literal_eval(body.strip().rstrip(",;."))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        value = None
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], list):
        value = [value]  # a single assignment without the enclosing list
    if isinstance(value, list | tuple):
        out: Step = []
        for item in value:
            if not (isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[1], list | tuple)):
                return None
            weight, ids = item
            if not (isinstance(weight, int) and all(isinstance(i, int) for i in ids)):
                return None
            out.append((weight, list(ids)))
        return out
    pairs = _PAIR.findall(body)
    if not pairs:
        return [] if not body.strip(" []\n\t,") else None
    return [(int(w), [int(x) for x in ids.replace(",", " ").split()]) for w, ids in pairs]


@register
class BoxLift(Task):
    name = "boxlift"
    title = "BoxLift"
    code = "S3"
    seen = True
    folder = "BoxLift_dataset"

    def load(self, data_dir: Path) -> list[Instance]:
        """Every `BoxLift_{B}_{L}/BoxLift{i}/BoxLift.json` present, sets by (B, L), samples by i."""

        def fill(inst: Instance, path: Path) -> None:
            data = read_json(path)
            if not (isinstance(data, dict) and _int_list(data.get("boxes")) and _int_list(data.get("lifters"))):
                raise DataError(f"{path}: expected {{'boxes': [int], 'lifters': [int]}}")
            try:
                steps = len(greedy_plan(data["boxes"], data["lifters"]))
            except ValueError as exc:
                raise DataError(f"{path}: {exc}") from exc
            inst.data = {"boxes": data["boxes"], "lifters": data["lifters"], "max_steps": steps}
            inst.question = question_text(data["boxes"], data["lifters"], steps)

        groups = numbered_dirs(data_dir / self.folder)
        files = (sample / "BoxLift.json" for group in groups for sample in numbered_dirs(group))
        return load_each(self, ((f"{p.parent.parent.name}/{p.parent.name}", str(p), p) for p in files), fill)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Complexity 1-4 are the original's four sets (10_3 ... 25_6); 5 adds (30, 7)."""
        rng = random.Random(seed)
        boxes_n, lifters_n, wmin, wmax, cmin, cmax = CONFIGS[max(1, min(complexity, max(CONFIGS)))]
        out = []
        for i in range(n):
            lifters = [rng.randint(cmin, cmax) for _ in range(lifters_n)]
            boxes = [rng.randint(wmin, min(wmax, sum(lifters))) for _ in range(boxes_n)]
            steps = len(greedy_plan(boxes, lifters))
            data = {"boxes": boxes, "lifters": lifters, "max_steps": steps, "complexity": complexity}
            question = question_text(boxes, lifters, steps)
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        """A list of steps; a step that cannot be read becomes None (the plan is then wrong)."""
        block = last_answer(text)
        if block is None:
            return None
        bodies = _STEP.split(block)[1:] if _STEP.search(block) else [block]
        return [_parse_step(body) for body in bodies]

    def _simulate(self, instance: Instance, answer: Any, strict: bool) -> Verdict:
        boxes, lifters = list(instance.data["boxes"]), instance.data["lifters"]
        max_steps = int(instance.data["max_steps"])
        total = sum(boxes)
        if not isinstance(answer, list):
            return Verdict.wrong("no plan")
        remaining = list(boxes)
        problem = ""
        if len(answer) > max_steps:
            problem = f"{len(answer)} steps, at most {max_steps} allowed"
        for k, step in enumerate(answer[:max_steps]):
            if step is None:
                return Verdict.wrong(f"step {k + 1} cannot be read", (total - sum(remaining)) / total)
            used: set[int] = set()
            for weight, ids in step:
                error = ""
                if weight not in remaining:
                    error = f"no remaining box of weight {weight}"
                elif any(not 0 <= i < len(lifters) for i in ids) or not ids:
                    error = f"invalid lifter ids {ids}"
                elif any(i in used for i in ids) or len(set(ids)) != len(ids):
                    error = f"a lifter in {ids} is used twice"
                elif sum(lifters[i] for i in ids) < weight:
                    error = f"lifters {ids} cannot lift {weight}"
                if error:
                    problem = problem or f"step {k + 1}: {error}"
                    continue
                remaining.remove(weight)
                used.update(ids)
        ratio = (total - sum(remaining)) / total if total else 1.0
        if remaining:
            return Verdict.wrong(f"{len(remaining)} boxes left" + (f"; {problem}" if problem else ""), ratio)
        if strict and problem:
            return Verdict.wrong(problem, ratio)
        return Verdict(True, 1.0, problem)

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        return self._simulate(instance, answer, strict=True)

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: invalid assignments are skipped, steps beyond N ignored; success iff no box remains."""
        return self._simulate(instance, answer, strict=False)

    def gold_answer(self, instance: Instance) -> str:
        return "<<<" + render(greedy_plan(instance.data["boxes"], instance.data["lifters"])) + ">>>"


def _int_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, int) and v > 0 for v in value)
