"""`nsllm bench symbench --concurrency K` against a model that takes 1 s per answer (target: >= 6x at K=8 vs K=1).

Run: .venv/bin/python benchmarks/symbench_concurrency.py [--samples 50] [--delay 1.0] [--concurrency 1,8]

A real OpenAI-compatible HTTP server on loopback sleeps `--delay` seconds per request and then answers.
The real CLI (`nsllm bench symbench`, in a subprocess, as a user runs it) answers the same `--samples`
generated Pooling questions once per concurrency level; the wall time of the whole command is compared.
The response cache is pointed at a fresh folder per run, so no answer is served from it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
NSLLM = Path(sys.executable).parent / "nsllm"


class _Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    delay_s = 1.0
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet."""

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self.rfile.read(int(self.headers.get("content-length") or 0))
        with _Slow.lock:
            _Slow.in_flight += 1
            _Slow.peak = max(_Slow.peak, _Slow.in_flight)
        time.sleep(self.delay_s)
        with _Slow.lock:
            _Slow.in_flight -= 1
        body = {
            "id": "x", "object": "chat.completion", "created": 0, "model": "slow",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "<<<0>>>"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
        }  # fmt: skip
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def run_once(url: str, samples: int, concurrency: int) -> tuple[float, float, int]:
    """Seconds of the whole command and of its answering phase, and the peak number of requests in flight."""
    _Slow.peak = 0
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NSLLM_CACHE": str(Path(tmp) / "cache"), "NSLLM_RUNS_DIR": str(Path(tmp) / "runs")}
        cmd = [str(NSLLM), "bench", "symbench", "--task-llm", "slow", "--base-url", url, "--tasks", "pooling",
               "--limit", str(samples), "--concurrency", str(concurrency)]  # fmt: skip
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"nsllm failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        run = next((Path(tmp) / "runs").glob("*/samples.jsonl")).parent
        records = (run / "samples.jsonl").read_text().splitlines()
        assert len(records) == samples, f"{len(records)} records, expected {samples}"
        answering = json.loads((run / "results.json").read_text())["this_session"]["seconds"]
    return seconds, answering, _Slow.peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "symbench_concurrency.json")
    parser.add_argument("--tiny", action="store_true", help="4 samples, 0.05 s per call, concurrency 1,2 (smoke run)")
    args = parser.parse_args()
    if args.tiny:
        args.samples, args.delay, args.concurrency = 4, 0.05, "1,2"
    _Slow.delay_s = args.delay
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    levels = [int(k) for k in args.concurrency.split(",")]
    rows = []
    for k in levels:
        seconds, answering, peak = run_once(url, args.samples, k)
        row = {"concurrency": k, "command_s": round(seconds, 2), "answering_s": answering, "peak_in_flight": peak}
        rows.append(row)
        print(f"concurrency {k:>3}: {seconds:6.1f} s for {args.samples} samples (peak {peak} requests in flight)")
    for key in ("command_s", "answering_s"):
        for row in rows:
            row[key.replace("_s", "_speedup")] = round(rows[0][key] / row[key], 2)
    print(f"\n{args.samples} samples, model {args.delay:g} s per call; the command includes start-up and the chart")
    print(f"{'concurrency':>11} {'answering s':>12} {'speedup':>8} {'command s':>10} {'speedup':>8}")
    for r in rows:
        print(f"{r['concurrency']:>11} {r['answering_s']:>12.1f} {r['answering_speedup']:>7.2f}x "
              f"{r['command_s']:>10.1f} {r['command_speedup']:>7.2f}x")  # fmt: skip
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"samples": args.samples, "delay_s": args.delay, "runs": rows}, indent=2) + "\n")
    print(f"\nwritten: {out}")
    server.shutdown()


if __name__ == "__main__":
    main()
