"""Fixtures shared by the NS tests: the tiny model loaded once per test module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="module")
def tiny(tiny_dir: Path) -> tuple[Any, Any]:
    """(model in eval mode, tokenizer) of the random-init tiny Llama; a module's own `tiny` overrides it."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(str(tiny_dir)).eval(), AutoTokenizer.from_pretrained(str(tiny_dir))
