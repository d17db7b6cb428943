"""Load test of the HTTP service: one ``docverify serve`` process, a bounded number of ``POST /v1/check``
requests at a fixed concurrency, with the bundled sample images (``samples/images/*.jpg``, in turn).

Run: ``.venv/bin/python benchmarks/bench_service.py [--requests 500] [--concurrency 8] [--json OUT]
[--baseline N] [-- SERVE-OPTIONS...]`` (options after ``--`` go to ``docverify serve``, e.g.
``-- --max-concurrency 4``).

Each client thread keeps one connection open (as a kiosk would) and sends the raw image bytes. Reported:
throughput, latency percentiles (p50/p95/p99, whole request as the client sees it), errors (any answer
but 200, or no answer), verdicts, and the server's resident memory: at start (server up, no request yet),
after the first 10 % of requests (models loaded, buffers warm), at the middle, at the end, and its peak
(``VmHWM``), and the highest value sampled (twice a second) in each quarter of the run. Memory is called
flat when the end (and the last quarter's highest) is within 10 % (and 32 MiB) of the middle (and the
second quarter's highest).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from machine import machine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
IMAGES = sorted((ROOT / "samples" / "images").glob("*.jpg"))
REFERENCE_DATE = "2026-01-01"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def memory_kib(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` (peak) of a process, in KiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def start_server(port: int, serve_args: list[str], log: Any) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "docverify", "serve", "--port", str(port), *serve_args]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench_service: the server exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            if get(port, "/healthz") == 200:
                return proc
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    raise SystemExit("bench_service: the server did not come up within 60 s")


class Client:
    """One thread's keep-alive connection; reconnects after an error."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def check(self, data: bytes) -> tuple[int, str | None]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
        try:
            self.conn.request(
                "POST", f"/v1/check?reference_date={REFERENCE_DATE}", body=data, headers={"Content-Type": "image/jpeg"}
            )
            resp = self.conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, None
        if resp.status != 200:
            self.close()
            return resp.status, None
        return 200, str(json.loads(body)["verdict"])

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run(requests: int, concurrency: int, serve_args: list[str]) -> dict[str, Any]:
    images = [p.read_bytes() for p in IMAGES]
    port = free_port()
    with tempfile.TemporaryFile() as log:
        proc = start_server(port, serve_args, log)
        try:
            memory: dict[str, int] = {"start": memory_kib(proc.pid)["VmRSS"]}
            marks = {max(1, requests // 10): "warm", requests // 2: "middle"}
            lock = threading.Lock()
            done = 0
            local = threading.local()
            clients: list[Client] = []

            def one(i: int) -> tuple[float, int, str | None]:
                nonlocal done
                client = getattr(local, "client", None)
                if client is None:
                    client = local.client = Client(port)
                    with lock:
                        clients.append(client)
                t0 = time.perf_counter()
                status, verdict = client.check(images[i % len(images)])
                latency = time.perf_counter() - t0
                with lock:
                    done += 1
                    completed.append(time.perf_counter())
                    if done in marks:
                        memory[marks[done]] = memory_kib(proc.pid)["VmRSS"]
                return latency, status, verdict

            completed: list[float] = []  # when each request finished
            samples: list[tuple[int, int]] = []  # (requests done, RSS KiB), twice a second
            finished = threading.Event()

            def sample() -> None:
                while not finished.wait(0.5):
                    samples.append((done, memory_kib(proc.pid)["VmRSS"]))

            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.perf_counter()
            try:
                with ThreadPoolExecutor(concurrency) as pool:
                    results = list(pool.map(one, range(requests)))
            finally:
                finished.set()
                sampler.join()
            wall = time.perf_counter() - started
            for client in clients:
                client.close()
            final = memory_kib(proc.pid)
            memory["end"], memory["peak"] = final["VmRSS"], final["VmHWM"]
            health = get(port, "/healthz")
        finally:
            proc.terminate()
            proc.wait(30)
        log.seek(0)
        request_lines = sum(b"docverify.service: request id=" in line for line in log)
    latencies = [r[0] * 1000 for r in results if r[1] == 200]
    edges = [started, *(completed[(q + 1) * len(completed) // 4 - 1] for q in range(4))]
    by_quarter = [round((len(completed) / 4) / max(b - a, 1e-9), 2) for a, b in itertools.pairwise(edges)]
    statuses = Counter(r[1] for r in results)
    mib = {k: round(v / 1024, 1) for k, v in memory.items()}
    quarters = [
        round(max((rss for n, rss in samples if q * requests / 4 <= n <= (q + 1) * requests / 4), default=0) / 1024, 1)
        for q in range(4)
    ]
    growth = max(mib["end"], quarters[3]) - max(mib["middle"], quarters[1])
    return {
        "machine": machine(),
        "command": " ".join(
            ["benchmarks/bench_service.py", f"--requests {requests}", f"--concurrency {concurrency}"]
            + (["--", *serve_args] if serve_args else [])
        ),
        "requests": requests,
        "concurrency": concurrency,
        "images": [p.name for p in IMAGES],
        "wall_s": round(wall, 2),
        "throughput_rps": round(requests / wall, 2),
        "throughput_rps_by_quarter": by_quarter,
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50), 1),
            "p95": round(percentile(latencies, 0.95), 1),
            "p99": round(percentile(latencies, 0.99), 1),
            "mean": round(statistics.fmean(latencies), 1),
            "max": round(max(latencies), 1),
        }
        if latencies
        else None,
        "errors": requests - statuses.get(200, 0),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "verdicts": dict(Counter(r[2] for r in results if r[2])),
        "server_rss_mib": mib,
        "server_rss_max_mib_by_quarter": quarters,
        "memory_flat": growth <= max(32.0, 0.10 * mib["middle"]),
        "healthz_after": health,
        "server_request_log_lines": request_lines,
    }


def baseline(requests: int, threads: int) -> float:
    """Checks per second of the library itself (``Verifier.verify`` in ``threads`` threads, in this process)
    on the same images: the ceiling the service's throughput is compared with."""
    import datetime as dt

    from docverify.pipeline import Verifier, VerifierConfig

    images = [p.read_bytes() for p in IMAGES]
    verifier = Verifier(config=VerifierConfig(reference_date=dt.date.fromisoformat(REFERENCE_DATE)))
    verifier.verify(images[0])  # load the model
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda i: verifier.verify(images[i % len(images)]), range(requests)))
    return requests / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--baseline",
        type=int,
        default=100,
        metavar="N",
        help="also time N checks in process with as many threads as CPUs (0: skip)",
    )
    parser.add_argument("serve_args", nargs="*", help="options for docverify serve (after --)")
    args = parser.parse_args()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    result = run(args.requests, args.concurrency, args.serve_args)
    result["load_average_before_after"] = [load_before, Path("/proc/loadavg").read_text().split()[:3]]
    if args.baseline:
        threads = os.cpu_count() or 1
        result["baseline"] = {
            "requests": args.baseline,
            "threads": threads,
            "checks_per_s": round(baseline(args.baseline, threads), 2),
        }
    print(f"machine: {result['machine']}")
    print(f"command: {result['command']}")
    print(f"load average (1, 5, 15 min) before and after: {result['load_average_before_after']}")
    lat = result["latency_ms"] or {}
    mem = result["server_rss_mib"]
    print(
        f"{result['requests']} requests at concurrency {result['concurrency']} in {result['wall_s']} s: "
        f"{result['throughput_rps']} req/s; latency p50 {lat.get('p50')} ms, p95 {lat.get('p95')} ms, "
        f"p99 {lat.get('p99')} ms, max {lat.get('max')} ms; errors {result['errors']} {result['statuses']}"
    )
    print(f"throughput per quarter of the run (req/s): {result['throughput_rps_by_quarter']}")
    print(f"verdicts: {result['verdicts']}")
    if "baseline" in result:
        b = result["baseline"]
        print(f"library alone (Verifier.verify, {b['threads']} threads, {b['requests']} checks): {b['checks_per_s']}/s")
    print(
        f"server RSS MiB: start {mem['start']}, warm {mem['warm']}, middle {mem['middle']}, end {mem['end']}, "
        f"peak {mem['peak']}; highest per quarter of the run {result['server_rss_max_mib_by_quarter']}; "
        f"flat: {result['memory_flat']}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if result["errors"] or not result["memory_flat"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
