"""Helpers for the server tests: uvicorn running an app in a thread (the tiny model: tests/conftest.py)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch


@contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn on a free loopback port in a background thread; yields the base URL."""
    import uvicorn

    from nsllm_cli.serving import base_url, listen

    sock = listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield base_url(sock)
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def reference(
    model: Any, tok: Any, messages: Sequence[Any], *, max_new_tokens: int, seed: int | None = None
) -> tuple[int, list[int], str]:
    """Prompt length, new token ids and text of a direct `generate`: greedy, or sampled at T=1 with `seed`."""
    enc = tok.apply_chat_template(messages, add_generation_prompt=True, return_dict=True, return_tensors="pt")
    kwargs: dict[str, Any] = {"do_sample": False}
    if seed is not None:
        torch.manual_seed(seed)
        kwargs = {"do_sample": True, "temperature": 1.0, "top_k": 0}
    with torch.inference_mode():
        out = model.generate(**enc, max_new_tokens=max_new_tokens, pad_token_id=tok.pad_token_id, **kwargs)
    prompt_len = int(enc["input_ids"].shape[1])
    new = out[0, prompt_len:].tolist()
    return prompt_len, new, str(tok.decode(new, skip_special_tokens=True))


@dataclass
class Reply:
    """A raw HTTP answer."""

    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def http(method: str, url: str, body: Any = None) -> Reply:
    """One raw request with the standard library (bytes are sent as they are, anything else as JSON)."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read().decode())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read().decode())
