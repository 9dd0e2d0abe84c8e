"""`nsllm serve` under disconnects and load: how fast an abandoned stream frees the model, and 50 requests at once.

Run: .venv/bin/python benchmarks/serve_robustness.py [--trials 5] [--json out.json]
     .venv/bin/python benchmarks/serve_robustness.py --tiny   # the tiny random model, a few seconds

1. Disconnect: a streamed request asks for --long-tokens tokens; the client reads three pieces of text and
   closes the connection. The server's own record (``GET /stats``) says how many tokens existed when it saw
   the disconnect and how many the model made after it; "free after" is the wall time from the client's
   close to the end of that generation, and "next" the time a following 1-token request then takes.
2. Load: 50 requests at once (half streamed, --max-tokens each, greedy), first against the default queue
   (--max-queue 16), then against one long enough for all (64): how many are answered (200) and refused
   (503 + Retry-After), and the p50/p95 latency of each.

The server is the real app (`create_app`, the same as `nsllm serve` builds) under uvicorn on loopback, in
this process, over one model load; the clients are threads speaking plain HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

PROMPT = [{"role": "user", "content": "Write a long story about a lighthouse keeper and the sea."}]


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """`app` under uvicorn on a free loopback port, in a thread; yields ``http://127.0.0.1:PORT``."""
    import uvicorn

    from nsllm_cli.serving import listen

    sock = listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def post(root: str, body: dict[str, Any]) -> tuple[int, float, dict[str, str], bytes]:
    """(status, seconds, headers, body) of one POST /v1/chat/completions."""
    req = urllib.request.Request(
        root + "/v1/chat/completions", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=900) as resp:
            data, status, headers = resp.read(), resp.status, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        data, status, headers = exc.read(), exc.code, dict(exc.headers)
    return status, time.perf_counter() - start, {k.lower(): v for k, v in headers.items()}, data


def stats(root: str) -> dict[str, Any]:
    with urllib.request.urlopen(root + "/stats", timeout=30) as resp:
        body: dict[str, Any] = json.loads(resp.read())
    return body


