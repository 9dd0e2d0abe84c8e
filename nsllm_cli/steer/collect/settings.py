"""How every steering run of a collection is run and scored: one settings object, built once per collection.

:func:`~nsllm_cli.steer.collect.collect`, :func:`~nsllm_cli.steer.collect.collect_tree` and
:func:`~nsllm_cli.steer.collect.collect_trees` take these settings as keyword options and build one
:class:`CollectSettings` from them; every trajectory of the collection then runs through :meth:`CollectSettings.run`.

Example:
    >>> settings = CollectSettings(task=gpt4o, steer=gpt4o, allow_code=True)  # doctest: +SKIP
    >>> result = settings.run("Make 24 from 4 4 6 8.")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from nsllm_cli.events import Event
from nsllm_cli.providers.base import GenParams, Provider
from nsllm_cli.sandbox import run_code
from nsllm_cli.steer.loop import TASK_PARAMS
from nsllm_cli.steer.loop import steer as steer_loop
from nsllm_cli.steer.records import Executor, SteerResult

COLLECT_STEER_PARAMS = GenParams(temperature=1.0)
"""The API steerer's decoding when synthesising training data (the paper: GPT-4o at temperature 1.0)."""


@dataclass(frozen=True, kw_only=True)
class CollectSettings:
    """How every trajectory of a collection is run (API steerer) and scored."""

    task: Provider
    """The TaskLLM, which answers the question."""
    steer: Provider
    """The API steerer, which gives the guidance."""
    checker_llm: Provider | None = None
    """The Self-answer Checker (None: the TaskLLM)."""
    max_rounds: int = 5
    """Guidance rounds after the code/text choice, as for `steer()`."""
    allow_code: bool = False
    """Whether model-written programs may run (in the sandbox); False makes code an error."""
    executor: Executor = run_code
    """Runs one program."""
    self_check_enabled: bool = True
    """The self-answer checker every round."""
    task_params: GenParams | None = TASK_PARAMS
    """The TaskLLM's decoding."""
    steer_params: GenParams | None = COLLECT_STEER_PARAMS
    """The steerer's decoding (temperature 1.0, as in the paper's data synthesis)."""
    paraphrase: bool = False
    """Paraphrase the question in round 0, as for `steer()`."""
    extractor: Provider | None = None
    """Optional LLM fallback of the answer extractor (:mod:`nsllm_cli.steer.final_answer`)."""

    def run(
        self,
        question: str,
        *,
        prefix: SteerResult | None = None,
        steer_params: GenParams | None = None,
        on_event: Event | None = None,
    ) -> SteerResult:
        """One steering run (API steerer); a failure re-raises after `on_event("error", ...)`.

        Args:
            question: the task's prompt.
            prefix: a transcript to continue (its rounds are kept, the next guidance is sampled anew).
            steer_params: the steerer's decoding for this run (None: :attr:`steer_params`).
            on_event: the loop's events.
        """
        return steer_loop(
            question,
            task=self.task,
            steer=self.steer,
            checker_llm=self.checker_llm,
            max_rounds=self.max_rounds,
            allow_code=self.allow_code,
            executor=self.executor,
            steer_mode="api",
            self_check_enabled=self.self_check_enabled,
            paraphrase=self.paraphrase,
            task_params=self.task_params,
            steer_params=steer_params or self.steer_params,
            on_event=on_event,
            prefix=prefix,
        )


RUN_OPTIONS = frozenset(f.name for f in fields(CollectSettings)) - {"task", "steer"}
"""The keyword options that set a :class:`CollectSettings` besides the two models."""


def collect_settings(where: str, *, task: Provider, steer: Provider, options: Mapping[str, Any]) -> CollectSettings:
    """The settings of one collection from its models and keyword options.

    Raises:
        TypeError: an option that is not a :class:`CollectSettings` field (named, with the function `where`).
    """
    unknown = sorted(set(options) - RUN_OPTIONS)
    if unknown:
        raise TypeError(f"{where}() got unknown options: {', '.join(unknown)}")
    return CollectSettings(task=task, steer=steer, **options)
