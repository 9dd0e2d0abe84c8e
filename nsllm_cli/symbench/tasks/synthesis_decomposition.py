"""U7 Synthesis Decomposition: exchange crops for products by methods applied cyclically; give the remaining counts.

Spec row U7. The stored answer always holds five counts (A, B, C, X, Y) while the question asks for 3, 4 or 5 named
fields. Original: `list == answer[:k]`, k = the number of asked fields, which compares the wrong fields when the
question asks for [A, B, X] (answer[:3] is [A, B, C]). Fix: compare the asked fields by name.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from nsllm_cli.errors import DataError
from nsllm_cli.symbench.base import Instance, Task, Verdict, last_answer, load_logic_games, register

_INT = re.compile(r"-?\d+")
_FIELDS = re.compile(r"as a list showing \[([^\]]*)\]")
_METHOD = re.compile(r"Method \d+: (.*?) can be exchanged for (.*?), and this can be done only once per cycle")
_AMOUNT = re.compile(r"(\d+) units? of (?:crop|product) ([A-Z])")
ORDER = ("A", "B", "C", "X", "Y")
Method = tuple[dict[str, int], dict[str, int]]


def asked_fields(question: str) -> list[str]:
    """The resource letters the question asks for, in order (e.g. ["A", "B", "X"])."""
    m = _FIELDS.search(question)
    if not m:
        raise DataError("the question names no answer fields ('as a list showing [...]')")
    return [f.strip().split("_")[-1] for f in m.group(1).split(",")]


def parse_methods(question: str) -> list[Method]:
    """The methods of the original wording, as (inputs, outputs) count maps."""
    return [
        ({k: int(v) for v, k in _AMOUNT.findall(take)}, {k: int(v) for v, k in _AMOUNT.findall(give)})
        for take, give in _METHOD.findall(question)
    ]


def simulate(methods: list[Method], initial: dict[str, int], limit: int = 100_000) -> list[dict[str, int]]:
    """States after each applied method: methods in turn, each at most once per pass, until a pass applies none."""
    state = dict.fromkeys(ORDER, 0) | initial
    steps = []
    changed = True
    while changed:
        changed = False
        for take, give in methods:
            if all(state.get(k, 0) >= v for k, v in take.items()):
                for k, v in take.items():
                    state[k] -= v
                for k, v in give.items():
                    state[k] = state.get(k, 0) + v
                steps.append(dict(state))
                changed = True
                if len(steps) > limit:
                    raise ValueError("the methods do not terminate")
    return steps


def _amount(n: int, key: str, output: bool) -> str:
    kind = "product" if output or key in ("X", "Y") else "crop"
    return f"{n} unit{'s' if n > 1 else ''} of {kind} {key}"


def _render_method(k: int, method: Method) -> str:
    take = " and ".join(_amount(v, key, False) for key, v in method[0].items())
    give = " and ".join(_amount(v, key, True) for key, v in method[1].items())
    return f"Method {k}: {take} can be exchanged for {give}, and this can be done only once per cycle."


@register
class SynthesisDecomposition(Task):
    name = "synthesis_decomposition"
    title = "Synthesis Decomposition"
    code = "U7"
    seen = False
    folder = "synthesis_decomposition_dataset"

    def load(self, data_dir: Path) -> list[Instance]:
        def check(inst: Instance) -> None:
            try:
                answer = [int(v) for v in inst.data["solution"]["answer"]]
                fields = asked_fields(inst.question)
            except (KeyError, TypeError, ValueError, DataError) as exc:
                raise DataError(f"{inst.source}: malformed synthesis-decomposition sample ({exc})") from exc
            if len(answer) != len(ORDER) or not set(fields) <= set(ORDER):
                raise DataError(f"{inst.source}: answer {answer} or fields {fields} do not fit A, B, C, X, Y")

        return load_logic_games(self, data_dir / self.folder, check)

    def generate(self, n: int, seed: int, complexity: int) -> list[Instance]:
        """Crops, products and methods grow with complexity; every method turns resources into strictly later ones
        in the order A, B, C, X, Y, so the cycle always ends."""
        rng = random.Random(seed)
        c = min(max(complexity, 1), 5)
        crops = ["A", "B"] if c <= 2 else ["A", "B", "C"]
        products = ["X"] if c <= 3 else ["X", "Y"]
        n_methods = {1: 2, 2: 3, 3: 3, 4: 4, 5: 5}[c]
        out = []
        for i in range(n):
            pool = crops + products
            methods: list[Method] = []
            while len(methods) < n_methods:
                target = rng.choice([p for p in pool if p != "A"])
                earlier = pool[: pool.index(target)]
                inputs = rng.sample(earlier, rng.randint(1, min(3, len(earlier))))
                m = ({k: rng.randint(1, 2) for k in sorted(inputs, key=ORDER.index)}, {target: rng.randint(1, 3)})
                if m not in methods and (target in products or len(methods) > 0):
                    methods.append(m)
            if not any(set(m[1]) & set(products) for m in methods):
                methods[-1] = ({crops[0]: 1}, {products[0]: 1})
            initial = {k: rng.randint(2 + c, 4 + 2 * c) for k in crops}
            steps = simulate(methods, initial)
            final = steps[-1] if steps else dict.fromkeys(ORDER, 0) | initial
            fields = [f"remaining_{k}" for k in crops] + [f"obtained_{k}" for k in products]
            question = (
                f"A farmer grows crops {', '.join(crops)} and exchanges them for products {', '.join(products)} with "
                "these methods:\n\n" + "\n".join(_render_method(k + 1, m) for k, m in enumerate(methods)) + "\n\n"
                f"He applies the methods in order, one at a time, skipping any that cannot run, and after Method "
                f"{len(methods)} starts again from Method 1, until no method can run.\n\n"
                "Initially there are " + ", ".join(f"{v} units of crop {k}" for k, v in initial.items()) + ".\n\n"
                f"Give the final counts as a list showing [{', '.join(fields)}], e.g. "
                f"<<<[{', '.join(str(k + 1) for k in range(len(fields)))}]>>>."
            )
            data = {
                "initial_state": initial,
                "solution": {
                    "answer": [str(final[k]) for k in ORDER],
                    "process": [[str(s[k]) for k in ORDER] for s in steps],
                },
                "complexity": complexity,
            }
            out.append(Instance.generated(self.name, seed, i, question, data, complexity))
        return out

    def parse(self, text: str) -> Any | None:
        """The integers of the last block (brackets, quotes and separators ignored)."""
        block = last_answer(text)
        if block is None:
            return None
        return [int(t) for t in _INT.findall(block)]

    def expected(self, instance: Instance) -> list[int]:
        """The stored answer's values for the fields the question asks for."""
        answer = [int(v) for v in instance.data["solution"]["answer"]]
        return [answer[ORDER.index(f)] for f in asked_fields(instance.question)]

    def verify(self, instance: Instance, answer: Any) -> Verdict:
        if not isinstance(answer, list):
            return Verdict.wrong("no answer list")
        want = self.expected(instance)
        return Verdict.ok() if answer == want else Verdict.wrong(f"{answer} != {want}")

    def verify_paper(self, instance: Instance, answer: Any) -> Verdict:
        """Original: `answer == stored[:k]`, k = the number of asked fields (wrong fields for [A, B, X])."""
        if not isinstance(answer, list):
            return Verdict.wrong("no answer list")
        k = len(asked_fields(instance.question))
        want = [int(v) for v in instance.data["solution"]["answer"]][:k]
        return Verdict.ok() if answer == want else Verdict.wrong(f"{answer} != {want}")

    def gold_answer(self, instance: Instance) -> str:
        return "<<<[" + ", ".join(str(v) for v in self.expected(instance)) + "]>>>"
