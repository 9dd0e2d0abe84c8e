"""nsllm: neurosymbolic and code-steered reasoning for language models, in one terminal tool."""

__version__ = "0.1.0"
