"""Teacher-forced batches: left-padded prompts, right-padded answers, so the last prompt token is at P - 1.

The gold continuation is found by rendering the conversation with the answer as an assistant turn
and checking that the prompt's ids are its prefix; the labels cover every answer token and the end
token (the end of the assistant turn), -100 elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from nsllm_cli.errors import NsllmError


@dataclass
class TFBatch:
    """input_ids/attention_mask/position_ids/labels of shape (B, P + A); `prompt_len` = P."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    position_ids: torch.Tensor
    labels: torch.Tensor
    prompt_len: int

    def to(self, device: torch.device) -> TFBatch:
        return TFBatch(
            self.input_ids.to(device),
            self.attention_mask.to(device),
            self.position_ids.to(device),
            self.labels.to(device),
            self.prompt_len,
        )

    def model_inputs(self) -> dict[str, torch.Tensor]:
        return {"input_ids": self.input_ids, "attention_mask": self.attention_mask, "position_ids": self.position_ids}


def end_token_id(tok: Any) -> int:
    """The token that ends an assistant turn (`<|im_end|>`, `<|eot_id|>`, ...): the tokenizer's eos."""
    eos = tok.eos_token_id
    if isinstance(eos, list):
        eos = eos[0]
    if eos is None:
        raise NsllmError("the tokenizer has no end-of-turn (eos) token")
    return int(eos)


def answer_ids(tok: Any, messages: list[dict[str, str]], answer: str) -> tuple[list[int], list[int]]:
    """(prompt ids, gold continuation ids up to and including the end-of-turn token)."""
    prompt = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    full = tok.apply_chat_template([*messages, {"role": "assistant", "content": answer}], tokenize=False)
    p_ids = tok(prompt, add_special_tokens=False).input_ids
    f_ids = tok(full, add_special_tokens=False).input_ids
    if f_ids[: len(p_ids)] != p_ids:
        raise NsllmError("the chat template does not render the prompt as a prefix of the answered conversation")
    cont = f_ids[len(p_ids) :]
    end = end_token_id(tok)
    if end not in cont:
        raise NsllmError("the rendered answer has no end-of-turn token")
    return p_ids, cont[: cont.index(end) + 1]


def build_batch(tok: Any, pairs: list[tuple[list[int], list[int]]]) -> TFBatch:
    """Pack (prompt ids, answer ids) pairs: prompts left-padded to P, answers right-padded to A."""
    pad = tok.pad_token_id if tok.pad_token_id is not None else end_token_id(tok)
    p_len = max(len(p) for p, _ in pairs)
    a_len = max(len(a) for _, a in pairs)
    n = len(pairs)
    ids = torch.full((n, p_len + a_len), pad, dtype=torch.long)
    mask = torch.zeros((n, p_len + a_len), dtype=torch.long)
    labels = torch.full((n, p_len + a_len), -100, dtype=torch.long)
    for i, (p, a) in enumerate(pairs):
        ids[i, p_len - len(p) : p_len] = torch.tensor(p)
        ids[i, p_len : p_len + len(a)] = torch.tensor(a)
        mask[i, p_len - len(p) : p_len + len(a)] = 1
        # logits at position j predict token j + 1: answer token k is predicted at p_len - 1 + k
        labels[i, p_len - 1 : p_len - 1 + len(a)] = torch.tensor(a)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return TFBatch(ids, mask, positions, labels, p_len)


def answer_loss(logits: torch.Tensor, labels: torch.Tensor, *, per_item: bool = False) -> torch.Tensor:
    """Mean CE over labelled positions (labels are already aligned with the logits' positions)."""
    flat = torch.nn.functional.cross_entropy(
        logits.float().transpose(1, 2), labels, ignore_index=-100, reduction="none"
    )
    counts = (labels != -100).sum(-1).clamp_min(1)
    item = flat.sum(-1) / counts
    return item if per_item else item.mean()