def disconnect_trial(root: str, model_id: str, long_tokens: int) -> dict[str, Any]:
    """One abandoned stream: the server's record of it, and how soon the model served the next request."""
    host, port = root.removeprefix("http://").rsplit(":", 1)
    conn = HTTPConnection(host, int(port), timeout=300)
    body = {"model": model_id, "messages": PROMPT, "max_tokens": long_tokens, "temperature": 0, "stream": True}
    conn.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    events: list[dict[str, Any]] = []
    while len(events) < 4:  # the role chunk, then three pieces of text
        line = resp.readline()
        if not line:
            raise RuntimeError("the stream ended before three pieces of text")
        if line.startswith(b"data: {"):
            events.append(json.loads(line[6:]))
    closed = time.time()
    conn.close()
    rid = events[0]["id"]
    while True:
        record = next((r for r in stats(root)["recent"] if r["id"] == rid), None)
        if record is not None:
            break
        time.sleep(0.005)
    status, next_s, _, _ = post(root, {"model": model_id, "messages": PROMPT, "max_tokens": 1, "temperature": 0})
    assert status == 200, status
    return {**record, "free_after_s": record["ended_at"] - closed, "next_request_s": next_s}


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (`q` in 0-100), None for no values."""
    if not values:
        return None
    ranked = sorted(values)
    return ranked[max(0, min(len(ranked) - 1, round(q / 100 * len(ranked) + 0.5) - 1))]


def load_test(root: str, model_id: str, n: int, max_tokens: int) -> dict[str, Any]:
    """`n` requests at once; counts and latencies of the answered and the refused ones."""
    bodies = [
        {"model": model_id, "messages": PROMPT, "max_tokens": max_tokens, "temperature": 0, "stream": i % 2 == 1}
        for i in range(n)
    ]
    with ThreadPoolExecutor(max_workers=n) as pool:
        replies = list(pool.map(lambda b: post(root, b), bodies))
    answered = [s for status, s, _, data in replies if status == 200 and _complete(data)]
    refused = [s for status, s, headers, _ in replies if status == 503 and int(headers.get("retry-after", 0)) >= 1]
    other = n - len(answered) - len(refused)
    return {
        "requests": n,
        "answered": len(answered),
        "refused": len(refused),
        "other": other,
        "answered_p50_s": percentile(answered, 50),
        "answered_p95_s": percentile(answered, 95),
        "refused_p50_s": percentile(refused, 50),
        "refused_p95_s": percentile(refused, 95),
        "wall_s": max(s for _, s, _, _ in replies),
    }


def _complete(data: bytes) -> bool:
    """A whole answer: JSON with text, or a stream of chunks with text that ends with [DONE]."""
    text = data.decode()
    if text.startswith("data: "):
        events = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
        pieces = [json.loads(e)["choices"][0]["delta"].get("content") or "" for e in events[:-1] if '"choices":[{' in e]
        return events[-1] == "[DONE]" and bool("".join(pieces))
    return bool(json.loads(text)["choices"][0]["message"]["content"])


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="the tiny random model and 2 trials: a few seconds")
    parser.add_argument("--model", help="model spec (default: embedded; tiny with --tiny)")
    parser.add_argument("--trials", type=int, help="abandoned streams (default 5; 2 with --tiny)")
    parser.add_argument("--long-tokens", type=int, default=400, help="max_tokens of an abandoned stream (400)")
    parser.add_argument("--concurrent", type=int, default=50, help="requests sent at once (default 50)")
    parser.add_argument("--max-tokens", type=int, help="max_tokens of each concurrent request (16; 4 with --tiny)")
    parser.add_argument("--small-queue", type=int, default=16, help="the first --max-queue (default 16, as shipped)")
    parser.add_argument("--large-queue", type=int, default=64, help="the second --max-queue (default 64)")
    parser.add_argument("--json", type=Path, help="also write the results here (folders are created)")
    args = parser.parse_args()
    spec = args.model or ("tiny" if args.tiny else "embedded")
    trials = args.trials or (2 if args.tiny else 5)
    max_tokens = args.max_tokens or (4 if args.tiny else 16)

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as `nsllm serve` does, before torch loads
    from nsllm_cli.config import load_settings
    from nsllm_cli.models.resolve import load_model, resolve_model
    from nsllm_cli.serving import create_app

    settings = load_settings(None)
    model, tok = load_model(resolve_model(spec, cache=settings.cache_dir), device="cpu", dtype="float32")
    print(f"model: {spec} (cpu, float32)")

    with serve(create_app(model, tok, model_id=spec, max_queue=args.small_queue)) as root:
        post(root, {"model": spec, "messages": PROMPT, "max_tokens": 2})  # warm-up
        rows = [disconnect_trial(root, spec, args.long_tokens) for _ in range(trials)]
        small = load_test(root, spec, args.concurrent, max_tokens)
    with serve(create_app(model, tok, model_id=spec, max_queue=args.large_queue)) as root:
        large = load_test(root, spec, args.concurrent, max_tokens)

    print(f"\nabandoned streams (max_tokens {args.long_tokens}, closed after three pieces of text):")
    print(
        f"{'trial':>5} {'tokens at close':>15} {'after':>5} {'total':>5} {'free after ms':>13} {'next request s':>14}"
    )
    for i, r in enumerate(rows, 1):
        print(
            f"{i:>5} {r['tokens_at_disconnect']:>15} {r['tokens_after_disconnect']:>5} {r['tokens']:>5}"
            f" {r['free_after_s'] * 1000:>13.0f} {r['next_request_s']:>14.2f}"
        )
    print(f"\n{args.concurrent} requests at once, max_tokens {max_tokens} (half streamed):")
    print(
        f"{'max-queue':>9} {'answered':>8} {'refused':>7} {'other':>5} {'p50 s':>6} {'p95 s':>6} {'503 p50/p95 s':>14}"
    )
    for queue, r in ((args.small_queue, small), (args.large_queue, large)):
        print(
            f"{queue:>9} {r['answered']:>8} {r['refused']:>7} {r['other']:>5} {_s(r['answered_p50_s']):>6}"
            f" {_s(r['answered_p95_s']):>6} {_s(r['refused_p50_s']) + ' / ' + _s(r['refused_p95_s']):>14}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        result = {
            "model": spec,
            "disconnect": rows,
            "load": {str(args.small_queue): small, str(args.large_queue): large},
        }
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
