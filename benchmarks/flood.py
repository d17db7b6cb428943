"""Flood test of the HTTP service (issue 7): for a fixed time, many clients send a hostile mix — uploads
declared over the limit, near-limit noise, slow trickled uploads, every uploadable case of the bad-input
catalogue — alongside genuine checks, while a poller calls ``GET /healthz`` every 50 ms.

Run: ``.venv/bin/python benchmarks/flood.py [--seconds 120] [--clients 16]``

Reported: answers by status and kind of request, health-check answers and their worst latency, genuine
checks that succeeded during the flood, the first genuine check after it, and the server's memory (start,
peak). The service passes when every health check answered 200, every request got an answer, and a
genuine check right after the flood passes.
"""

from __future__ import annotations

import argparse
import http.client
import random
import select
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench_service import HOST, free_port, memory_kib, start_server
from machine import machine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from badinputs import IMAGE_CASES  # noqa: E402

GOOD = (ROOT / "samples" / "images" / "td3_flatbed.jpg").read_bytes()
MIB = 1024 * 1024
REF = "2026-01-01"


def send(port: int, head: bytes, chunks: list[bytes], gap: float = 0.0, timeout: float = 60.0) -> int | None:
    """Send a raw request; the status, or None when the server closed without an answer. Like a real
    client, it stops sending as soon as the server has answered (e.g. 413 or 408 before the body is in)."""
    data = b""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            try:
                sock.sendall(head)
                for chunk in chunks:
                    if select.select([sock], [], [], 0)[0]:
                        break  # an early answer
                    sock.sendall(chunk)
                    if gap:
                        time.sleep(gap)
            except OSError:
                pass  # the server closed while we sent: read what it answered
            data = sock.recv(64)
    except OSError:
        pass
    if not data.startswith(b"HTTP/1.1 "):
        return None
    return int(data[9:12])


def head(n: int, path: str = f"/v1/check?reference_date={REF}") -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n".encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()

    rng = random.Random(7)
    noise = rng.randbytes(8 * MIB)
    with tempfile.TemporaryDirectory() as tmp:
        bad = [case.build(Path(tmp)) for case in IMAGE_CASES if case.uploadable]
        bad_bytes = [Path(p).read_bytes() for p in bad]
    with tempfile.TemporaryFile() as log:
        port = free_port()
        # small limits so that the flood really hits them: 4 MiB uploads, 2 s body timeout
        server = start_server(port, ["--max-upload-mb", "4", "--body-timeout", "2"], log)
        start_rss = memory_kib(server.pid)["VmRSS"]
        results: Counter[tuple[str, int | None]] = Counter()
        health: list[tuple[int | None, float]] = []
        stop = time.monotonic() + args.seconds
        lock = threading.Lock()

        def client(i: int) -> None:
            r = random.Random(i)
            while time.monotonic() < stop:
                kind = r.choice(["over", "near", "slow", "bad", "good", "good"])
                if kind == "over":
                    status = send(port, head(64 * MIB), [noise[:MIB]])
                elif kind == "near":
                    n = 4 * MIB - r.randrange(1, 4096)
                    status = send(port, head(n), [noise[k : min(k + 65536, n)] for k in range(0, n, 65536)])
                elif kind == "slow":
                    status = send(
                        port, head(len(GOOD)), [GOOD[k : k + 1000] for k in range(0, len(GOOD), 1000)], gap=0.2
                    )
                elif kind == "bad":
                    data = r.choice(bad_bytes)
                    status = send(port, head(len(data)), [data])
                else:
                    status = send(port, head(len(GOOD)), [GOOD])
                with lock:
                    results[(kind, status)] += 1

        def poll() -> None:
            while time.monotonic() < stop:
                t0 = time.monotonic()
                try:
                    conn = http.client.HTTPConnection(HOST, port, timeout=10)
                    conn.request("GET", "/healthz")
                    status: int | None = conn.getresponse().status
                    conn.close()
                except OSError:
                    status = None
                health.append((status, time.monotonic() - t0))
                time.sleep(0.05)

        poller = threading.Thread(target=poll)
        poller.start()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(client, range(args.clients)))
        poller.join()
        after = send(port, head(len(GOOD)), [GOOD])
        peak = memory_kib(server.pid)["VmHWM"]
        server.terminate()
        server.wait(30)

        print(f"machine: {machine()}")
        print(f"flood: {args.seconds:.0f} s, {args.clients} clients; server: --max-upload-mb 4 --body-timeout 2")
        for kind in ("over", "near", "slow", "bad", "good"):
            by_status = {str(s): n for (k, s), n in sorted(results.items(), key=str) if k == kind}
            print(f"  {kind:5s} {sum(by_status.values()):5d} requests, answers {by_status}")
        ok = sum(1 for s, _ in health if s == 200)
        print(f"health checks: {ok} of {len(health)} answered 200, worst {max(t for _, t in health) * 1000:.0f} ms")
        print(f"genuine check after the flood: {after}")
        print(f"server memory: start {start_rss / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB")
        unanswered = sum(n for (_, s), n in results.items() if s is None)
        print(f"requests without an answer: {unanswered}")
        if ok != len(health) or after != 200:
            sys.exit("FAILED")


if __name__ == "__main__":
    main()
