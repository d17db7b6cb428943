"""Fuzz the input stage and the pipeline for a long time, each input in a child process (issue 7).

Run: ``.venv/bin/python benchmarks/fuzz.py --seconds 300`` (or ``--iterations N``); ``--seed S`` makes a run
reproducible. Inputs are the seed corpus ``tests/corpus/`` mutated by ``tests/mutate.py`` (the mutators of
the CI test ``tests/test_fuzz.py``), preceded by the hand-made header extremes of ``mutate.header_extremes``.

Each input goes through :func:`docverify.io.load_pages` and :meth:`docverify.Verifier.verify` (default
limits) in a worker process, which answers with the outcome, its time and its peak memory. The parent
enforces ``--timeout`` per input: a worker that does not answer in time is a *hang*, a worker that dies
(a segfault or abort in a native decoder, the memory cap of ``--memory-mib``) is a *crash*; either way the
input is saved under ``--crashes`` and a fresh worker takes over. An exception other than
:class:`~docverify.errors.InputError` is counted (and saved) as *unexpected*, and so is a disagreement
between ``load_pages`` and ``verify``. The summary goes to stdout and, as JSON, to ``--json``.

``--atheris`` runs a coverage-guided session with atheris (libFuzzer) instead, on ``load_pages`` and,
for inputs that load, ``verify``; atheris is not a docverify dependency:
``pip install --target /tmp/atheris atheris`` and ``PYTHONPATH=/tmp/atheris``.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import hashlib
import json
import os
import random
import resource
import select
import shutil
import signal
import struct
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from machine import machine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

import mutate  # noqa: E402 - tests/ is not a package: its path is added above

REF = dt.date(2026, 1, 1)


# --- the worker ------------------------------------------------------------------------------------------


def run_one(data: bytes, verifier: Any) -> tuple[str, str]:
    """The outcome of one input (a verdict, an InputError class, or ``unexpected``) and a detail line."""
    from docverify.errors import InputError
    from docverify.io import load_pages

    try:
        try:
            load_pages(data)
            loaded: InputError | None = None
        except InputError as exc:
            loaded = exc
        try:
            report = verifier.verify(data)
        except InputError as exc:
            if loaded is None or type(loaded) is not type(exc):
                return "unexpected", f"verify raised {type(exc).__name__} but load_pages gave {loaded!r}"
            if "\n" in str(exc):
                return "unexpected", "a message of more than one line"
            return type(exc).__name__, ""
        if loaded is not None:
            return "unexpected", f"load_pages raised {type(loaded).__name__} but verify gave a report"
        json.dumps(report.to_dict())
        return report.verdict.value, ""
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        where = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames)), "?")
        return "unexpected", f"{type(exc).__name__} at {where}: {str(exc)[:200]}"


SELF_TEST = {b"docverify-fuzz: segfault", b"docverify-fuzz: hang"}
"""With ``--self-test``, the worker crashes or hangs on these inputs: the harness must catch both."""


def worker(memory_mib: int, *, self_test: bool = False) -> None:
    """Read length-prefixed inputs on stdin, answer one JSON line each on stdout."""
    import warnings

    from docverify.pipeline import Verifier, VerifierConfig

    if memory_mib:
        limit = memory_mib * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    warnings.simplefilter("error")  # as in the tests: a library warning must become an InputError
    verifier = Verifier(config=VerifierConfig(reference_date=REF))
    verifier.verify(mutate.seeds()["seed.png"])  # warm: the model and the decoders are loaded
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    stdout.write(b'{"ready": true}\n')
    stdout.flush()
    while True:
        head = stdin.read(4)
        if len(head) < 4:
            return
        data = stdin.read(struct.unpack(">I", head)[0])
        if self_test and data in SELF_TEST:
            import ctypes

            if data.endswith(b"segfault"):
                ctypes.string_at(0)  # reads address 0: SIGSEGV, as a broken native decoder would
            time.sleep(3600)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        outcome, detail = run_one(data, verifier)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        answer = {"outcome": outcome, "detail": detail, "seconds": seconds, "peak_kib": peak, "grew_kib": peak - before}
        stdout.write(json.dumps(answer).encode() + b"\n")
        stdout.flush()


# --- the parent ------------------------------------------------------------------------------------------


class Worker:
    """A worker process and the line-reading end of its stdout."""

    def __init__(self, memory_mib: int, *, self_test: bool = False) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", "--memory-mib", str(memory_mib)] + ["--self-test"] * self_test,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # native decoders print warnings there
        )
        self.buffer = b""
        self.died = False
        ready = self.answer(120.0)
        if not ready or not ready.get("ready"):
            raise RuntimeError("the fuzz worker did not start")

    def answer(self, timeout: float) -> dict[str, Any] | None:
        """The next JSON line within ``timeout`` seconds; None on a timeout or when the worker died."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                self.died = True
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        result: dict[str, Any] = json.loads(line)
        return result

    def send(self, data: bytes) -> bool:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(struct.pack(">I", len(data)) + data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            return False
        return True

    def kill(self) -> int | None:
        """Stop the worker; its exit status (negative: the signal that ended it) if it had died by itself."""
        if self.died:
            try:
                return self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        return None


def inputs(rng: random.Random, seeds: dict[str, bytes], *, self_test: bool = False) -> Any:
    """The header extremes once, then mutated seeds forever: (label, mutations, data)."""
    for data in sorted(SELF_TEST) if self_test else ():
        yield "self-test.bin", [data.decode().split()[-1]], data
    for name, data in mutate.header_extremes().items():
        yield "extreme", [name], data
    names = sorted(seeds)
    while True:
        name = rng.choice(names)
        data, ops = mutate.mutate(seeds[name], name.split(".")[1], rng)
        yield name, ops, data


def fuzz(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    seeds = mutate.seeds()
    crashes = Path(args.crashes)
    outcomes: collections.Counter[str] = collections.Counter()
    by_seed: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    by_mutator: collections.Counter[str] = collections.Counter()
    bad: dict[str, dict[str, Any]] = {}
    slowest: list[tuple[float, str, list[str]]] = []
    peak_kib = 0
    most_growth = (0, "", [""])
    restarts = 0
    start = time.monotonic()
    worker_ = Worker(args.memory_mib, self_test=args.self_test)
    count = 0
    for label, ops, data in inputs(rng, seeds, self_test=args.self_test):
        if args.iterations and count >= args.iterations:
            break
        if args.seconds and time.monotonic() - start >= args.seconds:
            break
        count += 1
        by_mutator.update(ops)
        if not worker_.send(data):
            worker_.died = True
        answer = None if worker_.died else worker_.answer(args.timeout)
        if answer is None:
            status = worker_.kill()
            restarts += 1
            if status is None:
                outcome, key = "hang", f"hang > {args.timeout:g} s"
            else:
                outcome = "crash"
                key = f"crash: signal {-status}" if status < 0 else f"crash: exit status {status}"
            worker_ = Worker(args.memory_mib, self_test=args.self_test)
        else:
            outcome = answer["outcome"]
            key = f"unexpected: {answer['detail']}" if outcome == "unexpected" else ""
            peak_kib = max(peak_kib, answer["peak_kib"])
            if answer["grew_kib"] > most_growth[0]:
                most_growth = (answer["grew_kib"], label, ops)
            slowest = sorted([*slowest, (answer["seconds"], label, ops)], reverse=True)[:5]
        outcomes[outcome] += 1
        by_seed[label][outcome] += 1
        if key:
            digest = hashlib.sha256(data).hexdigest()[:16]
            crashes.mkdir(parents=True, exist_ok=True)
            saved = crashes / f"{outcome}-{digest}.{label.rsplit('.', 1)[-1]}"
            saved.write_bytes(data)
            entry = bad.setdefault(key, {"count": 0, "example": str(saved), "mutations": ops, "seed": label})
            entry["count"] += 1
    worker_.kill()
    elapsed = time.monotonic() - start
    return {
        "command": " ".join(["benchmarks/fuzz.py", *sys.argv[1:]]),
        "machine": machine(),
        "date": dt.date.today().isoformat(),
        "seed": args.seed,
        "iterations": count,
        "seconds": round(elapsed, 1),
        "inputs_per_second": round(count / elapsed, 2) if elapsed else 0.0,
        "outcomes": dict(outcomes.most_common()),
        "by_seed": {k: dict(v.most_common()) for k, v in sorted(by_seed.items())},
        "by_mutator": dict(by_mutator.most_common()),
        "unique_problems": bad,
        "crashes": outcomes["crash"],
        "hangs": outcomes["hang"],
        "unexpected_exceptions": outcomes["unexpected"],
        "worker_restarts": restarts,
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "largest_peak_increase": {
            "mib": round(most_growth[0] / 1024, 1),
            "seed": most_growth[1],
            "ops": most_growth[2],
        },
        "slowest": [{"seconds": round(s, 2), "seed": label, "mutations": ops} for s, label, ops in slowest],
        "timeout_s": args.timeout,
        "memory_cap_mib": args.memory_mib,
    }


def print_summary(result: dict[str, Any]) -> None:
    print(f"machine: {result['machine']}")
    print(f"command: {result['command']}")
    print(
        f"{result['iterations']} inputs in {result['seconds']} s ({result['inputs_per_second']}/s); "
        f"crashes {result['crashes']}, hangs {result['hangs']}, unexpected exceptions "
        f"{result['unexpected_exceptions']}, unique problems {len(result['unique_problems'])}"
    )
    print(f"outcomes: {result['outcomes']}")
    print(f"peak RSS of a worker: {result['peak_rss_mib']} MiB")
    print(f"largest rise of the peak on one input: {result['largest_peak_increase']}")
    print(f"slowest: {result['slowest']}")
    for key, entry in result["unique_problems"].items():
        print(f"  {key}: {entry['count']}× e.g. {entry['example']} ({entry['seed']}, {entry['mutations']})")


# --- atheris (coverage-guided, optional) -------------------------------------------------------------------


def run_atheris(args: argparse.Namespace) -> None:
    """A libFuzzer session through atheris on a copy of the seed corpus; libFuzzer prints its own report."""
    import atheris

    with atheris.instrument_imports():
        from docverify.errors import InputError
        from docverify.io import load_pages
    from docverify.pipeline import Verifier, VerifierConfig

    verifier = Verifier(config=VerifierConfig(reference_date=REF))

    def test_one_input(data: bytes) -> None:
        try:
            pages = load_pages(data)
        except InputError:
            return
        for page in pages:
            verifier.verify_page(page)

    corpus = HERE / "out" / "atheris-corpus"  # grows with what libFuzzer finds; kept for the next run
    corpus.mkdir(parents=True, exist_ok=True)
    for path in sorted(mutate.CORPUS.glob("seed.*")):
        shutil.copy(path, corpus)
    argv = [
        sys.argv[0],
        str(corpus),
        f"-max_total_time={int(args.seconds or 60)}",
        f"-timeout={int(args.timeout)}",
        f"-rss_limit_mb={args.memory_mib}",
        "-max_len=65536",
        f"-seed={args.seed}",
        f"-artifact_prefix={args.crashes}/",
    ]
    Path(args.crashes).mkdir(parents=True, exist_ok=True)
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=0.0, help="stop after this long (default: 300 s)")
    ap.add_argument("--iterations", type=int, default=0, help="stop after this many inputs")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per input before it counts as a hang")
    ap.add_argument("--memory-mib", type=int, default=4096, help="address-space cap of a worker (0: none)")
    ap.add_argument("--crashes", default=str(HERE / "out" / "fuzz-crashes"), help="where failing inputs go")
    ap.add_argument("--json", default=str(HERE / "out" / "fuzz.json"), help="the summary as JSON")
    ap.add_argument("--atheris", action="store_true", help="coverage-guided run with atheris instead")
    ap.add_argument("--self-test", action="store_true", help="first feed a crashing and a hanging input")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.memory_mib, self_test=args.self_test)
        return 0
    if not args.seconds and not args.iterations:
        args.seconds = 300.0
    if args.atheris:
        run_atheris(args)
        return 0
    result = fuzz(args)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print_summary(result)
    return 1 if result["crashes"] or result["hangs"] or result["unexpected_exceptions"] else 0


if __name__ == "__main__":
    sys.exit(main())
