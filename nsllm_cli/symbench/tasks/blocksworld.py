"""S5 Blocksworld: a plan of "Move X from stackA to stackB" moves (top blocks only) reaching the goal stacks.

Data: `Blocksworld_dataset/{blocks}_{init}_{goal}_{k}/blocksworld_task.txt` with "Initial State:" and "Goal State:"
sections of `stackN: A B` lines (bottom to top). The prompt is rebuilt from it (the original's wording); the stored
data has no plan, so the gold answer comes from a breadth-first search (at most 4 blocks, 5 stacks).

Fixes over the original: its GPT-4o extractor prompt was copied from a yes/no task; nsllm parses the moves
deterministically and leniently ("Move A from stack1 to stack2", "move A from 1 to 2", with or without quotes,
numbering, commas or semicolons). Success, as in the original, iff every move takes the top block of an existing
stack and the final non-empty stacks equal the goal's.
"""

from __future__ import annotations

import random
import re
from collections import deque
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_each, numbered_dirs, numbers_in, register

Stacks = dict[str, list[str]]
Move = tuple[str, str, str]
_MOVE = re.compile(
    r"move\s+['\"]?(?:block\s+)?([A-Za-z0-9]+)['\"]?\s+from\s+(?:the\s+)?['\"]?(?:stack\s*)?([A-Za-z0-9]+)['\"]?\s+"
    r"to\s+(?:the\s+)?['\"]?(?:stack\s*)?([A-Za-z0-9]+)['\"]?",
    re.I,
)
_SPLIT = re.compile(r"\n|;|,(?=\s*move)|\\n", re.I)
# complexity -> (blocks, initial stacks, goal stacks): the original's ranges, 2-4 blocks, 3-5 / 2-4 stacks.
CONFIGS = {1: (2, 3, 2), 2: (3, 3, 3), 3: (3, 4, 3), 4: (4, 4, 3), 5: (4, 5, 4), 6: (5, 5, 4)}


def read_task(text: str, where: str) -> tuple[Stacks, Stacks]:
    """The original's reader: `stackN: blocks` lines under "Initial State:" and "Goal State:"."""
    initial: Stacks = {}
    goal: Stacks = {}
    current: Stacks | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.lower().startswith("initial state"):
            current = initial
        elif line.lower().startswith("goal state"):
            current = goal
        elif line:
            name, sep, blocks = line.partition(":")
            if current is None or not sep or not name.strip():
                raise DataError(f"{where}: cannot read line {raw!r}")
            current[name.strip()] = blocks.split()
    if not initial or not goal:
        raise DataError(f"{where}: needs 'Initial State:' and 'Goal State:' sections")
    if sorted(b for s in initial.values() for b in s) != sorted(b for s in goal.values() for b in s):
        raise DataError(f"{where}: initial and goal states hold different blocks")
    return initial, goal


def _non_empty(stacks: Stacks) -> dict[str, list[str]]:
    return {k: v for k, v in stacks.items() if v}


def solve(initial: Stacks, goal: Stacks) -> list[Move]:
    """A shortest plan by breadth-first search over states (moves only among the initial stacks)."""
    names = list(initial)
    goal_state = tuple(tuple(goal.get(n, [])) for n in names)
    if _non_empty({n: list(v) for n, v in zip(names, goal_state, strict=True)}) != _non_empty(goal):
        raise ValueError("the goal uses a stack that the initial state lacks")
    start = tuple(tuple(initial[n]) for n in names)
    parent: dict[tuple[tuple[str, ...], ...], tuple[tuple[tuple[str, ...], ...], Move] | None] = {start: None}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        if state == goal_state:
            moves: list[Move] = []
            step = parent[state]
            while step is not None:
                state, move = step
                moves.append(move)
                step = parent[state]
            return moves[::-1]
        for i, src in enumerate(state):
            if not src:
                continue
            for j in range(len(state)):
                if j == i:
                    continue
                nxt = list(state)
                nxt[i] = src[:-1]
                nxt[j] = state[j] + (src[-1],)
                frozen = tuple(nxt)
                if frozen not in parent:
                    parent[frozen] = (state, (src[-1], names[i], names[j]))
                    queue.append(frozen)
    raise ValueError("goal unreachable")


