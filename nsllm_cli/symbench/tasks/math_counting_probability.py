r"""S12 MATH Counting & Probability: the target is the last `\boxed{}` of the stored solution.

Fix over the original (as S11): the GPT-4o judge is replaced by deterministic equivalence of the boxed answer
(normalised strings, or equal values by an exact Fraction evaluator); see `math_geometry` for the shared helpers.
"""

from __future__ import annotations

from nsllm_cli.symbench.base import register
from nsllm_cli.symbench.tasks.math_geometry import MathTask


@register
class MathCountingProbability(MathTask):
    name = "math_counting_probability"
    title = "MATH Counting & Probability"
    code = "S12"
    folder = "MATH/train/counting_and_probability"
