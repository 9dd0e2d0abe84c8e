"""On-disk response cache: re-runs cost no tokens and give the same answers (lm-eval's CachingLM idea).

One JSON file per answer under `<cache_dir>/responses/<2 hex>/<sha256>.json`, written through a
temporary sibling and renamed, so a crash never leaves half a file and parallel runs can share it.
The key is the sha256 of (provider kind, base URL, model, messages, sampling params); the API key is
never part of it or of the file.

What is cached: greedy requests (temperature 0) and seeded ones. An unseeded sampled request
(temperature > 0, seed None) asks for a fresh draw each time (DPO tree sampling, pass@k re-runs),
so it is not cached unless `cache_unseeded_samples=True` (the lm-eval behaviour: cache everything).

Example:
    >>> cache = ResponseCache(Path("~/.cache/nsllm"))  # doctest: +SKIP
    >>> key = cache.key(kind="openai", base_url=None, model="m", messages=msgs, params=GenParams())  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from nsllm_cli.providers.base import Completion, GenParams, Message, Usage

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


class ResponseCache:
    """Answers stored by request hash; see the module docstring for what is cached."""

    def __init__(self, cache_dir: Path, *, cache_unseeded_samples: bool = False) -> None:
        """Args:
        cache_dir: nsllm's cache folder; answers go to its `responses/` subfolder.
        cache_unseeded_samples: also cache temperature > 0 requests without a seed.
        """
        self.root = Path(cache_dir).expanduser() / "responses"
        self.cache_unseeded_samples = cache_unseeded_samples
        self._warned = False

    def cacheable(self, params: GenParams) -> bool:
        """Whether answers to requests with these params may be replayed."""
        return params.temperature == 0 or params.seed is not None or self.cache_unseeded_samples

    @staticmethod
    def key(*, kind: str, base_url: str | None, model: str, messages: list[Message], params: GenParams) -> str:
        """sha256 hex of the canonical JSON of everything that decides the answer."""
        material = {
            "v": FORMAT_VERSION,
            "kind": kind,
            "base_url": (base_url or "").rstrip("/"),
            "model": model,
            "messages": messages,
            "params": _params(params),
        }
        blob = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        """Where the answer for `key` lives."""
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> Completion | None:
        """The stored answer with `cached=True` and its original usage, or None (a corrupt file is a miss)."""
        path = self.path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            comp = data["completion"]
            usage = comp.get("usage") or {}
            return Completion(
                text=str(comp["text"]),
                usage=Usage(
                    int(usage.get("prompt_tokens", 0)),
                    int(usage.get("completion_tokens", 0)),
                    bool(usage.get("reported", True)),
                ),
                model=str(comp.get("model", "")),
                cached=True,
                finish_reason=comp.get("finish_reason"),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable cache entry %s: %s", path, exc)
            return None

    def put(self, key: str, completion: Completion, *, request: dict[str, Any] | None = None) -> None:
        """Store an answer atomically. A cache that cannot be written costs a warning, never the answer."""
        path = self.path(key)
        record = {
            "format_version": FORMAT_VERSION,
            "key": key,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "request": request or {},
            "completion": {
                "text": completion.text,
                "usage": asdict(completion.usage),
                "model": completion.model,
                "finish_reason": completion.finish_reason,
            },
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(path, json.dumps(record, ensure_ascii=False, indent=1) + "\n")
        except OSError as exc:
            if not self._warned:
                log.warning("cannot write the response cache under %s: %s", self.root, exc)
                self._warned = True


def request_record(
    kind: str, base_url: str | None, model: str, messages: list[Message], params: GenParams
) -> dict[str, Any]:
    """The request as stored next to a cached answer (for humans; the key is the hash)."""
    return {"kind": kind, "base_url": base_url, "model": model, "messages": messages, "params": _params(params)}


def _params(params: GenParams) -> dict[str, Any]:
    data = asdict(params)
    data["stop"] = list(params.stop)
    return data


def _write_atomic(path: Path, text: str) -> None:
    """Unique temporary name (threads and processes may write the same key at once), then rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
