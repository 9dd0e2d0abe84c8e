"""One chat turn with a local model, streamed token by token through transformers' streamer."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


@dataclass(frozen=True)
class Generation:
    """A finished answer and what it cost."""

    text: str
    prompt_tokens: int
    new_tokens: int
    seconds: float

    @property
    def tokens_per_s(self) -> float:
        return self.new_tokens / self.seconds if self.seconds > 0 else 0.0


def chat_messages(prompt: str, system: str | None = None) -> list[dict[str, str]]:
    """A one-turn conversation, with an optional system message."""
    messages = [{"role": "system", "content": system}] if system else []
    return [*messages, {"role": "user", "content": prompt}]


def generate_chat(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    messages: list[dict[str, str]],
    *,
    max_new_tokens: int = 64,
    temperature: float = 0.0,
    seed: int = 0,
    on_text: Callable[[str], None] | None = None,
) -> Generation:
    """Render `messages` with the model's chat template and generate an answer.

    Args:
        temperature: 0 means greedy decoding (reproducible); > 0 samples with `seed`.
        on_text: called with each finished piece of text as it is decoded.
    """
    import torch
    from transformers import TextStreamer

    class _Callback(TextStreamer):
        def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
            if on_text is not None and text:
                on_text(text)

    rendered = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    lm = cast(Any, model)  # transformers' stubs type generate() poorly
    enc: dict[str, torch.Tensor] = {k: v.to(lm.device) for k, v in cast(Any, rendered).items()}
    prompt_len = int(enc["input_ids"].shape[1])
    sampling = temperature > 0
    torch.manual_seed(seed)
    start = time.perf_counter()
    with torch.inference_mode():
        out = lm.generate(
            **enc,
            max_new_tokens=max_new_tokens,
            do_sample=sampling,
            temperature=temperature if sampling else None,
            top_p=None,
            top_k=None,
            pad_token_id=tok.pad_token_id,
            streamer=_Callback(tok, skip_prompt=True, skip_special_tokens=True),
        )
    seconds = time.perf_counter() - start
    new = out[0, prompt_len:]
    return Generation(
        text=str(tok.decode(new, skip_special_tokens=True)).strip(),
        prompt_tokens=prompt_len,
        new_tokens=int(new.shape[0]),
        seconds=seconds,
    )
