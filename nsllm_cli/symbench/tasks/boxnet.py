"""S4 BoxNet: agents on an R x C grid move coloured boxes to adjacent cells or onto same-colour targets.

Data: `BoxNet1_dataset/env_pg_state_{R}_{C}/pg_state{i}/pg_state{i}.json` maps `"row_col"` cell centres
(`"0.5_1.5"`) to the items there. The answer is a JSON list of steps `{"Agent[x, y]": "move(box_c, square[x, y])"}`
or `"move(box_c, target_c)"`. The stored data has no plan; the gold answer comes from a small greedy planner.

Fixes over the original: it silently skipped invalid actions, dropped duplicate agent keys in `json.loads`, and
let a box moved into a cell be moved again by that cell's agent in the same step. nsllm rejects invalid actions
(unknown agent cell, missing box, non-adjacent square, wrong-colour target, two actions of one agent in a step),
acts on the state at the start of each step, and reads the plan leniently (JSON, then Python literal). Success iff
no boxes remain; `score` is the matched-box ratio, as the original logged.
"""

from __future__ import annotations

import ast
import copy
import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import (
    Instance,
    Task,
    Verdict,
    last_answer,
    load_each,
    numbered_dirs,
    numbers_in,
    read_json,
    register,
)

Cell = tuple[float, float]
State = dict[str, list[str]]
_NUM = re.compile(r"-?\d+(?:\.\d+)?")
_MOVE = re.compile(r"^\s*move\s*\(\s*['\"]?([\w]+)['\"]?\s*,\s*(.+?)\s*\)\s*$", re.I)
COLOURS = ["red", "blue", "green", "purple", "orange", "yellow", "pink", "brown"]
# complexity -> (rows, columns, colours): 1-3 are the tested grids, 4-5 the larger ones present in the data.
CONFIGS = {1: (1, 2, 2), 2: (2, 2, 3), 3: (2, 4, 4), 4: (4, 4, 5), 5: (4, 8, 6)}


def key(cell: Cell) -> str:
    return f"{cell[0]}_{cell[1]}"


def cells(state: State) -> list[Cell]:
    out = []
    for name in state:
        row, col = name.split("_")
        out.append((float(row), float(col)))
    return out


def _adjacent(a: Cell, b: Cell) -> bool:
    return abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1.0


def _step_toward(here: Cell, goal: Cell) -> Cell:
    if here[0] != goal[0]:
        return (here[0] + (1.0 if goal[0] > here[0] else -1.0), here[1])
    return (here[0], here[1] + (1.0 if goal[1] > here[1] else -1.0))


def plan(state: State) -> list[dict[str, str]]:
    """A valid plan: each step, every agent with a box matches it if it can, else moves one box toward the nearest
    target of its colour (the distance to some target falls each move, so it terminates)."""
    current = copy.deepcopy(state)
    grid = cells(current)
    steps: list[dict[str, str]] = []
    for _ in range(10 * len(grid) * max(1, sum(len(v) for v in current.values())) + 10):
        if not any(item.startswith("box_") for items in current.values() for item in items):
            return steps
        actions: dict[str, str] = {}
        moves: list[tuple[Cell, str, str | Cell]] = []
        for cell in grid:
            items = current[key(cell)]
            boxes = [i for i in items if i.startswith("box_")]
            match = next((b for b in boxes if "target_" + b[4:] in items), None)
            if match:
                moves.append((cell, match, "target_" + match[4:]))
                actions[f"Agent[{cell[0]}, {cell[1]}]"] = f"move({match}, target_{match[4:]})"
                continue
            for box in boxes:
                targets = [c for c in grid if "target_" + box[4:] in current[key(c)]]
                if targets:
                    goal = min(targets, key=lambda c: (abs(c[0] - cell[0]) + abs(c[1] - cell[1]), c))
                    nxt = _step_toward(cell, goal)
                    moves.append((cell, box, nxt))
                    actions[f"Agent[{cell[0]}, {cell[1]}]"] = f"move({box}, square[{nxt[0]}, {nxt[1]}])"
                    break
        if not moves:
            raise ValueError("boxes remain that no target can take")
        for cell, box, dest in moves:
            current[key(cell)].remove(box)
            if isinstance(dest, str):
                current[key(cell)].remove(dest)
            else:
                current[key(dest)].append(box)
        steps.append(actions)
    raise ValueError("planner did not finish")


