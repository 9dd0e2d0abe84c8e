"""`local:<model>`: a Hugging Face model run in this process, loaded once per process.

The original rebuilt its 8B steering model from disk on every call. Here models live in a
module-level cache keyed by (resolved folder, device, dtype), so every `get_provider("local:...")`
for the same model shares one copy, and a per-model lock makes sure one model runs one generation
at a time (the async methods run the sync path in a worker thread). Do not call the same model
from inside a loop over its own `stream()`: the second call waits for the first to finish.

Usage is exact: prompt tokens after the chat template, and the tokens `generate` produced.

Example:
    >>> p = LocalProvider("local:tiny", "tiny")  # doctest: +SKIP
    >>> p.complete([{"role": "user", "content": "hi"}], GenParams(max_tokens=8)).usage  # doctest: +SKIP
    Usage(prompt_tokens=31, completion_tokens=8, reported=True)
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nsllm_cli.errors import ConfigError, ProviderError
from nsllm_cli.providers.base import Completion, GenParams, Message, Usage
from nsllm_cli.providers.cache import ResponseCache
from nsllm_cli.providers.common import ProviderBase, StreamSink
from nsllm_cli.providers.limits import context_length, is_blank
from nsllm_cli.stop_strings import cut_at_stop, cut_stream

DEFAULT_MAX_NEW_TOKENS = 512
"""Used when GenParams.max_tokens is None."""


@dataclass
class LoadedModel:
    """One model in memory, its tokenizer, and the lock that serialises generations on it."""

    model: Any
    tokenizer: Any
    source: str
    device: str
    dtype: str
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOADED: dict[tuple[str, str, str], LoadedModel] = {}
_LOADING = threading.Lock()


def load_shared(spec: str, *, cache: Path, device: str = "auto", dtype: str = "auto") -> LoadedModel:
    """The process-wide copy of a model: resolved, loaded on first use, reused afterwards."""
    from nsllm_cli.models.device import pick_device, pick_dtype
    from nsllm_cli.models.resolve import load_model, resolve_model

    with _LOADING:
        resolved = resolve_model(spec, cache=cache)
        dev = pick_device(device)
        key = (resolved.source, str(dev), str(pick_dtype(dtype, dev)))
        loaded = _LOADED.get(key)
        if loaded is None:
            model, tok = load_model(resolved, device=str(dev), dtype=dtype)
            loaded = LoadedModel(model, tok, resolved.source, key[1], key[2])
            _LOADED[key] = loaded
        return loaded


def unload_all() -> None:
    """Forget every loaded model (tests; frees memory once nothing else holds them)."""
    with _LOADING:
        _LOADED.clear()


class LocalProvider(ProviderBase):
    """Chat with an in-process transformers model: chat template, then greedy or temperature sampling."""

    kind = "local"

    def __init__(
        self,
        name: str,
        model: str,
        *,
        model_cache: Path | None = None,
        device: str = "auto",
        dtype: str = "auto",
        cache: ResponseCache | None = None,
    ) -> None:
        """Args:
        model: a spec accepted by nsllm_cli.models.resolve: 'embedded', 'tiny', or a model folder.
        model_cache: where converted/built models live (default: NSLLM_CACHE from the settings).
        cache: a response cache; off by default for local models, whose weights can change under the same name.
        """
        super().__init__(name, _normalise(model), cache=cache)
        self.spec = model
        self.device = device
        self.dtype = dtype
        self._model_cache = model_cache
        self._loaded: LoadedModel | None = None

    @property
    def loaded(self) -> LoadedModel:
        """The shared in-memory model (loaded on first use)."""
        if self._loaded is None:
            cache = self._model_cache
            if cache is None:
                from nsllm_cli.config import load_settings

                cache = load_settings(None).cache_dir
            self._loaded = load_shared(self.spec, cache=cache, device=self.device, dtype=self.dtype)
        return self._loaded

    # -- generation ------------------------------------------------------------------------------------

    def _encode(self, messages: list[Message]) -> dict[str, Any]:
        """The chat template's token ids on the model's device, refused when there is nothing to generate from.

        Raises:
            ConfigError: no message has any text.
            ProviderError: the template refuses the messages, or the prompt leaves no room in the context.
        """
        if is_blank(messages):
            raise ConfigError(f"{self.name}: the prompt is empty (no message has any text)")
        tok = self.loaded.tokenizer
        try:
            rendered = tok.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
        except ValueError as exc:
            raise ProviderError(f"{self.name}: the model's tokenizer cannot render chat messages: {exc}") from exc
        n_tokens = int(rendered["input_ids"].shape[-1])
        limit = context_length(self.loaded.model, tok)
        if limit is not None and n_tokens >= limit:
            raise ProviderError(
                f"{self.name}: the prompt has {n_tokens} tokens, the model's context is {limit}: shorten it",
                status=400,
            )
        device = self.loaded.model.device
        return {k: v.to(device) for k, v in dict(rendered).items()}

    def _gen_kwargs(self, params: GenParams, prompt_len: int) -> dict[str, Any]:
        """`generate` options; the answer is cut to the room the prompt leaves in the context, as `nsllm serve` does."""
        import torch

        tok = self.loaded.tokenizer
        sampling = params.temperature > 0
        wanted = params.max_tokens if params.max_tokens is not None else DEFAULT_MAX_NEW_TOKENS
        context = context_length(self.loaded.model, tok)
        kw: dict[str, Any] = {
            "max_new_tokens": min(wanted, context - prompt_len) if context is not None else wanted,
            "do_sample": sampling,
            "temperature": params.temperature if sampling else None,
            "top_p": None,
            "top_k": None,
            "pad_token_id": tok.pad_token_id,
        }
        if params.stop:
            kw["stop_strings"] = list(params.stop)
            kw["tokenizer"] = tok
        if sampling and params.seed is not None:
            torch.manual_seed(params.seed)
        return kw

    def _result(self, out: Any, prompt_len: int, params: GenParams, limit: int) -> tuple[str, Usage, str]:
        """Text, usage and finish reason ("length" when the answer used all `limit` new tokens without ending)."""
        tok = self.loaded.tokenizer
        new = out[0, prompt_len:]
        text = str(tok.decode(new, skip_special_tokens=True))
        text, stopped = cut_at_stop(text, params.stop)
        eos = {int(i) for i in _as_list(tok.eos_token_id)}
        ended = stopped or (new.shape[0] > 0 and int(new[-1]) in eos) or new.shape[0] < limit
        return text, Usage(prompt_len, int(new.shape[0])), "stop" if ended else "length"

    def _complete(self, messages: list[Message], params: GenParams) -> Completion:
        import torch

        loaded = self.loaded
        with loaded.lock:
            enc = self._encode(messages)
            prompt_len = int(enc["input_ids"].shape[1])
            kw = self._gen_kwargs(params, prompt_len)
            with torch.inference_mode():
                out = loaded.model.generate(**enc, **kw)
        text, usage, finish = self._result(out, prompt_len, params, kw["max_new_tokens"])
        return Completion(text, usage, self.model, False, finish)

    async def _acomplete(self, messages: list[Message], params: GenParams) -> Completion:
        return await asyncio.to_thread(self._complete, messages, params)

    def _stream(self, messages: list[Message], params: GenParams, sink: StreamSink) -> Iterator[str]:
        return self._generate_stream(messages, params, sink, threading.Event())

    def _generate_stream(
        self, messages: list[Message], params: GenParams, sink: StreamSink, cancel: threading.Event
    ) -> Iterator[str]:
        """Run `generate` in a thread and yield the streamer's text; `cancel` stops it at the next token."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        class _Cancelled(StoppingCriteria):
            def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: Any) -> torch.Tensor:
                return torch.full((input_ids.shape[0],), cancel.is_set(), dtype=torch.bool, device=input_ids.device)

        loaded = self.loaded
        with loaded.lock:
            enc = self._encode(messages)
            prompt_len = int(enc["input_ids"].shape[1])
            kw = self._gen_kwargs(params, prompt_len)
            streamer = TextIteratorStreamer(loaded.tokenizer, skip_prompt=True, skip_special_tokens=True)
            result: dict[str, Any] = {}

            def run() -> None:
                try:
                    with torch.inference_mode():
                        result["out"] = loaded.model.generate(
                            **enc, **kw, streamer=streamer, stopping_criteria=StoppingCriteriaList([_Cancelled()])
                        )
                except BaseException as exc:  # handed to the consumer below
                    result["error"] = exc
                    streamer.end()

            thread = threading.Thread(target=run, name="nsllm-local-generate", daemon=True)
            thread.start()
            try:
                yield from cut_stream(streamer, params.stop)
            finally:
                cancel.set()
                thread.join()
        if "error" in result:
            exc = result["error"]
            raise ProviderError(f"{self.name}: generation failed: {type(exc).__name__}: {exc}") from exc
        _, usage, finish = self._result(result["out"], prompt_len, params, kw["max_new_tokens"])
        sink.usage, sink.finish_reason, sink.model, sink.complete = usage, finish, self.model, True

    async def _astream(self, messages: list[Message], params: GenParams, sink: StreamSink) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancel = threading.Event()

        def put(kind: str, value: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, (kind, value))
            except RuntimeError:  # the loop is gone: nobody is listening any more
                cancel.set()

        def pump() -> None:
            try:
                for piece in self._generate_stream(messages, params, sink, cancel):
                    put("text", piece)
            except BaseException as exc:
                put("error", exc)
            else:
                put("end", None)

        worker = asyncio.ensure_future(asyncio.to_thread(pump))
        try:
            while True:
                kind, value = await queue.get()
                if kind == "text":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    break
        finally:
            cancel.set()
            await worker


def _normalise(spec: str) -> str:
    """A folder spec becomes its absolute path, so './m' and '/abs/m' share cache entries; aliases stay."""
    path = Path(spec).expanduser()
    return str(path.resolve()) if spec not in ("embedded", "tiny") and path.exists() else spec


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
