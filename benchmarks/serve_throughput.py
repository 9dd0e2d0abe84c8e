"""Serving throughput, side by side: `nsllm serve` vs `transformers serve` on the same model.

Run: .venv/bin/python benchmarks/serve_throughput.py [--requests 3] [--max-tokens 64] [--json out.json] [--tiny]

Both servers load the embedded SmolLM2-135M-Instruct (the converted safetensors folder in the nsllm
cache) on CPU in float32 and stay up together; the requests alternate between them (same prompts,
greedy, same max_tokens), first plain JSON, then streamed. Throughput is completion tokens over the
wall time of the whole request as the `openai` client sees it; for streams, time to first token too.
If `transformers serve` cannot start (no serving extras, or another error), the script says why and
reports nsllm's numbers alone. `nsllm serve` sets OMP_WAIT_POLICY=PASSIVE for itself;
--omp-passive-for-transformers gives transformers serve the same, to separate that from the rest.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

PROMPTS = [
    "Write a short story about a robot who learns to paint.",
    "Explain how a refrigerator works, step by step.",
    "List some good habits for staying healthy and say why each one helps.",
]


@dataclass
class Server:
    """One running OpenAI-compatible server."""

    name: str
    url: str
    model: str
    proc: subprocess.Popen[str]
    log: Path


@dataclass
class Tally:
    """Completion tokens and seconds of one server in one mode."""

    tokens: int = 0
    seconds: float = 0.0
    requests: int = 0
    ttft: list[float] = field(default_factory=list)

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pump(stream: IO[str], lines: queue.Queue[str], log: IO[str]) -> None:
    for line in stream:
        log.write(line)
        log.flush()
        lines.put(line)


def start_nsllm(workdir: Path, timeout: float, extra: tuple[str, ...] = (), *, model: str = "embedded") -> Server:
    """`nsllm serve --model <model> --port 0 [extra]`, ready once it prints its `listening on` line."""
    log = workdir / "nsllm.log"
    cmd = [sys.executable, "-m", "nsllm_cli", "serve", "--model", model, "--port", "0", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    threading.Thread(target=_pump, args=(proc.stdout, lines, log.open("w")), daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if line.startswith("listening on "):
            return Server("nsllm serve", line.split()[-1], model, proc, log)
    proc.kill()
    raise RuntimeError(f"nsllm serve did not start; see {log}:\n{log.read_text()[-2000:]}")


def start_transformers(
    folder: Path, workdir: Path, timeout: float, *, passive: bool, device: str = "cpu", dtype: str = "float32"
) -> Server:
    """`transformers serve <folder>` as stack.md section 6 runs it; ready once /health answers.

    `passive` gives it the OpenMP wait policy that `nsllm serve` sets for itself (OMP_WAIT_POLICY=PASSIVE).
    """
    exe = shutil.which("transformers", path=str(Path(sys.executable).parent)) or shutil.which("transformers")
    if exe is None:
        raise RuntimeError("the `transformers` command is not installed")
    port = free_port()
    home = workdir / "hf-home"
    (home / "hub").mkdir(parents=True, exist_ok=True)  # else GET /v1/models fails with CacheNotFound
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(home)}
    if passive:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    cmd = [exe, "serve", str(folder), "--host", "127.0.0.1", "--port", str(port), "--device", device]
    cmd += ["--dtype", dtype]
    log = workdir / "transformers.log"
    proc = subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT, text=True, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as resp:
                if resp.status == 200:
                    return Server("transformers serve", url + "/v1", str(folder), proc, log)
        except OSError:
            time.sleep(0.5)
    proc.kill()
    tail = log.read_text()[-1500:].strip() if log.exists() else ""
    raise RuntimeError(
        f"transformers serve did not start (exit {proc.poll()}): {tail.splitlines()[-1] if tail else ''}"
    )


def stop(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGINT)
        try:
            server.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.proc.kill()


def ask(
    client: Any, server: Server, prompt: str, max_tokens: int, *, stream: bool, tok: Any
) -> tuple[int, float, float, str]:
    """(completion tokens, seconds, time to first token, text) of one greedy request.

    Tokens come from the usage the server reports, else (transformers serve ignores stream_options)
    from re-tokenizing the text.
    """
    messages = [{"role": "user", "content": prompt}]
    start = time.perf_counter()
    if not stream:
        resp = client.chat.completions.create(
            model=server.model, messages=messages, max_tokens=max_tokens, temperature=0
        )
        seconds = time.perf_counter() - start
        text = resp.choices[0].message.content or ""
        tokens = resp.usage.completion_tokens if resp.usage else len(tok(text, add_special_tokens=False).input_ids)
        return tokens, seconds, seconds, text
    first, pieces, usage = None, [], None
    for chunk in client.chat.completions.create(
        model=server.model,
        messages=messages,
        max_tokens=max_tokens,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    ):
        if chunk.choices and chunk.choices[0].delta.content:
            first = first or time.perf_counter() - start
            pieces.append(chunk.choices[0].delta.content)
        if getattr(chunk, "usage", None):
            usage = chunk.usage
    seconds = time.perf_counter() - start
    text = "".join(pieces)
    tokens = usage.completion_tokens if usage else len(tok(text, add_special_tokens=False).input_ids)
    return tokens, seconds, first if first is not None else seconds, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3, help="requests per server and mode (default 3)")
    parser.add_argument("--max-tokens", type=int, default=64, help="max_tokens of every request (default 64)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for a server to start")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--device", default="cpu", help="both servers' device: cpu (default), cuda, cuda:N")
    parser.add_argument("--dtype", default="float32", help="both servers' dtype: float32 (default), bfloat16")
    parser.add_argument("--model", default="embedded", help="nsllm model name for both servers (default embedded)")
    parser.add_argument(
        "--tiny", action="store_true", help="smoke run in seconds: the tiny random-init model, 1 request x 4 tokens"
    )
    parser.add_argument(
        "--omp-passive-for-transformers",
        action="store_true",
        help="run transformers serve with OMP_WAIT_POLICY=PASSIVE too (nsllm serve sets it for itself)",
    )
    args = parser.parse_args()
    if args.tiny:
        args.model, args.requests, args.max_tokens, args.timeout = "tiny", 1, 4, min(args.timeout, 120)

    from openai import OpenAI
    from transformers import AutoTokenizer

    from nsllm_cli.config import load_settings
    from nsllm_cli.models.resolve import resolve_model

    folder = Path(resolve_model(args.model, cache=load_settings(None).cache_dir).source).resolve()
    tok = AutoTokenizer.from_pretrained(str(folder))
    print(
        f"model: {folder} ({args.device}, {args.dtype}) · {args.requests} requests x {args.max_tokens} tokens, greedy"
    )
    print(f"transformers serve OpenMP wait policy: {'PASSIVE' if args.omp_passive_for_transformers else 'default'}")
    workdir = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    servers: list[Server] = []
    skipped: dict[str, str] = {}
    try:
        extra = ("--device", args.device, "--dtype", args.dtype)
        servers.append(start_nsllm(workdir, args.timeout, extra, model=args.model))
        passive = args.omp_passive_for_transformers
        try:
            servers.append(
                start_transformers(folder, workdir, args.timeout, passive=passive, device=args.device, dtype=args.dtype)
            )
        except RuntimeError as exc:
            skipped["transformers serve"] = str(exc)
            print(f"transformers serve is not runnable here, reporting nsllm serve alone: {exc}")
        clients = {s.name: OpenAI(base_url=s.url, api_key="none", max_retries=0, timeout=600) for s in servers}
        for s in servers:  # warm-up: first-call costs are not throughput
            ask(clients[s.name], s, "Hi", 8, stream=False, tok=tok)
        tallies = {(s.name, mode): Tally() for s in servers for mode in ("json", "stream")}
        answers: dict[tuple[str, int], dict[str, str]] = {}
        for mode in ("json", "stream"):
            for i in range(args.requests):
                order = servers if i % 2 == 0 else servers[::-1]  # alternate who goes first
                for s in order:
                    tokens, seconds, ttft, text = ask(
                        clients[s.name], s, PROMPTS[i % len(PROMPTS)], args.max_tokens, stream=mode == "stream", tok=tok
                    )
                    t = tallies[(s.name, mode)]
                    t.tokens, t.seconds, t.requests = t.tokens + tokens, t.seconds + seconds, t.requests + 1
                    t.ttft.append(ttft)
                    answers.setdefault((mode, i), {})[s.name] = text
    finally:
        for s in servers:
            stop(s)

    print(f"\n{'server':<20} {'mode':<7} {'requests':>8} {'tokens':>7} {'seconds':>8} {'tok/s':>7} {'ttft s':>7}")
    rows = []
    for (name, mode), t in tallies.items():
        ttft = sum(t.ttft) / len(t.ttft) if mode == "stream" and t.ttft else None
        shown = f"{ttft:7.2f}" if ttft is not None else f"{'-':>7}"
        print(f"{name:<20} {mode:<7} {t.requests:>8} {t.tokens:>7} {t.seconds:>8.1f} {t.tokens_per_s:>7.1f} {shown}")
        rows.append(
            {
                "server": name,
                "mode": mode,
                "requests": t.requests,
                "tokens": t.tokens,
                "seconds": round(t.seconds, 2),
                "tokens_per_s": round(t.tokens_per_s, 2),
                "ttft_s": ttft,
            }
        )
    names = [s.name for s in servers]
    if len(names) == 2:
        same = sum(len(set(texts.values())) == 1 for texts in answers.values())
        print(f"\nidentical greedy answers from both servers: {same} of {len(answers)} requests")
        for mode in ("json", "stream"):
            ours, theirs = tallies[(names[0], mode)].tokens_per_s, tallies[(names[1], mode)].tokens_per_s
            print(f"{mode}: nsllm serve / transformers serve = {ours / theirs:.2f}x" if theirs else "")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {"model": str(folder), "max_tokens": args.max_tokens, "rows": rows, "skipped": skipped}, indent=2
            )
        )


if __name__ == "__main__":
    main()
