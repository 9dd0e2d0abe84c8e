"""The model behind `nsllm serve`: a request becomes a tokenized `Job`, a job becomes tokens, one at a time.

`Engine.prepare` validates a `ChatRequest` and tokenizes it straight through the chat template;
`Engine.run` generates under a lock (blocking: call it from a worker thread), stopping between tokens when
the request's `Cancel` is thrown or a stop string appears; `Engine.finish` cuts the text at the first stop
string and names the finish reason. With an NS intervention, it runs on the prefill of every generation at
the last prompt token, exactly as ``nsllm bench`` applies it.

Example:
    >>> engine = Engine(model, tok, default_max_tokens=64)
    >>> job = engine.prepare(ChatRequest(model="m", messages=[{"role": "user", "content": "2+2?"}]))
    >>> out = engine.run(job)
    >>> engine.finish(job, out, tok.decode(out.token_ids, skip_special_tokens=True))
    ('4', 'stop')
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import torch
from transformers import StoppingCriteria, StoppingCriteriaList

from nsllm_cli.providers.limits import context_length, is_blank
from nsllm_cli.serving.admission import Cancel
from nsllm_cli.serving.schema import ApiError, ChatMessage, ChatRequest
from nsllm_cli.stop_strings import find_stop

__all__ = ["DEFAULT_MAX_TOKENS", "Engine", "Job", "Output"]

DEFAULT_MAX_TOKENS = 512


@dataclass
class Job:
    """One tokenized request, ready for `Engine.run`."""

    input_ids: torch.Tensor
    max_new_tokens: int
    temperature: float
    top_p: float | None
    seed: int | None
    stops: list[str]

    @property
    def prompt_tokens(self) -> int:
        return int(self.input_ids.shape[1])


@dataclass
class Output:
    """What one generation produced: its new token ids (EOS included when generated)."""

    token_ids: list[int]


class _Halt(StoppingCriteria):
    """Ends a generation when the client went away or a stop string appeared in the new text."""

    def __init__(self, cancel: Cancel, tok: Any, prompt_len: int, stops: Sequence[str]) -> None:
        self.cancel, self.tok, self.prompt_len, self.stops = cancel, tok, prompt_len, list(stops)
        self.window = max((len(s) for s in self.stops), default=0) + 16  # tokens: at least one char each, mostly

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        self.cancel.generated = int(input_ids.shape[1]) - self.prompt_len  # called once per new token
        done = self.cancel.is_set()
        if not done and self.stops:
            start = max(self.prompt_len, input_ids.shape[1] - self.window)
            tail = self.tok.decode(input_ids[0, start:], skip_special_tokens=True)
            done = any(s in tail for s in self.stops)
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


class Engine:
    """The loaded model behind the server: turns requests into jobs and runs them one at a time."""

    def __init__(
        self, model: Any, tok: Any, *, ns: Any | None = None, default_max_tokens: int = DEFAULT_MAX_TOKENS
    ) -> None:
        self.model, self.tok, self.ns = model, tok, ns
        self.default_max_tokens = default_max_tokens
        self.device = next(model.parameters()).device
        self.context = context_length(model, tok) or 0
        """Most tokens of prompt + answer (0: unknown): the model's positions, or the tokenizer's limit if smaller."""
        self.lock = threading.Lock()
        if ns is not None:
            ns.to(self.device)
        # Built once: greedy unless asked, no top-k (OpenAI has none), pad = the tokenizer's pad token.
        # An omitted temperature means the model's own default (greedy when it does not sample).
        config = copy.deepcopy(model.generation_config)
        self.default_temperature = float(config.temperature or 1.0) if config.do_sample else 0.0
        config.do_sample, config.temperature, config.top_p, config.top_k = False, None, None, None
        if config.pad_token_id is None:
            config.pad_token_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        self.generation_config = config
        eos = config.eos_token_id if config.eos_token_id is not None else tok.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos]) - {None}

    def prepare(self, req: ChatRequest) -> Job:
        """Validate the request and tokenize it straight through the chat template (no re-tokenization).

        Raises:
            ApiError: for a request the server cannot honour.
        """
        if req.n not in (None, 1):
            raise ApiError("only n=1 is supported", param="n", code="unsupported_value")
        if req.logprobs:
            raise ApiError("logprobs are not supported", param="logprobs", code="unsupported_value")
        if req.tools:
            raise ApiError("tools are not supported", param="tools", code="unsupported_value")
        messages = [_plain_message(m, i) for i, m in enumerate(req.messages)]
        if is_blank(messages):
            raise ApiError("the prompt is empty: no message has any text", param="messages", code="empty_prompt")
        try:
            enc = self.tok.apply_chat_template(
                messages, add_generation_prompt=True, tokenize=True, return_dict=True, return_tensors="pt"
            )
        except Exception as exc:  # noqa: BLE001 - a template that refuses the conversation is the client's problem
            raise ApiError(f"the chat template rejected the messages: {exc}", param="messages") from exc
        input_ids = enc["input_ids"].to(self.device)
        prompt_len = int(input_ids.shape[1])
        wanted = req.max_completion_tokens or req.max_tokens
        room = self.context - prompt_len if self.context else None
        if room is not None and room < 1:
            raise ApiError(
                f"the prompt has {prompt_len} tokens; the model's context is {self.context}",
                param="messages",
                code="context_length_exceeded",
            )
        limit = wanted or self.default_max_tokens
        if room is not None:
            limit = min(limit, room)
        temperature = self.default_temperature if req.temperature is None else req.temperature
        return Job(input_ids, limit, temperature, req.top_p, req.seed, req.stops)

    def run(self, job: Job, *, streamer: Any | None = None, cancel: Cancel | None = None) -> Output:
        """Generate for `job`, waiting for any generation in progress (blocking: call it from a thread).

        `cancel`, once set, ends the generation after the token in progress (the lock is released then).
        """
        from nsllm_cli.ns.injection import attach

        cancel = cancel or Cancel()
        sampling = job.temperature > 0
        config = copy.copy(self.generation_config)  # generate() deep-copies it again; shallow is enough here
        config.max_new_tokens = job.max_new_tokens
        if sampling:
            config.do_sample, config.temperature, config.top_p, config.top_k = True, job.temperature, job.top_p, 0
        criteria = StoppingCriteriaList([_Halt(cancel, self.tok, job.prompt_tokens, job.stops)])
        with self.lock, torch.inference_mode():
            if cancel.is_set():
                return Output([])
            if job.seed is not None:
                torch.manual_seed(job.seed)
            hook: Any = attach(self.model, self.ns) if self.ns is not None else nullcontext()
            with hook as handle:
                if handle is not None:
                    handle.position = job.prompt_tokens - 1
                out = self.model.generate(
                    input_ids=job.input_ids,
                    attention_mask=torch.ones_like(job.input_ids),
                    generation_config=config,
                    stopping_criteria=criteria,
                    streamer=streamer,
                )
        return Output(out[0, job.prompt_tokens :].tolist())

    def finish(self, job: Job, out: Output, text: str) -> tuple[str, str]:
        """The text cut at the first stop string, and the finish reason ("stop" or "length")."""
        cut = find_stop(text, job.stops)
        if cut is not None:
            return text[:cut], "stop"
        if (out.token_ids and out.token_ids[-1] in self.eos_ids) or len(out.token_ids) < job.max_new_tokens:
            return text, "stop"
        return text, "length"


def _plain_message(message: ChatMessage, index: int) -> dict[str, str]:
    """A message as the chat template wants it: role and one string (developer becomes system)."""
    content = message.content
    if isinstance(content, list):
        if any(part.type != "text" for part in content):
            raise ApiError("only text content parts are supported", param=f"messages.{index}.content")
        content = "".join(part.text or "" for part in content)
    role = "system" if message.role == "developer" else message.role
    return {"role": role, "content": content or ""}
