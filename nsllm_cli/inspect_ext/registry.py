"""Inspect AI's entry point for nsllm (`[project.entry-points.inspect_ai] nsllm = ...`): importing it registers
the tasks `nsllm/symbench` and `nsllm/math`, the solvers and the `nsllm/<model>` model provider."""

from __future__ import annotations

from nsllm_cli.inspect_ext.math_task import math
from nsllm_cli.inspect_ext.model_api import nsllm_models
from nsllm_cli.inspect_ext.solvers import code_only, code_text_choice, codesteer, only_question, text_only
from nsllm_cli.inspect_ext.symbench_task import symbench

__all__ = [
    "code_only",
    "code_text_choice",
    "codesteer",
    "math",
    "nsllm_models",
    "only_question",
    "symbench",
    "text_only",
]
