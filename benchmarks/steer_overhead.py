"""Steering-loop overhead per round, excluding model time (target: <= 20 ms per round).

Run: .venv/bin/python benchmarks/steer_overhead.py [--runs 50] [--rounds 5] [--sandbox-runs 3]

Every round does the full work of codesteer.md section 2 (first-block extraction, AST Symbolic Checker,
execution, Self-answer Checker with its own program, feedback text, control-token matching, records)
with scripted models that answer instantly, so what is measured is the loop itself:

1. with a no-op executor: the engine's own cost per round;
2. with the real sandbox (`run_code`): the same plus two sandboxed runs per round (the answer's program
   and the checker's program), reported separately because it is process start-up, not loop overhead.
3. the pieces: one Symbolic Checker call on a 20-line program, and the 2000-token output cap on a 64 kB
   output, side by side with the naive variant that counts every token.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from nsllm_cli.providers.scripted import ScriptedProvider
from nsllm_cli.sandbox import ExecResult, run_code
from nsllm_cli.steer.checker import symbolic_check
from nsllm_cli.steer.loop import steer
from nsllm_cli.steer.prompts import estimate_tokens, over_token_limit

QUESTION = (
    "Place 6 queens on a 6x6 board so that no two attack each other. Give the column of the queen in each row, "
    "as <<<[c1, c2, c3, c4, c5, c6]>>>."
)
PROGRAM = """\
from itertools import permutations


def safe(cols):
    for i in range(len(cols)):
        for j in range(i + 1, len(cols)):
            if abs(cols[i] - cols[j]) == j - i:
                return False
    return True


def solve(n):
    for cols in permutations(range(n)):
        if safe(cols):
            return [c + 1 for c in cols]
    return None


answer = solve(6)
print(f"<<<{answer}>>>")
"""
ANSWER = "I search over all placements with one queen per row and column.\n\n```python\n" + PROGRAM + "```\n"
CHECK = "```python\nprint('Correct')\n```"
GUIDANCE = "The search is right but explain the result. <<<Check the diagonals once more and restate the answer>>>"


def _noop(code: str) -> ExecResult:
    return ExecResult("<<<[2, 4, 6, 1, 3, 5]>>>\n", "", 0, duration_s=0.0)


def _run_once(rounds: int, executor: object) -> tuple[float, int, float]:
    """One steering run: (wall seconds, rounds done, seconds spent in model calls)."""
    task = ScriptedProvider([ANSWER] * (rounds + 1), name="task")
    steerer = ScriptedProvider(["<<<Code>>>"] + [GUIDANCE] * rounds, name="steer")
    checker = ScriptedProvider([CHECK] * (rounds + 1), name="checker")
    start = time.perf_counter()
    result = steer(
        QUESTION,
        task=task,
        steer=steerer,
        checker_llm=checker,
        max_rounds=rounds,
        allow_code=True,
        executor=executor,  # type: ignore[arg-type]
        run_final_code=False,
        on_event=lambda kind, payload: None,
    )
    wall = time.perf_counter() - start
    model = sum(c.seconds for c in result.calls)
    return wall, len(result.rounds), model


def per_round_ms(runs: int, rounds: int, executor: object) -> tuple[float, float]:
    """Median and max over runs of ms per round (loop wall time minus model-call time)."""
    _run_once(rounds, executor)  # warm-up (imports, caches)
    samples = []
    for _ in range(runs):
        wall, n, model = _run_once(rounds, executor)
        samples.append((wall - model) / n * 1000)
    return statistics.median(samples), max(samples)


def piece_ms(fn: object, repeats: int = 200) -> float:
    """Median ms of one call."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sandbox-runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "steer_overhead.json")
    parser.add_argument("--tiny", action="store_true", help="3 runs of 1 round, 1 sandbox run (smoke run)")
    args = parser.parse_args()
    if args.tiny:
        args.runs, args.rounds, args.sandbox_runs = 3, 1, 1

    med, worst = per_round_ms(args.runs, args.rounds, _noop)
    status = "OK" if med <= 20 else "OVER"
    print(
        f"loop overhead, no-op executor: {med:.2f} ms/round median (max {worst:.2f}) over {args.runs} runs x "
        f"{args.rounds + 1} rounds | target <= 20 ms: {status}"
    )
    med_s, worst_s = per_round_ms(args.sandbox_runs, args.rounds, run_code)
    print(
        f"loop + real sandbox (2 programs/round): {med_s:.1f} ms/round median (max {worst_s:.1f}) over "
        f"{args.sandbox_runs} runs | of which sandbox ~{med_s - med:.1f} ms"
    )
    checker = piece_ms(lambda: symbolic_check(PROGRAM))
    output = "0123456789 abcdef, " * 3400  # about 64 kB, the sandbox's output cap
    full = piece_ms(lambda: estimate_tokens(output) > 2000, repeats=50)
    early = piece_ms(lambda: over_token_limit(output, 2000), repeats=50)
    print(
        f"pieces: Symbolic Checker {checker:.3f} ms/program | 2000-token cap on a 64 kB output: early exit "
        f"{early:.2f} ms vs naive full count {full:.2f} ms ({full / early:.0f}x)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"round_ms": med, "round_sandbox_ms": med_s, "checker_ms": checker, "cap_early_ms": early}
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