def question_text(rows: int, cols: int, state: State) -> str:
    """Our wording of the original prompt, with each agent's observation and options."""
    lines = []
    for i in range(rows):
        for j in range(cols):
            here = (i + 0.5, j + 0.5)
            items = state[key(here)]
            around = [(here[0] + dr, here[1] + dc) for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))]
            around = [c for c in around if 0 < c[0] < rows and 0 < c[1] < cols]
            options = []
            for box in (x for x in items if x.startswith("box_")):
                options += [f"move({box}, square[{c[0]}, {c[1]}])" for c in around]
                if "target_" + box[4:] in items:
                    options.append(f"move({box}, target_{box[4:]})")
            lines.append(f"Agent[{here[0]}, {here[1]}]: I am in square[{here[0]}, {here[1]}], I can observe {items}, "
                         f"I can do {options}")  # fmt: skip
    return (
        "You are a central planner directing agents in a grid-like field to move coloured boxes to the targets of the "
        "same colour. Each agent occupies one 1x1 square and can only act on objects in its own square: it can move a "
        "box to an adjacent square, or onto a target of the same colour in its square (both then disappear). A "
        "square may hold several boxes and targets. Squares are named by their centre, e.g. square[0.5, 0.5].\n"
        "Give a list of steps; in each step every agent performs at most one action, keyed by its position "
        '"Agent[x, y]". Include an agent only if it acts. Match all boxes in as few steps as possible.\n\n'
        "The current boxes, targets and agents are:\n" + "\n".join(lines) + "\n\n"
        'Answer with the list of action dictionaries surrounded by <<<>>>, e.g. <<<[{"Agent[0.5, 0.5]": '
        '"move(box_blue, square[0.5, 1.5])", "Agent[1.5, 0.5]": "move(box_red, target_red)"}, '
        '{"Agent[0.5, 1.5]": "move(box_blue, target_blue)"}]>>>.'
    )


DUPLICATE = "duplicate agent"


