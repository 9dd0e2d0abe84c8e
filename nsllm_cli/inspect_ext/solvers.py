"""CodeSteer and the paper's baselines as Inspect solvers: `nsllm/codesteer`, `nsllm/text_only`, `nsllm/code_only`,
`nsllm/code_text_choice` and `nsllm/only_question` (the default solver of `nsllm/symbench`).

Each runs the method of `nsllm bench symbench --method ...` (`symbench_run.methods.answer`) unchanged: the task model
is the model under evaluation, the steering model the model role `steer` (`--model-role steer=openai/gpt-4o`).
Model-written code runs in nsllm's sandbox, and only with the user's consent, as in the CLI: `-S
allow_code_execution=true` (or NSLLM_ALLOW_CODE_EXECUTION=1); a method that runs code refuses to start without it.
Every round is in the sample's transcript: the ModelEvents of its calls and, between them, InfoEvents for the
steerer's decision, the program's run and the checks (`rounds`); the whole result is kept in the sample's store for
the scorer.
"""

from __future__ import annotations

from inspect_ai._util.error import PrerequisiteError  # private, but the one error Inspect prints as one line
from inspect_ai.model import ChatMessageAssistant, ModelOutput, get_model
from inspect_ai.solver import Generate, Solver, TaskState, solver

from nsllm_cli.inspect_ext.bridge import InspectProvider, run_engine
from nsllm_cli.inspect_ext.namespace import in_namespace
from nsllm_cli.inspect_ext.rounds import RoundEvents, round_events

STEER_ROLE = "steer"
"""The model role of the steering model."""
RESULT_KEY = "nsllm_result"
"""Where a solver leaves its `SteerResult.to_dict()` in the sample's store (the SymBench scorer reads it)."""
SOLVER_OF = {
    "only-question": "only_question",
    "all-text": "text_only",
    "all-code": "code_only",
    "code-text-choice": "code_text_choice",
    "codesteer": "codesteer",
}
"""`bench symbench --method` name -> the Inspect solver that does the same (`nsllm/<solver>`)."""


def method_solver(
    method: str, *, allow_code_execution: bool = False, max_rounds: int = 5, self_check: bool = True
) -> Solver:
    """A solver answering each sample with one of nsllm's SymBench methods (see the module docstring).

    Raises:
        PrerequisiteError: the method runs model-written code and the user did not opt in.
    """
    from nsllm_cli.consent import code_allowed
    from nsllm_cli.sandbox import run_code
    from nsllm_cli.symbench_run.methods import NEEDS_STEERER, RUNS_CODE, MethodSetup, answer

    name = f"nsllm/{SOLVER_OF[method]}"
    allowed = code_allowed(allow_code_execution)
    if method in RUNS_CODE and not allowed:
        raise PrerequisiteError(
            f"{name} runs model-written code: pass -S allow_code_execution=true or set NSLLM_ALLOW_CODE_EXECUTION=1 "
            "(it runs in nsllm's sandbox)"
        )

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        task_llm = InspectProvider(get_model())
        steer = None
        if method in NEEDS_STEERER:
            try:
                steer = InspectProvider(get_model(role=STEER_ROLE, required=True))
            except PrerequisiteError as exc:
                raise PrerequisiteError(f"{name} needs a steering model: --model-role steer=<model>") from exc
        setup = MethodSetup(
            task=task_llm,
            steer=steer,
            executor=run_code if allowed else None,
            task_params=None,  # the eval's generate config decides (the task's defaults, --temperature, ...)
            max_rounds=max_rounds,
            self_check=self_check,
            steer_mode=steer_mode(steer.name if steer else None),
        )
        looped = method in NEEDS_STEERER  # the steering loop reports its rounds as they happen
        result = await run_engine(answer, method, state.input_text, setup, RoundEvents(name) if looped else None)
        record = result.to_dict()
        if not looped:
            round_events(name, record["rounds"])
        state.store.set(RESULT_KEY, record)
        text = result.final_response or ""
        state.messages.append(ChatMessageAssistant(content=text, model=task_llm.name))
        state.output = ModelOutput.from_content(model=task_llm.name, content=text)
        return state

    return solve


def steer_mode(name: str | None) -> str:
    """The steering mode for the steering model `name`: local when `nsllm/<model>` serves it in-process (a trained
    steerer: its whole reply is the guidance), else api; the rule of `bench symbench` (`local:` models steer in
    local mode, `ns:` ones do not)."""
    served = name or ""
    return "local" if served.startswith("nsllm/") and not served.startswith("nsllm/ns:") else "api"


@solver
@in_namespace
def codesteer(allow_code_execution: bool = False, max_rounds: int = 5, self_check: bool = True) -> Solver:
    """CodeSteer: the `steer` model role guides the model under evaluation between code and text, round by round.

    Args:
        allow_code_execution: run the model's programs in nsllm's sandbox (required: the loop may ask for code).
        max_rounds: rounds after the code/text choice (the paper's 5).
        self_check: the self-answer checker every round (the paper's default).
    """
    return method_solver(
        "codesteer", allow_code_execution=allow_code_execution, max_rounds=max_rounds, self_check=self_check
    )


@solver
@in_namespace
def code_text_choice(allow_code_execution: bool = False) -> Solver:
    """The steering model picks code or text once, the model under evaluation answers; no later rounds."""
    return method_solver("code-text-choice", allow_code_execution=allow_code_execution)


@solver
@in_namespace
def text_only() -> Solver:
    """Baseline: the canonical text guide (reason step by step, no code), then the question."""
    return method_solver("all-text")


@solver
@in_namespace
def code_only(allow_code_execution: bool = False) -> Solver:
    """Baseline: the canonical code guide, then the question; the answer's program runs in the sandbox."""
    return method_solver("all-code", allow_code_execution=allow_code_execution)


@solver
@in_namespace
def only_question() -> Solver:
    """Baseline: the question alone (the default solver of `nsllm/symbench`)."""
    return method_solver("only-question")