def question_text(initial: Stacks, goal: Stacks) -> str:
    """The original's prompt (`state_to_prompt`), rebuilt from the task file."""
    text = "Blocksworld Task:\n\nInitial State:\n"
    text += "".join(f"{k}: {' '.join(v)}\n" for k, v in initial.items())
    text += "\nGoal State:\n" + "".join(f"{k}: {' '.join(v)}\n" for k, v in goal.items())
    return text + (
        "\nPlease provide a series of moves to reach the goal state. You can only move one block at a time. And that "
        "box should be the top box of the stack. Note that from the left to the right in each stack is the order from "
        "the bottom to the top of boxes. For example, in stack A B C D, A is the bottom box and D is the top box so "
        "that you can only move D in this case. ***Be careful that you can only pick up the top box in each stack. "
        "Check this rule before your move!***. \nEach move should be in the format: 'Move [block] from [source] to "
        "[destination]'. You cannot create new stacks but only move among the existing stacks. Separate each move "
        "with a newline. Surround the answer with <<<content>>>. Answer with the required format like the example: "
        "<<<Move B from 2 to table\nMove A from 1 to 2\nMove C from 3 to 1\nMove D from 3 to 2\nMove B from 1 to 2>>>\n"
        "Each action should be separated by separate line. Your answer: \n"
    )


def _stack(name: str) -> str:
    return name if name.lower().startswith("stack") else f"stack{name}"


@register
class Blocksworld(Task):
    name = "blocksworld"
    title = "Blocksworld"
    code = "S5"
    seen = True
    folder = "Blocksworld_dataset"

    def load(self, data_dir: Path) -> list[Instance]:
        """Every `{blocks}_{init}_{goal}_{k}/blocksworld_task.txt` present, in numeric order."""

        def fill(inst: Instance, path: Path) -> None:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise DataError(f"{path}: cannot read ({exc})") from exc
            initial, goal = read_task(text, str(path))
            inst.question, inst.data = question_text(initial, goal), {"initial": initial, "goal": goal}
            dims = numbers_in(path.parent.name)
            inst.complexity = dims[0] if dims else None

        files = (sample / "blocksworld_task.txt" for sample in numbered_dirs(data_dir / self.folder))
        return load_each(self, ((path.parent.name, str(path), path) for path in files), fill)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Random initial and goal stacks over the first letters; more blocks and stacks with complexity."""
        rng = random.Random(seed)
        blocks_n, init_n, goal_n = CONFIGS[max(1, min(complexity, max(CONFIGS)))]
        blocks = [chr(ord("A") + i) for i in range(blocks_n)]
        out = []
        for i in range(n):
            while True:
                initial = self._deal(rng, blocks, init_n)
                goal = self._deal(rng, blocks, goal_n)
                if _non_empty(initial) != _non_empty(goal):
                    break
            data = {"initial": initial, "goal": goal, "complexity": complexity}
            question = question_text(initial, goal)
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    @staticmethod
    def _deal(rng: random.Random, blocks: list[str], stacks: int) -> Stacks:
        order = rng.sample(blocks, len(blocks))
        out: Stacks = {f"stack{k + 1}": [] for k in range(stacks)}
        for block in order:
            out[f"stack{rng.randint(1, stacks)}"].append(block)
        return out

    def parse(self, text: str) -> Any | None:
        """Moves as (block, source, destination); an unreadable non-empty line becomes ("?", line, "")."""
        block = last_answer(text)
        if block is None:
            return None
        moves: list[Move] = []
        for line in _SPLIT.split(block):
            line = line.strip().strip("'\"`[]").strip()
            if not line:
                continue
            found = _MOVE.search(line)
            moves.append((found.group(1), _stack(found.group(2)), _stack(found.group(3))) if found else ("?", line, ""))
        return moves

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, list):
            return Verdict.wrong("no plan")
        state = {k: list(v) for k, v in instance.data["initial"].items()}
        for k, move in enumerate(answer):
            block, src, dst = move
            if block == "?":
                return Verdict.wrong(f"move {k + 1} cannot be read: {src!r}")
            if src not in state or dst not in state:
                return Verdict.wrong(f"move {k + 1}: no such stack ({src} or {dst})")
            if not state[src] or state[src][-1] != block:
                return Verdict.wrong(f"move {k + 1}: {block} is not on top of {src}")
            state[dst].append(state[src].pop())
        if _non_empty(state) != _non_empty(instance.data["goal"]):
            return Verdict.wrong("the final state differs from the goal")
        return Verdict.ok()

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: the same simulation; its answer text came from a yes/no extractor (see the module docstring)."""
        return self.verify(instance, answer)

    def gold_answer(self, instance: Instance) -> str:
        moves = solve(instance.data["initial"], instance.data["goal"])
        return "<<<" + "\n".join(f"Move {b} from {s} to {d}" for b, s, d in moves) + ">>>"