def _pairs_no_dups(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Keep a duplicate agent key visible (plain `json.loads` keeps only the last action)."""
    out = dict(pairs)
    dups = sorted({k for k, _ in pairs if sum(1 for j, _ in pairs if j == k) > 1})
    if dups:
        out[DUPLICATE] = dups
    return out


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


@register
class BoxNet(Task):
    name = "boxnet"
    title = "BoxNet"
    code = "S4"
    seen = True
    folder = "BoxNet1_dataset"

    def load(self, data_dir: Path) -> list[Instance]:
        """Every `env_pg_state_{R}_{C}/pg_state{i}/pg_state{i}.json` present, by (R, C) then i."""

        def fill(inst: Instance, path: Path) -> None:
            dims = numbers_in(path.parent.parent.name)
            if len(dims) != 2:
                raise DataError(f"{path.parent.parent}: expected env_pg_state_<rows>_<cols>")
            rows, cols = dims
            state = read_json(path)
            expected = {key((i + 0.5, j + 0.5)) for i in range(rows) for j in range(cols)}
            if not (isinstance(state, dict) and set(state) == expected and all(_strings(v) for v in state.values())):
                raise DataError(f"{path}: expected a {rows}x{cols} grid of item lists")
            inst.data = {"rows": rows, "cols": cols, "state": state}
            inst.question = question_text(rows, cols, state)

        groups = numbered_dirs(data_dir / self.folder, "env_")
        files = (sample / f"{sample.name}.json" for group in groups for sample in numbered_dirs(group))
        return load_each(self, ((f"{p.parent.parent.name}/{p.parent.name}", str(p), p) for p in files), fill)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Grids 1x2, 2x2, 2x4, 4x4, 4x8 for complexity 1-5; one to three boxes per colour, each with its target."""
        rng = random.Random(seed)
        rows, cols, colours = CONFIGS[max(1, min(complexity, max(CONFIGS)))]
        out = []
        for i in range(n):
            state: State = {key((r + 0.5, c + 0.5)): [] for r in range(rows) for c in range(cols)}
            names = list(state)
            for colour in COLOURS[:colours]:
                for _ in range(rng.randint(1, 3)):
                    state[rng.choice(names)].append(f"box_{colour}")
                    state[rng.choice(names)].append(f"target_{colour}")
            data = {"rows": rows, "cols": cols, "state": state, "complexity": complexity}
            question = question_text(rows, cols, state)
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        """The list of step dicts (JSON, else a Python literal); a single dict is one step; garbage is []."""
        block = last_answer(text)
        if block is None:
            return None
        block = block.strip().strip("`")
        if block.lower().startswith("json"):
            block = block[4:]
        value: Any = None
        try:
            value = json.loads(block, object_pairs_hook=_pairs_no_dups)
        except json.JSONDecodeError:
            try:
                value = ast.literal_eval(block)
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                return []
        if isinstance(value, dict):
            value = [value]
        return value if isinstance(value, list) else []

    def _simulate(self, instance: Instance, answer: Any, paper: bool) -> Verdict:
        state: State = copy.deepcopy(instance.data["state"])
        total = sum(1 for items in state.values() for x in items if x.startswith("box_"))
        if not isinstance(answer, list) or (not answer and total):
            return Verdict.wrong("no plan")

        def verdict(reason: str) -> Verdict:
            left = sum(1 for items in state.values() for x in items if x.startswith("box_"))
            return Verdict.wrong(reason, (total - left) / total if total else 1.0)

        for k, step in enumerate(answer):
            if not isinstance(step, dict):
                return verdict(f"step {k + 1} is not a dict")
            start = {name: Counter(items) for name, items in state.items()}
            for agent, action in step.items():
                nums = [float(x) for x in _NUM.findall(str(agent))]
                match = _MOVE.match(str(action))
                here = key((nums[0], nums[1])) if len(nums) == 2 else ""
                error = ""
                if agent == DUPLICATE:
                    error = f"two actions for {action} in one step"
                elif here not in state:
                    error = f"no agent at {agent}"
                elif not match:
                    error = f"cannot read action {action!r}"
                else:
                    box, dest = match.group(1), match.group(2).strip().strip("'\"")
                    source = start if not paper else {here: Counter(state[here])}
                    if not box.startswith("box_") or source[here][box] <= 0:
                        error = f"{agent} has no {box}"
                    elif dest.startswith("target_"):
                        if dest[7:] != box[4:] or dest not in state[here]:
                            error = f"{agent} cannot put {box} on {dest}"
                        else:
                            state[here].remove(box)
                            state[here].remove(dest)
                            start[here][box] -= 1
                    else:
                        to = [float(x) for x in _NUM.findall(dest)]
                        target = key((to[0], to[1])) if len(to) == 2 and "square" in dest.lower() else ""
                        if target not in state or not _adjacent((nums[0], nums[1]), (to[0], to[1])):
                            error = f"{agent} cannot move {box} to {dest}"
                        else:
                            state[here].remove(box)
                            state[target].append(box)
                            start[here][box] -= 1
                if error and not paper:
                    return verdict(f"step {k + 1}: {error}")
        left = sum(1 for items in state.values() for x in items if x.startswith("box_"))
        if left:
            return verdict(f"{left} boxes left")
        if paper and any(state.values()):
            return verdict("targets left")
        return Verdict.ok()

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        return self._simulate(instance, answer, paper=False)

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: invalid actions skipped, moves applied in order within a step, success iff every cell is empty."""
        return self._simulate(instance, answer, paper=True)

    def gold_answer(self, instance: Instance) -> str:
        return "<<<" + json.dumps(plan(instance.data["state"])) + ">>>"
